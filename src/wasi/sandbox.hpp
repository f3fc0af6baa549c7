// Path resolution that cannot leave a directory descriptor.
//
// Every path a guest passes is resolved beneath the directory fd it names with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): absolute paths, ".." above the start,
// and symlinks (absolute, or relative ones that climb out, directly or through a chain) all
// fail in the kernel with EXDEV, which becomes ENOTCAPABLE. Operations on the last component
// (unlink, mkdir, rename, symlink, readlink, lstat, link, utimens) use the *at() calls on a
// parent directory opened that way, with the last component never followed by the kernel;
// when a caller asks to follow it, the symlink is chased here, one openat2 per step.
//
// Thread: any; these functions hold no state.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/unique_fd.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::wasi::sandbox {

// Longest path accepted from a guest (the kernel's PATH_MAX, including room for the NUL).
inline constexpr std::size_t kMaxPathLength = 4095;
// How many symlinks a chase may cross before ELOOP (the kernel's own limit).
inline constexpr int kMaxSymlinkHops = 40;

// Returns: success for a usable guest path; ENOENT for "", EINVAL for one with a NUL byte,
// EILSEQ for invalid UTF-8, ENAMETOOLONG beyond kMaxPathLength, ENOTCAPABLE for an
// absolute path.
Errno check_path(std::string_view path);

// Opens `path` beneath `dirfd` with `flags` (O_CLOEXEC is added) and `mode` (only used with
// O_CREAT).
// Returns: the new descriptor, or the errno; an escape is ENOTCAPABLE.
Result<UniqueFd> open_beneath(int dirfd, std::string_view path, int flags, mode_t mode = 0);

// The directory holding a path's last component, and that component.
struct Location {
  UniqueFd parent;   // O_PATH directory beneath the start directory
  std::string leaf;  // never empty, never ".."; "." when the path names a directory itself
  bool trailing_slash = false;  // the path ended in "/": it must name a directory
  std::string parent_path;      // the guest's text for `parent`, relative to the start
};

// Splits `path` and opens its parent beneath `dirfd`. A last component of "." or ".." is
// resolved as a whole (so "a/.." is checked against escapes) and reported as leaf "." of that
// directory.
// Returns: the location, or the errno of check_path or of opening the parent.
Result<Location> locate(int dirfd, std::string_view path);

// Like locate, but while the last component is a symlink, follows it (relative targets only;
// an absolute target is ENOTCAPABLE), so the result names the final object.
// Returns: the location of the final object (which may not exist), or the errno; ELOOP after
// kMaxSymlinkHops.
Result<Location> locate_following(int dirfd, std::string_view path);

// Checks that a symlink with contents `target`, created in the directory `link_parent`, would
// stay beneath `root` when followed: `target` must be relative and, read from the link's real
// depth below `root`, may not climb above it.
// Returns: success; ENOENT for an empty target, EINVAL/EILSEQ for a bad string, ENOTCAPABLE
// when it would escape.
Errno check_symlink_target(int root, int link_parent, std::string_view target);

}  // namespace lunatic::wasi::sandbox
