// A lock for short critical sections between worker threads, whose unlock is a plain store.
//
// std::mutex (glibc) pays an atomic read-modify-write to lock and another to unlock, since an
// unlock must learn whether to wake a sleeper. Workers are as many as cores and a process's
// lock is held for a few dozen instructions, so a waiter spins instead of sleeping and the
// unlock needs no atomic operation: a message hop takes the lock twice, which saves two of its
// six atomic operations. A waiter that spins long (the holder's thread was descheduled) yields
// its thread to the OS now and then.
// Thread: any; not recursive.
#pragma once

#include <sched.h>

#include <atomic>

namespace lunatic::runtime {

class SpinLock {
 public:
  void lock() {
    for (unsigned spins = 0; locked_.exchange(true, std::memory_order_acquire);) {
      // Wait with plain loads, so the waiting core does not take the line from the holder.
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins % kSpinsBeforeYield == 0) {
          ::sched_yield();
        } else {
          cpu_relax();
        }
      }
    }
  }
  bool try_lock() { return !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  static constexpr unsigned kSpinsBeforeYield = 1024;
  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
  }
  std::atomic<bool> locked_{false};
};

}  // namespace lunatic::runtime
