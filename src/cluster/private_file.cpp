#include "cluster/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/file_io.hpp"
#include "common/unique_fd.hpp"

namespace lunatic::cluster {
namespace {

Error io_error(std::string_view what, const std::filesystem::path& path, int error) {
  return make_error(Errc::kIo,
                    std::string(what) + " " + path.string() + ": " + std::strerror(error));
}

}  // namespace

Status make_private_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create the directory", dir, ec.value());
  if (::chmod(dir.c_str(), 0700) != 0) return io_error("cannot chmod 0700", dir, errno);
  return Ok{};
}

Status write_private_file(const std::filesystem::path& path, std::string_view bytes) {
  std::string temp = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
  // mkstemp creates the file 0600 (glibc, and POSIX since 2008).
  UniqueFd fd(::mkstemp(temp.data()));
  if (!fd.valid()) return io_error("cannot create a temporary file for", path, errno);
  int error = write_all(fd.get(), bytes);
  if (error == 0 && ::fchmod(fd.get(), 0600) != 0) error = errno;
  if (error == 0 && ::fsync(fd.get()) != 0) error = errno;
  if (error == 0) error = fd.close();
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temp.c_str());
    return io_error("cannot write", path, error);
  }
  return Ok{};
}

Status check_private_file(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return io_error("cannot stat", path, errno);
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(info.st_mode & 0777));
    return make_error(Errc::kInvalidArgument, path.string() + " has mode " + mode +
                                                  ": other users may read it; chmod 600 it");
  }
  return Ok{};
}

}  // namespace lunatic::cluster
