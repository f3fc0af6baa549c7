// Compiling modules that guests supply (lunatic::process::compile_module) off the scheduler's
// workers: a few threads of their own take jobs in order, and the asking process waits for its
// job's eventfd like any descriptor. A compile takes seconds of C compiler time; on a worker it
// would stall every process queued there, and no kill could reach the asker.
//
// The threads run at a lower CPU priority (nice 10, which the C compilers they start inherit),
// so compiles fill idle cores rather than taking them from processes that run; each job runs
// one C compiler at a time, with a bound on its memory. A job whose asker is gone is
// cancelled: its compilers are killed at once and its result dropped.
// Thread: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"

namespace lunatic::engine {

class Engine;
class Module;

// One module's compile; its eventfd becomes readable when it has ended (done or cancelled).
class QueuedCompile {
 public:
  ~QueuedCompile();
  QueuedCompile(const QueuedCompile&) = delete;
  QueuedCompile& operator=(const QueuedCompile&) = delete;

  int ready_fd() const { return ready_fd_; }
  bool done() const;
  // Stops the compile (if it still runs, its compilers are killed) and drops its result.
  void cancel() { stop_.request_stop(); }
  // Valid once done(): the module, or why there is none.
  Expected<std::shared_ptr<const Module>> result() const;

 private:
  friend class CompileQueue;
  QueuedCompile(std::string wasm, std::string name);

  const std::string wasm_;
  const std::string name_;
  std::stop_source stop_;
  const int ready_fd_;  // an eventfd, owned
  mutable std::mutex mutex_;
  bool done_ = false;
  Expected<std::shared_ptr<const Module>> result_{Error{Errc::kCancelled, "not compiled yet"}};
};

class CompileQueue {
 public:
  // Half the cores (at least one): each compile runs two C compilers (both memory modes).
  static unsigned default_threads();

  // Each compile runs one C compiler at a time, allowed `compiler_memory` bytes of data (0: no
  // limit).
  CompileQueue(Engine& engine, std::uint64_t compiler_memory, unsigned threads = default_threads());
  // Cancels every job and waits for the threads (a job between compiler runs finishes that
  // step first: at most the C translation of one module).
  ~CompileQueue();
  CompileQueue(const CompileQueue&) = delete;
  CompileQueue& operator=(const CompileQueue&) = delete;

  // Queues a compile. Returns: the job, or kIo when no eventfd can be made.
  Expected<std::shared_ptr<QueuedCompile>> submit(std::string wasm, std::string name);
  // Cancels every queued and running job now (compilers killed); jobs submitted later run.
  void cancel_all();

 private:
  void run();  // a thread's loop

  Engine& engine_;
  const std::uint64_t compiler_memory_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<QueuedCompile>> queue_;
  std::vector<std::shared_ptr<QueuedCompile>> running_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lunatic::engine
