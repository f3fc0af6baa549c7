#include "wasi/sandbox.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

#include "wasi/errno_map.hpp"

namespace lunatic::wasi::sandbox {

namespace {

// openat2 may fail with EAGAIN when a rename raced with a ".." lookup; the kernel asks us to
// retry. A bounded number of retries keeps a hostile renamer from spinning us forever.
constexpr int kOpenat2Retries = 64;
// A directory deeper than this below its start directory is treated as unrelated to it.
constexpr int kMaxDepth = 4096;

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra;
    std::uint32_t code;
    std::uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// Returns: how many ".." steps lead from `dir` up to `root` (0 when they are the same
// directory), or ENOTCAPABLE when `root` is not above `dir`.
Result<int> depth_below(int root, int dir) {
  struct stat root_st {};
  if (::fstat(root, &root_st) != 0) return errno_from_host(errno);
  UniqueFd holder;
  int current = dir;
  for (int depth = 0; depth <= kMaxDepth; ++depth) {
    struct stat st {};
    if (::fstat(current, &st) != 0) return errno_from_host(errno);
    if (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino) return depth;
    // Deliberately not beneath anything: this walk only stats the ancestors of a directory
    // the guest already holds, to measure its depth; nothing is read or changed.
    int up = ::openat(current, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (up < 0) return errno_from_host(errno);
    UniqueFd up_fd(up);
    struct stat up_st {};
    if (::fstat(up, &up_st) != 0) return errno_from_host(errno);
    if (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino) break;  // the host's "/"
    holder = std::move(up_fd);
    current = holder.get();
  }
  return Errno::kNotCapable;
}

// Splits off trailing slashes. Returns: the path without them; sets `had_slash`.
std::string_view strip_trailing_slashes(std::string_view path, bool& had_slash) {
  had_slash = false;
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
    had_slash = true;
  }
  return path;
}

}  // namespace

Errno check_path(std::string_view path) {
  if (path.empty()) return Errno::kNoEnt;
  if (path.find('\0') != std::string_view::npos) return Errno::kInval;
  if (path.size() > kMaxPathLength) return Errno::kNameTooLong;
  if (!valid_utf8(path)) return Errno::kIlseq;
  if (path.front() == '/') return Errno::kNotCapable;
  return Errno::kSuccess;
}

Result<UniqueFd> open_beneath(int dirfd, std::string_view path, int flags, mode_t mode) {
  if (Errno e = check_path(path); e != Errno::kSuccess) return e;
  std::string text(path);
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, text.c_str(), &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    int error = errno;
    if (error == EINTR || (error == EAGAIN && attempt < kOpenat2Retries)) continue;
    return errno_from_resolve(error);
  }
}

Result<Location> locate(int dirfd, std::string_view path) {
  if (Errno e = check_path(path); e != Errno::kSuccess) return e;
  Location location;
  std::string_view trimmed = strip_trailing_slashes(path, location.trailing_slash);
  std::size_t slash = trimmed.rfind('/');
  std::string_view parent = slash == std::string_view::npos ? "." : trimmed.substr(0, slash);
  std::string_view leaf = slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1);

  if (leaf == "." || leaf == "..") {
    // The path names a directory through "." or ".."; resolve all of it so that ".." is
    // checked, and let the operation act on that directory's ".".
    auto dir = open_beneath(dirfd, trimmed, O_PATH | O_DIRECTORY);
    if (!dir.ok()) return dir.error();
    location.parent = std::move(dir.value());
    location.leaf = ".";
    location.parent_path = std::string(trimmed);
    return location;
  }
  auto dir = open_beneath(dirfd, parent, O_PATH | O_DIRECTORY);
  if (!dir.ok()) return dir.error();
  location.parent = std::move(dir.value());
  location.leaf = std::string(leaf);
  location.parent_path = std::string(parent);
  return location;
}

Result<Location> locate_following(int dirfd, std::string_view path) {
  std::string current(path);
  for (int hop = 0;; ++hop) {
    auto location = locate(dirfd, current);
    if (!location.ok() || location->leaf == ".") return location;
    char target[PATH_MAX];
    ssize_t n =
        ::readlinkat(location->parent.get(), location->leaf.c_str(), target, sizeof(target));
    // Not a symlink (EINVAL) or not there (ENOENT): this is the final object; the operation
    // that follows reports whatever is wrong with it.
    if (n < 0) return location;
    if (static_cast<std::size_t>(n) >= sizeof(target)) return Errno::kNameTooLong;
    if (hop >= kMaxSymlinkHops) return Errno::kLoop;
    std::string_view contents(target, static_cast<std::size_t>(n));
    if (contents.empty()) return Errno::kNoEnt;
    if (contents.front() == '/') return Errno::kNotCapable;
    std::string next = location->parent_path == "."
                           ? std::string(contents)
                           : location->parent_path + "/" + std::string(contents);
    if (location->trailing_slash) next += "/";
    current = std::move(next);
  }
}

Errno check_symlink_target(int root, int link_parent, std::string_view target) {
  if (target.empty()) return Errno::kNoEnt;
  if (Errno e = check_path(target); e != Errno::kSuccess) return e;
  auto depth = depth_below(root, link_parent);
  if (!depth.ok()) return depth.error();
  int level = depth.value();
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t end = target.find('/', start);
    if (end == std::string_view::npos) end = target.size();
    std::string_view part = target.substr(start, end - start);
    if (part == "..") {
      if (--level < 0) return Errno::kNotCapable;
    } else if (!part.empty() && part != ".") {
      ++level;
    }
    start = end + 1;
  }
  return Errno::kSuccess;
}

}  // namespace lunatic::wasi::sandbox
