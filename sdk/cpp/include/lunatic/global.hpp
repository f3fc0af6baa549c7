// Names every node of a cluster sees (lunatic::global_registry, beyond Lunatic): a process
// registered under a name on one node is found under it from every other. A name is held by one
// process at a time; it goes when that process ends, or with its node. Under `lunatic run` the
// names are the runtime's own, with the same rules. Each call is a round trip to the cluster's
// membership store (etcd or `lunatic control`): milliseconds, not microseconds; keep what a
// lookup gives you. The node-local names of process.hpp (Process::register_as) stay as they are.
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <lunatic/process.hpp>
#include <lunatic/result.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lunatic::global {

namespace detail {
inline Error store_error() {
  return Error{ErrorKind::kHost, "the cluster's membership store could not be reached"};
}
}  // namespace detail

// Registers `process` (of this node) under `name`. Returns the process that holds the name
// afterwards: `process`, or the one that had it already.
template <class Msg>
Result<Process<Msg>> register_name(std::string_view name, const Process<Msg>& process) {
  std::uint64_t holder = 0;
  switch (lunatic_global_registry_put(lunatic::detail::address(name.data()),
                                      static_cast<std::uint32_t>(name.size()), process.id().value,
                                      lunatic::detail::address(&holder))) {
    case 0:
      return process;
    case 1:
      return Process<Msg>(ProcessId{holder});
    case 2:
      return Error{ErrorKind::kHost,
                   "process " + std::to_string(process.id().value) + " is not one of this node's"};
    default:
      return detail::store_error();
  }
}

// The process registered under `name`, or nullopt.
template <class Msg>
Result<std::optional<Process<Msg>>> whereis(std::string_view name) {
  std::uint64_t id = 0;
  switch (lunatic_global_registry_get(lunatic::detail::address(name.data()),
                                      static_cast<std::uint32_t>(name.size()),
                                      lunatic::detail::address(&id))) {
    case 0:
      return std::optional<Process<Msg>>(Process<Msg>(ProcessId{id}));
    case 1:
      return std::optional<Process<Msg>>();
    default:
      return detail::store_error();
  }
}

// Removes `name` if `process` holds it; returns whether it did.
template <class Msg>
Result<bool> unregister(std::string_view name, const Process<Msg>& process) {
  switch (lunatic_global_registry_remove(lunatic::detail::address(name.data()),
                                         static_cast<std::uint32_t>(name.size()),
                                         process.id().value)) {
    case 0:
      return true;
    case 1:
      return false;
    default:
      return detail::store_error();
  }
}

// The process registered under `name`; if there is none, one spawned here with `entry` and
// registered. When several processes race, on any nodes, one name wins: the losers' spawns are
// killed and every caller gets the winner.
template <class Msg, class Arg>
Result<Process<Msg>> get_or_spawn(std::string_view name, void (*entry)(Arg, Mailbox<Msg>),
                                  const Arg& argument) {
  auto found = whereis<Msg>(name);
  if (!found) return found.error();
  if (*found) return **found;
  auto spawned = spawn(entry, argument);
  if (!spawned) return spawned.error();
  auto holder = register_name(name, *spawned);
  if (!holder || holder->id() != spawned->id()) spawned->kill();
  return holder;
}

}  // namespace lunatic::global
