#include "wasi/poll_service.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "engine/execution/trap.hpp"
#include "runtime/blocking.hpp"
#include "wasi/clock_service.hpp"
#include "wasi/file_kind.hpp"
#include "wasi/stream_io.hpp"

namespace lunatic::wasi {

namespace {

using runtime::Clock;

// Longer waits are cut to this (about 100 years): time_point arithmetic must not overflow.
constexpr std::uint64_t kMaxWaitNs = 100ull * 365 * 24 * 3600 * 1'000'000'000ull;

struct ClockWait {
  std::size_t index;
  Clock::time_point deadline;
};

struct FdWait {
  std::size_t index;
  int fd;
  bool write;
};

runtime::Blocking& require(runtime::Blocking* blocking) {
  if (blocking == nullptr) {
    throw engine::GuestTrap{engine::TrapKind::kHostError,
                            "wasi: poll_oneoff needs a scheduler, and this process has none"};
  }
  return *blocking;
}

// Returns: when a clock subscription fires, on runtime::Clock; EINVAL for a clock that cannot
// be waited on.
Result<Clock::time_point> deadline_of(const Subscription& s, Clock::time_point now) {
  if (s.clock_id != static_cast<std::uint32_t>(ClockId::kRealtime) &&
      s.clock_id != static_cast<std::uint32_t>(ClockId::kMonotonic)) {
    return Errno::kInval;
  }
  std::uint64_t remaining = s.timeout;
  if ((s.clock_flags & subclockflags::kAbstime) != 0) {
    auto clock_now = clock_time_get(s.clock_id, 0);
    if (!clock_now.ok()) return clock_now.error();
    remaining = s.timeout > *clock_now ? s.timeout - *clock_now : 0;
  }
  remaining = std::min(remaining, kMaxWaitNs);
  return now + std::chrono::duration_cast<Clock::duration>(
                   std::chrono::nanoseconds(static_cast<std::int64_t>(remaining)));
}

Event fd_event(const Subscription& s, Errno error, std::uint64_t nbytes = 0,
               std::uint16_t flags = 0) {
  return Event{s.userdata, error, s.type, nbytes, flags};
}

// Returns: bytes left to read in a file from its current offset (0 when unknown).
std::uint64_t bytes_left_in_file(int fd) {
  struct stat st {};
  off_t position = ::lseek(fd, 0, SEEK_CUR);
  if (::fstat(fd, &st) != 0 || position < 0 || !S_ISREG(st.st_mode)) return 0;
  return st.st_size > position ? static_cast<std::uint64_t>(st.st_size - position) : 0;
}

// Returns: bytes waiting on a pipe, socket or terminal (0 when unknown).
std::uint64_t bytes_available(int fd) {
  int n = 0;
  return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<std::uint64_t>(n) : 0;
}

}  // namespace

Result<std::vector<Event>> poll_oneoff(WasiContext& context, runtime::Blocking* blocking,
                                       std::span<const Subscription> subscriptions) {
  if (subscriptions.empty()) return Errno::kInval;
  const Clock::time_point start = Clock::now();

  // Sort the subscriptions into completed-now, clocks and fds to wait for.
  std::vector<std::optional<Event>> done(subscriptions.size());
  std::vector<ClockWait> clocks;
  std::vector<FdWait> fds;
  bool any_done = false;
  for (std::size_t i = 0; i < subscriptions.size(); ++i) {
    const Subscription& s = subscriptions[i];
    if (s.type == EventType::kClock) {
      auto deadline = deadline_of(s, start);
      if (!deadline.ok()) return deadline.error();
      clocks.push_back({i, *deadline});
      continue;
    }
    const bool write = s.type == EventType::kFdWrite;
    FdEntry* entry = context.fds().get(s.fd);
    if (entry == nullptr) {
      done[i] = fd_event(s, Errno::kBadf);
    } else if ((entry->rights_base & rights::kPollFdReadwrite) == 0) {
      done[i] = fd_event(s, Errno::kNotCapable);
    } else if (always_ready(entry->type)) {
      done[i] = fd_event(s, Errno::kSuccess, write ? 0 : bytes_left_in_file(entry->fd()));
    } else {
      fds.push_back({i, entry->fd(), write});
      continue;
    }
    any_done = true;
  }

  auto finish_fds = [&](std::span<const runtime::FdReadiness> ready) {
    for (std::size_t k = 0; k < fds.size(); ++k) {
      const FdWait& w = fds[k];
      const runtime::FdReadiness& r = ready[k];
      if (!(w.write ? r.writable : r.readable) && !r.hangup) continue;
      std::uint16_t flags = r.hangup ? eventrwflags::kHangup : 0;
      std::uint64_t nbytes = w.write ? 0 : bytes_available(w.fd);
      done[w.index] = fd_event(subscriptions[w.index], Errno::kSuccess, nbytes, flags);
      any_done = true;
    }
  };
  auto finish_clocks = [&](bool force_earliest) {
    const Clock::time_point now = Clock::now();
    const ClockWait* earliest = nullptr;
    for (const ClockWait& c : clocks) {
      if (earliest == nullptr || c.deadline < earliest->deadline) earliest = &c;
      if (c.deadline <= now) {
        done[c.index] = Event{subscriptions[c.index].userdata, Errno::kSuccess, EventType::kClock};
        any_done = true;
      }
    }
    if (force_earliest && !any_done && earliest != nullptr) {
      done[earliest->index] =
          Event{subscriptions[earliest->index].userdata, Errno::kSuccess, EventType::kClock};
      any_done = true;
    }
  };

  std::vector<runtime::FdInterest> interests;
  for (const FdWait& w : fds) interests.push_back({w.fd, !w.write, w.write});
  std::vector<runtime::FdReadiness> ready(fds.size());

  if (any_done) {
    // Something completed already: report whatever else is ready too, without waiting.
    for (std::size_t k = 0; k < fds.size(); ++k) {
      bool now = ready_now(fds[k].fd, fds[k].write);
      ready[k] = runtime::FdReadiness{now && !fds[k].write, now && fds[k].write, false};
    }
    finish_fds(ready);
    finish_clocks(false);
  } else if (fds.empty()) {
    auto earliest =
        std::min_element(clocks.begin(), clocks.end(),
                         [](const auto& a, const auto& b) { return a.deadline < b.deadline; });
    require(blocking).sleep_until(earliest->deadline);
    finish_clocks(true);
  } else {
    std::optional<Clock::time_point> deadline;
    for (const ClockWait& c : clocks) {
      if (!deadline || c.deadline < *deadline) deadline = c.deadline;
    }
    while (!any_done) {
      std::fill(ready.begin(), ready.end(), runtime::FdReadiness{});
      bool woke = require(blocking).wait_fds(interests, ready, deadline);
      if (woke) finish_fds(ready);
      finish_clocks(!woke);
    }
  }

  std::vector<Event> events;
  for (auto& event : done) {
    if (event) events.push_back(*event);
  }
  return events;
}

}  // namespace lunatic::wasi
