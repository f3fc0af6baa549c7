// Granting directories: the command line's --dir, and a process passing part of what it can
// reach to a child (lunatic::wasi::config_preopen_dir). Capabilities only shrink: a grant made
// by a process names a directory inside one of its own preopens, resolved with the sandbox's
// rules (no "..", absolute path or symlink leads out), and is held as an open directory, so
// renaming or replacing the path afterwards changes nothing.
// Thread: any; these functions hold no state.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "wasi/sandbox.hpp"
#include "wasi/wasi_config.hpp"

namespace lunatic::wasi {

// The host directory `host_path`, seen by the guest as `guest_path` (the command line's grant).
// Returns: the preopen, or kIo naming the directory and the reason it cannot be opened.
Expected<Preopen> open_preopen(const std::string& host_path, const std::string& guest_path);

// The directory a process names `path` in its own view, as a preopen the child sees under the
// same name. `path` is matched against the guest names of `reachable` as wasi-libc matches
// paths against preopens (the longest name that is `path` or a prefix of it up to a "/"; a
// preopen named "." matches every relative path), and the rest is opened beneath that preopen.
// Returns: the preopen; kInvalidArgument when `path` is not usable (empty, a NUL, not UTF-8) or
// matches no preopen; kIo when the rest leads out of the preopen or is not an existing
// directory (the message says which).
Expected<Preopen> narrow_preopen(std::span<const Preopen> reachable, std::string_view path);

// Where the file a process names `path` in its own view lies: `path` is matched against the
// guest names of `reachable` as narrow_preopen does, and the rest is located beneath that
// preopen with the sandbox's rules, symlinks followed while they stay inside. The file itself
// need not exist (a database being created).
// Returns: its parent directory (held open) and last component; kInvalidArgument when `path`
// is not usable, matches no preopen or names a directory; kIo when it leads out of the preopen
// or its parent cannot be opened (the message says which).
Expected<sandbox::Location> locate_file(std::span<const Preopen> reachable, std::string_view path);

}  // namespace lunatic::wasi
