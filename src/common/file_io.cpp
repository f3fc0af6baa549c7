#include "common/file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lunatic {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int error) {
  return make_error(Errc::kIo, what + " " + path.string() + ": " + std::strerror(error));
}

// Closes the descriptor when it goes out of scope.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

Expected<std::string> read_file(const std::filesystem::path& path) {
  FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open", path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return io_error("cannot stat", path, errno);
  if (S_ISDIR(info.st_mode))
    return make_error(Errc::kIo, "cannot read " + path.string() + ": is a directory");
  std::string bytes;
  bytes.resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read", path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

Expected<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open", path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return io_error("cannot stat", path, errno);
  if (!S_ISREG(info.st_mode))
    return make_error(Errc::kIo, "cannot read " + path.string() + ": not a regular file");
  if (info.st_size == 0) return MappedFile(nullptr, 0);
  // Populated up front: every byte is about to be hashed anyway.
  void* data = ::mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ,
                      MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
  if (data == MAP_FAILED) return io_error("cannot map", path, errno);
  return MappedFile(data, static_cast<size_t>(info.st_size));
}

MappedFile::MappedFile(MappedFile&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

int write_all(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::string temp = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
  FdGuard fd(::mkstemp(temp.data()));
  if (fd.get() < 0) return io_error("cannot create a temporary file for", path, errno);
  if (int error = write_all(fd.get(), bytes); error != 0) {
    ::unlink(temp.c_str());
    return io_error("cannot write", path, error);
  }
  ::fchmod(fd.get(), 0644);
  if (::close(fd.release()) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return io_error("cannot write", path, error);
  }
  return Ok{};
}

}  // namespace lunatic
