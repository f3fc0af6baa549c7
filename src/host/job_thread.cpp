#include "host/job_thread.hpp"

namespace lunatic::host {

JobThread::JobThread() : thread_([this] { run(); }) {}

JobThread::~JobThread() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

void JobThread::post(std::function<void()> job) {
  {
    std::lock_guard guard(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void JobThread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace lunatic::host
