#include "net/dns_resolver.hpp"

#include <netdb.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace lunatic::net {
namespace {

// Waits until `lookup` is done; false when the deadline passed first.
bool wait_for(runtime::Blocking& blocking, const DnsLookup& lookup,
              std::optional<runtime::Clock::time_point> deadline) {
  const runtime::FdInterest interest{lookup.ready_fd(), true, false};
  runtime::FdReadiness readiness;
  while (!lookup.done()) {
    if (!blocking.wait_fds({&interest, 1}, {&readiness, 1}, deadline)) return false;
  }
  return true;
}

}  // namespace

DnsLookup::DnsLookup(std::string host, std::string port)
    : host_(std::move(host)),
      port_(std::move(port)),
      ready_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

bool DnsLookup::done() const {
  std::lock_guard guard(mutex_);
  return done_;
}

void DnsLookup::run() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  addrinfo* found = nullptr;
  const int status = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found);
  std::vector<SocketAddress> addresses;
  std::string error;
  if (status != 0) {
    error = std::string("failed to lookup address information: ") + ::gai_strerror(status);
  } else {
    for (addrinfo* it = found; it != nullptr; it = it->ai_next) {
      if (it->ai_family == AF_INET || it->ai_family == AF_INET6) {
        addresses.push_back(SocketAddress::from(it->ai_addr, it->ai_addrlen));
      }
    }
    ::freeaddrinfo(found);
  }
  {
    std::lock_guard guard(mutex_);
    addresses_ = std::move(addresses);
    error_ = std::move(error);
    done_ = true;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(ready_.get(), &one, sizeof one);
}

bool split_host_port(const std::string& name, std::string& host, std::string& port) {
  std::string rest;
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    if (close == std::string::npos || close + 1 >= name.size() || name[close + 1] != ':')
      return false;
    host = name.substr(1, close - 1);
    rest = name.substr(close + 2);
  } else {
    const auto colon = name.rfind(':');
    if (colon == std::string::npos) return false;
    host = name.substr(0, colon);
    rest = name.substr(colon + 1);
  }
  if (rest.empty() || rest.size() > 5 ||
      rest.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  if (std::atoi(rest.c_str()) > 65535) return false;
  port = rest;
  return true;
}

DnsResolver& DnsResolver::shared() {
  static DnsResolver* resolver = new DnsResolver();  // never destroyed: its threads outlive main
  return *resolver;
}

std::shared_ptr<DnsLookup> DnsResolver::start(std::string host, std::string port) {
  auto lookup = std::make_shared<DnsLookup>(std::move(host), std::move(port));
  if (lookup->ready_fd() < 0) return nullptr;
  std::call_once(started_, [queue = queue_] {
    for (int i = 0; i < kThreads; ++i) {
      std::thread([queue] {
        for (;;) {
          std::shared_ptr<DnsLookup> next;
          {
            std::unique_lock lock(queue->mutex);
            queue->ready.wait(lock, [&] { return !queue->lookups.empty(); });
            next = std::move(queue->lookups.front());
            queue->lookups.pop_front();
          }
          next->run();
        }
      }).detach();
    }
  });
  {
    std::lock_guard guard(queue_->mutex);
    if (queue_->lookups.size() >= kMaxQueued) return nullptr;
    queue_->lookups.push_back(lookup);
  }
  queue_->ready.notify_one();
  return lookup;
}

Resolved resolve(runtime::Blocking& blocking, std::shared_ptr<DnsLookup>& last, std::string host,
                 std::string port, std::optional<runtime::Clock::time_point> deadline) {
  if (last && !wait_for(blocking, *last, deadline)) return {{}, {}, true};
  auto lookup = DnsResolver::shared().start(std::move(host), std::move(port));
  if (!lookup) return {{}, "cannot start a DNS lookup: too many lookups are under way", false};
  last = lookup;
  if (!wait_for(blocking, *lookup, deadline)) return {{}, {}, true};
  return {lookup->addresses(), lookup->error(), false};
}

}  // namespace lunatic::net
