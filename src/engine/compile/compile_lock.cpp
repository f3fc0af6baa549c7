#include "engine/compile/compile_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <thread>

namespace lunatic::engine {
namespace {

// How often a waiter tries again; compiles take seconds, so this costs nothing noticeable.
constexpr auto kRetryInterval = std::chrono::milliseconds(20);

// The byte of the lock file that stands for `key` (hex digits of a SHA-256): 2^40 of them, so
// two keys share one only by a chance not worth a thought, and then one merely waits.
off_t byte_for(const std::string& key) {
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < 10 && i < key.size(); ++i) {
    const char c = key[i];
    const std::uint64_t digit = c >= '0' && c <= '9'
                                    ? static_cast<std::uint64_t>(c - '0')
                                    : static_cast<std::uint64_t>((c | 0x20) - 'a' + 10) & 0xf;
    offset = offset << 4 | digit;
  }
  return static_cast<off_t>(offset);
}

}  // namespace

Expected<CompileLock> CompileLock::acquire(const std::filesystem::path& lock_file,
                                           const std::string& key, const std::stop_token& stop) {
  std::error_code ignored;
  std::filesystem::create_directories(lock_file.parent_path(), ignored);
  UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return CompileLock(UniqueFd());

  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = byte_for(key);
  range.l_len = 1;
  while (::fcntl(fd.get(), F_OFD_SETLK, &range) != 0) {
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) return CompileLock(UniqueFd());
    if (stop.stop_requested()) {
      return make_error(Errc::kCancelled, "cancelled while another compile of it was awaited");
    }
    std::this_thread::sleep_for(kRetryInterval);
  }
  return CompileLock(std::move(fd));
}

}  // namespace lunatic::engine
