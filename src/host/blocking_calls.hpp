// Calls that block a thread (a round trip to the membership store, a SQLite query) made on behalf
// of a process without blocking its worker: they run on threads of this object's own (one by
// default, so in the order they were made), and the
// process waits for the call's eventfd as for any descriptor. A process killed while it waits
// leaves; its call still runs to the end, into state the call owns.
// Thread: any.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "runtime/blocking.hpp"

namespace lunatic::host {

class BlockingCalls {
 public:
  explicit BlockingCalls(std::size_t threads = 1);
  ~BlockingCalls();  // runs what is queued, then joins
  BlockingCalls(const BlockingCalls&) = delete;
  BlockingCalls& operator=(const BlockingCalls&) = delete;

  // Runs `call` on the thread while the process waits in `waiter`; returns its result. `call`
  // must own what it uses (capture by value).
  template <class T>
  T run(runtime::Blocking& waiter, std::function<T()> call) {
    auto result = std::make_shared<std::optional<T>>();
    wait(waiter, submit([result, call = std::move(call)] { *result = call(); }));
    return std::move(**result);
  }
  // Queues `call` with nobody waiting for it.
  void post(std::function<void()> call);

 private:
  struct Pending;
  std::shared_ptr<Pending> submit(std::function<void()> call);
  static void wait(runtime::Blocking& waiter, const std::shared_ptr<Pending>& pending);
  void serve();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::pair<std::function<void()>, std::shared_ptr<Pending>>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lunatic::host
