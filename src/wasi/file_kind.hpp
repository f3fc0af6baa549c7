// What a host descriptor is, in WASI terms: its filetype, its stat, and the rights that make
// sense for it.
#pragma once

#include <sys/stat.h>

#include "wasi/wasi_types.hpp"

namespace lunatic::wasi {

// Returns: the WASI filetype of a host st_mode (FIFOs, which WASI cannot name, are kUnknown;
// sockets are kSocketStream unless the caller knows better).
FileType file_type_from_mode(mode_t mode);

// Returns: the WASI filestat of a host stat.
Filestat filestat_from_stat(const struct stat& st);

// Describes an open host descriptor.
struct HostKind {
  FileType type = FileType::kUnknown;
  bool tty = false;
  bool socket = false;
};

// Returns: the kind of `fd` (sockets are told apart into stream and datagram), or the errno of
// a failed fstat.
Result<HostKind> probe_host_fd(int fd);

// Returns: the base rights a descriptor of this kind can usefully hold.
Rights rights_for_kind(const HostKind& kind);

// Returns: true when reads and writes on this kind never wait (regular files, directories and
// block devices), so no readiness wait is needed before them.
bool always_ready(FileType type);

}  // namespace lunatic::wasi
