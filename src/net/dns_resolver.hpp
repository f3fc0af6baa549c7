// Name resolution that never blocks a worker: getaddrinfo runs on a few resolver threads of its
// own, and the asking process waits for the lookup's eventfd like any descriptor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "net/socket_address.hpp"
#include "runtime/blocking.hpp"

namespace lunatic::net {

// One lookup of "host:port". Its eventfd becomes readable when it is done.
class DnsLookup {
 public:
  DnsLookup(std::string host, std::string port);
  int ready_fd() const { return ready_.get(); }
  bool done() const;
  // Valid once done(): the addresses, or an error text (empty on success).
  const std::vector<SocketAddress>& addresses() const { return addresses_; }
  const std::string& error() const { return error_; }

 private:
  friend class DnsResolver;
  void run();

  const std::string host_;
  const std::string port_;
  UniqueFd ready_;
  mutable std::mutex mutex_;
  bool done_ = false;
  std::vector<SocketAddress> addresses_;
  std::string error_;
};

// Splits "host:port" as Rust's ToSocketAddrs does for a string ("[::1]:80" for IPv6 literals).
// Returns false when there is no port or it is not a number up to 65535.
bool split_host_port(const std::string& name, std::string& host, std::string& port);

class DnsResolver {
 public:
  static constexpr int kThreads = 4;
  // Lookups waiting for a thread at most: one whose asker timed out still runs to its end, so
  // a guest asking in a loop with a zero timeout would otherwise queue without bound.
  static constexpr std::size_t kMaxQueued = 1024;
  // The process-wide resolver; its threads start on the first lookup and are never joined (a
  // getaddrinfo stuck on a dead DNS server must not hold up the runtime's exit).
  static DnsResolver& shared();

  // Queues the lookup; nullptr when no eventfd could be made or kMaxQueued are waiting.
  std::shared_ptr<DnsLookup> start(std::string host, std::string port);

 private:
  struct Queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::shared_ptr<DnsLookup>> lookups;
  };
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::once_flag started_;
};

// What a name lookup found: its addresses, or an error text, or that the deadline passed first.
struct Resolved {
  std::vector<SocketAddress> addresses;
  std::string error;
  bool timed_out = false;
};

// Looks `host` and `port` up on the shared resolver while the caller waits (its worker runs
// others). One lookup per asker at a time: a lookup whose asker timed out still holds a resolver
// thread until the DNS server answers, so an asker waits for its `last` lookup first and cannot
// take every resolver thread from the others. `last` becomes the new lookup once it started.
// Thread: the thread running the asking process, which `blocking` suspends.
Resolved resolve(runtime::Blocking& blocking, std::shared_ptr<DnsLookup>& last, std::string host,
                 std::string port, std::optional<runtime::Clock::time_point> deadline);

}  // namespace lunatic::net
