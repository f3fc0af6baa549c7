#include "wasi/readdir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/unique_fd.hpp"
#include "wasi/errno_map.hpp"
#include "wasi/file_kind.hpp"

namespace lunatic::wasi {

namespace {

FileType type_from_dirent(unsigned char d_type) {
  switch (d_type) {
    case DT_BLK:
      return FileType::kBlockDevice;
    case DT_CHR:
      return FileType::kCharacterDevice;
    case DT_DIR:
      return FileType::kDirectory;
    case DT_REG:
      return FileType::kRegularFile;
    case DT_LNK:
      return FileType::kSymbolicLink;
    case DT_SOCK:
      return FileType::kSocketStream;
    default:
      return FileType::kUnknown;  // FIFOs have no WASI type
  }
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

}  // namespace

Result<DirListing> list_directory(int dirfd) {
  struct stat self {};
  if (::fstat(dirfd, &self) != 0) return errno_from_host(errno);
  if (!S_ISDIR(self.st_mode)) return Errno::kNotDir;

  // A descriptor of our own, so the guest's descriptor keeps its offset and flags.
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_from_host(errno);
  DIR* raw = ::fdopendir(fd);
  if (raw == nullptr) {
    int error = errno;
    ::close(fd);
    return errno_from_host(error);
  }
  std::unique_ptr<DIR, DirCloser> dir(raw);

  DirListing listing;
  listing.records.push_back({".", static_cast<std::uint64_t>(self.st_ino), FileType::kDirectory});
  listing.records.push_back({"..", 0, FileType::kDirectory});
  for (;;) {
    errno = 0;
    struct dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return errno_from_host(errno);
      break;
    }
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    DirRecord record{entry->d_name, static_cast<std::uint64_t>(entry->d_ino),
                     type_from_dirent(entry->d_type)};
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(dir.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        record.type = file_type_from_mode(st.st_mode);
      }
    }
    listing.records.push_back(std::move(record));
  }
  return listing;
}

std::size_t encode_dirents(std::span<const DirRecord> records, std::uint64_t cookie,
                           std::span<std::uint8_t> out) {
  std::size_t used = 0;
  for (std::uint64_t i = cookie; i < records.size() && used < out.size(); ++i) {
    const DirRecord& record = records[static_cast<std::size_t>(i)];
    std::uint8_t header[kDirentSize] = {};
    std::span<std::uint8_t> header_span(header);
    layout::put<std::uint64_t>(header_span, 0, i + 1);
    layout::put<std::uint64_t>(header_span, 8, record.ino);
    layout::put<std::uint32_t>(header_span, 16, static_cast<std::uint32_t>(record.name.size()));
    layout::put<std::uint8_t>(header_span, 20, static_cast<std::uint8_t>(record.type));

    // SAFETY: every copy is cut to what is left of `out` (used <= out.size() throughout).
    std::size_t n = std::min(kDirentSize, out.size() - used);
    std::memcpy(out.data() + used, header, n);
    used += n;
    n = std::min(record.name.size(), out.size() - used);
    std::memcpy(out.data() + used, record.name.data(), n);
    used += n;
  }
  return used;
}

}  // namespace lunatic::wasi
