#include "engine/compile/compile_queue.hpp"

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/engine.hpp"

namespace lunatic::engine {
namespace {

// Nice value of the compile threads and of the compilers they start (which inherit it).
constexpr int kCompileNice = 10;

}  // namespace

QueuedCompile::QueuedCompile(std::string wasm, std::string name)
    : wasm_(std::move(wasm)),
      name_(std::move(name)),
      ready_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

QueuedCompile::~QueuedCompile() {
  if (ready_fd_ >= 0) ::close(ready_fd_);
}

bool QueuedCompile::done() const {
  std::lock_guard guard(mutex_);
  return done_;
}

Expected<std::shared_ptr<const Module>> QueuedCompile::result() const {
  std::lock_guard guard(mutex_);
  return result_;
}

unsigned CompileQueue::default_threads() {
  return std::max(1u, std::thread::hardware_concurrency() / 2);
}

CompileQueue::CompileQueue(Engine& engine, std::uint64_t compiler_memory, unsigned threads)
    : engine_(engine), compiler_memory_(compiler_memory) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { run(); });
}

CompileQueue::~CompileQueue() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  cancel_all();
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

Expected<std::shared_ptr<QueuedCompile>> CompileQueue::submit(std::string wasm, std::string name) {
  std::shared_ptr<QueuedCompile> job(new QueuedCompile(std::move(wasm), std::move(name)));
  if (job->ready_fd_ < 0) {
    return make_error(Errc::kIo, std::string("cannot make an eventfd: ") + std::strerror(errno));
  }
  {
    std::lock_guard guard(mutex_);
    queue_.push_back(job);
  }
  ready_.notify_one();
  return job;
}

void CompileQueue::cancel_all() {
  std::lock_guard guard(mutex_);
  for (auto& job : queue_) job->cancel();
  for (auto& job : running_) job->cancel();
}

void CompileQueue::run() {
  // Linux keeps a nice value per thread, and what a thread starts inherits it.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kCompileNice);
  for (;;) {
    std::shared_ptr<QueuedCompile> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to end
      job = std::move(queue_.front());
      queue_.pop_front();
      running_.push_back(job);
    }
    const std::stop_token stop = job->stop_.get_token();
    auto module = stop.stop_requested()
                      ? Expected<std::shared_ptr<const Module>>(make_error(
                            Errc::kCancelled, "the compile of " + job->name_ + " was cancelled"))
                      : engine_.load_wasm(job->wasm_, job->name_, nullptr,
                                          CompileControl{stop, compiler_memory_, true});
    {
      std::lock_guard guard(mutex_);
      std::erase(running_, job);
    }
    {
      std::lock_guard guard(job->mutex_);
      job->result_ = std::move(module);
      job->done_ = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(job->ready_fd_, &one, sizeof one);
  }
}

}  // namespace lunatic::engine
