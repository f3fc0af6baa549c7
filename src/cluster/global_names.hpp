// Process names that every node of a cluster sees (beyond Lunatic, whose registry is per node):
// a name is a key P/processes/<name> holding a process id, created in one transaction only if
// absent and bound to the lease of the node the process runs on, so two nodes racing for a name
// get one winner, and the names of a node that dies vanish with its lease. The same with etcd
// and with `lunatic control`.
// Every call goes to the store and blocks for about a round trip: not on a scheduler worker.
// Thread: any.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/membership.hpp"
#include "common/error.hpp"

namespace lunatic::cluster {

inline constexpr std::size_t kMaxGlobalName = 1024;

class GlobalNames {
 public:
  explicit GlobalNames(const Membership& membership) : membership_(membership) {}

  // Registers `process` under `name` unless the name is taken. Returns the process that holds
  // it afterwards: `process` when registered, the earlier holder otherwise.
  Expected<std::uint64_t> register_name(std::string_view name, std::uint64_t process) const;
  // The process registered under `name`, if any.
  Expected<std::optional<std::uint64_t>> whereis(std::string_view name) const;
  // Removes `name` if `process` holds it; returns whether it did.
  Expected<bool> unregister(std::string_view name, std::uint64_t process) const;

 private:
  Expected<std::string> key(std::string_view name) const;

  const Membership& membership_;
};

}  // namespace lunatic::cluster
