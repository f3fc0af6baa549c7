// Held by the one runtime (or thread) that compiles a module's artifacts, so that others which
// need the same artifacts at the same time wait and then read them from the cache instead of
// compiling them again: N nodes or test runs started together with one module compile it once.
//
// One lock file per cache, with a one-byte range per key (open file description locks, which
// exclude threads of one runtime as well as other runtimes): the cache holds no file per key
// that would have to be cleaned up, and a runtime that dies while it compiles releases its lock.
// Where the lock file cannot be made (a read-only cache), nothing is locked: each compiles.
#pragma once

#include <filesystem>
#include <stop_token>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace lunatic::engine {

class CompileLock {
 public:
  // Waits until no one else holds `key`'s lock, then holds it. Returns: kCancelled when `stop`
  // is requested while it waits.
  static Expected<CompileLock> acquire(const std::filesystem::path& lock_file,
                                       const std::string& key, const std::stop_token& stop);

  CompileLock(CompileLock&&) noexcept = default;
  CompileLock& operator=(CompileLock&&) noexcept = default;
  // Closing the descriptor releases the lock.
  ~CompileLock() = default;

 private:
  explicit CompileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace lunatic::engine
