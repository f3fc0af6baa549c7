// fd_readdir: a snapshot of a directory's entries and their encoding as WASI dirents.
//
// Cookies are positions in the snapshot: entry i has d_next = i + 1, and reading with cookie c
// resumes at entry c. The snapshot is taken when a guest reads from cookie 0 (opendir or
// rewinddir) or when no snapshot exists, so a long directory is read from the host once, not
// once per buffer. "." and ".." come first, as wasi-libc and wasmtime expect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wasi/wasi_types.hpp"

namespace lunatic::wasi {

struct DirRecord {
  std::string name;
  std::uint64_t ino = 0;  // 0 for "..": wasi-libc accepts 0 as "unknown"
  FileType type = FileType::kUnknown;
};

struct DirListing {
  std::vector<DirRecord> records;
};

// Reads every entry of the directory open as `dirfd` (which is not moved: a fresh descriptor
// is opened on ".").
// Returns: ".", "..", then the host entries in host order; or the errno of the failure
// (ENOTDIR when dirfd is not a directory).
Result<DirListing> list_directory(int dirfd);

// Encodes records[cookie...] into `out` as 24-byte dirent headers (d_next u64 @0,
// d_ino u64 @8, d_namlen u32 @16, d_type u8 @20) each followed by the name without a NUL.
// The last record may be cut off when `out` is full; the guest then asks again from that
// record's cookie with a larger buffer.
// Returns: the number of bytes written (less than out.size() only at the end of the listing).
std::size_t encode_dirents(std::span<const DirRecord> records, std::uint64_t cookie,
                           std::span<std::uint8_t> out);

}  // namespace lunatic::wasi
