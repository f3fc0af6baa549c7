#include "host/blocking_calls.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>

#include "common/unique_fd.hpp"

namespace lunatic::host {

struct BlockingCalls::Pending {
  UniqueFd ready{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
  std::atomic<bool> done{false};
};

BlockingCalls::BlockingCalls(std::size_t threads) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { serve(); });
}

BlockingCalls::~BlockingCalls() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void BlockingCalls::post(std::function<void()> call) { (void)submit(std::move(call)); }

std::shared_ptr<BlockingCalls::Pending> BlockingCalls::submit(std::function<void()> call) {
  auto pending = std::make_shared<Pending>();
  {
    std::lock_guard guard(mutex_);
    queue_.emplace_back(std::move(call), pending);
  }
  ready_.notify_one();
  return pending;
}

void BlockingCalls::wait(runtime::Blocking& waiter, const std::shared_ptr<Pending>& pending) {
  const runtime::FdInterest interest{pending->ready.get(), /*read=*/true, /*write=*/false};
  runtime::FdReadiness readiness;
  while (!pending->done.load(std::memory_order_acquire)) {
    if (interest.fd < 0) {  // no eventfd to be had: look again shortly
      waiter.sleep_until(runtime::Clock::now() + std::chrono::milliseconds(1));
      continue;
    }
    waiter.wait_fds({&interest, 1}, {&readiness, 1}, std::nullopt);
  }
}

void BlockingCalls::serve() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued has run
    auto [call, pending] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    call();
    pending->done.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(pending->ready.get(), &one, sizeof one);
    lock.lock();
  }
}

}  // namespace lunatic::host
