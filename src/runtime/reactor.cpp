#include "runtime/reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace lunatic::runtime {
namespace {
// epoll event data: a process id (watch()), a source key with the top bit set, or the marker.
constexpr std::uint64_t kWakeMarker = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kSourceBit = std::uint64_t{1} << 63;
constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;
}  // namespace

IoSource::~IoSource() { deregister(); }

void IoSource::deregister() {
  if (registered_.exchange(false)) reactor_.deregister(*this);
}

Reactor::Reactor()
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeMarker;
  if (epoll_fd_ < 0 || wake_fd_ < 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    std::perror("lunatic: reactor");
    std::abort();
  }
}

Reactor::~Reactor() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool Reactor::watch(int fd, bool read, bool write, std::uint64_t process_id) {
  epoll_event event{};
  event.events = EPOLLONESHOT | EPOLLRDHUP | (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
  event.data.u64 = process_id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0) {
    watched_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (errno == EEXIST && ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0) return true;
  return false;
}

void Reactor::unwatch(int fd) {
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) == 0) {
    watched_.fetch_sub(1, std::memory_order_relaxed);
  }
}

std::shared_ptr<IoSource> Reactor::register_source(int fd) {
  std::shared_ptr<IoSource> source;
  {
    std::lock_guard guard(sources_mutex_);
    source = std::make_shared<IoSource>(*this, fd, next_key_++);
    sources_.emplace(source->key_, source);
  }
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u64 = kSourceBit | source->key_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int saved = errno;
    source.reset();  // deregisters
    errno = saved;
  }
  return source;
}

std::size_t Reactor::sources() const {
  std::lock_guard guard(sources_mutex_);
  return sources_.size();
}

void Reactor::deregister(IoSource& source) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, source.fd_, nullptr);
  {
    std::lock_guard guard(source.mutex_);  // waiters left behind no longer count as watching
    watched_.fetch_sub(source.waiters_[0].size() + source.waiters_[1].size(),
                       std::memory_order_relaxed);
  }
  std::lock_guard guard(sources_mutex_);
  sources_.erase(source.key_);
}

bool Reactor::add_waiter(IoSource& source, IoDirection direction, std::uint64_t seen,
                         std::uint64_t process_id, std::uint64_t generation) {
  const std::size_t i = IoSource::index(direction);
  std::lock_guard guard(source.mutex_);
  if (source.counts_[i].load(std::memory_order_relaxed) != seen) return false;
  source.waiters_[i].push_back({process_id, generation});
  watched_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Reactor::remove_waiter(IoSource& source, IoDirection direction, std::uint64_t process_id) {
  auto& waiters = source.waiters_[IoSource::index(direction)];
  std::lock_guard guard(source.mutex_);
  for (auto it = waiters.begin(); it != waiters.end(); ++it) {
    if (it->process_id == process_id) {
      waiters.erase(it);
      watched_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
}

void Reactor::signal(std::uint64_t key, std::uint32_t events, ReadyEvents& ready) {
  std::shared_ptr<IoSource> source;
  {
    std::lock_guard guard(sources_mutex_);
    auto it = sources_.find(key);
    if (it != sources_.end()) source = it->second.lock();
  }
  if (!source) return;  // closed since epoll reported it
  std::lock_guard guard(source->mutex_);
  for (IoDirection direction : {IoDirection::kRead, IoDirection::kWrite}) {
    const std::size_t i = IoSource::index(direction);
    if ((events & (i == 0 ? kReadEvents : kWriteEvents)) == 0) continue;
    source->counts_[i].fetch_add(1, std::memory_order_release);
    for (const auto& waiter : source->waiters_[i]) {
      ready.waits.emplace_back(waiter.process_id, waiter.generation);
    }
    watched_.fetch_sub(source->waiters_[i].size(), std::memory_order_relaxed);
    source->waiters_[i].clear();
  }
}

ReadyEvents Reactor::wait(int timeout_ms) {
  epoll_event events[64];
  int count = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  ReadyEvents ready;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t data = events[i].data.u64;
    if (data == kWakeMarker) {
      std::uint64_t drained;
      [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
    } else if (data & kSourceBit) {
      signal(data & ~kSourceBit, events[i].events, ready);
    } else {
      ready.processes.push_back(data);
    }
  }
  return ready;
}

void Reactor::notify() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace lunatic::runtime
