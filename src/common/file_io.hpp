// Whole-file reads and atomic whole-file writes, with errors as values.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lunatic {

// Returns: the file's bytes, or kIo naming the file and the reason.
Expected<std::string> read_file(const std::filesystem::path& path);

// A read-only view of a whole file, mapped rather than copied: no zero-filled buffer, and pages
// come from the page cache in batches. Movable, not copyable.
class MappedFile {
 public:
  static Expected<MappedFile> open(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// Writes all of `bytes` to `fd`, retrying short writes and EINTR. Returns the errno on failure.
int write_all(int fd, std::string_view bytes);

// Writes to a temporary file in the same directory (created if missing), then renames it
// over `path`: readers see the old file or the new one, never a mix.
Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace lunatic
