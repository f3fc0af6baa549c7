// Test support shared by the unit and the command-line tests: a directory of a test's own under
// the system's temporary directory ($TMPDIR, else /tmp), removed with everything in it when the
// TempDir goes, so no test leaves files behind however it ends.
// Thread: one thread at a time.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace lunatic::testing {

class TempDir {
 public:
  // Makes <temporary directory>/<prefix>-XXXXXX. Its path is resolved, as the temporary
  // directory may be reached through a symbolic link. Throws std::system_error on failure.
  explicit TempDir(std::string_view prefix = "lunatic-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / prefix).string() + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = std::filesystem::canonical(pattern);
  }
  ~TempDir() {
    std::error_code ignored;  // what cannot be removed stays: a destructor does not throw
    if (!kept_) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside, as the string system calls and WASI services take.
  std::string operator/(std::string_view name) const { return (path_ / name).string(); }
  // Leaves the directory in place: a failed test's files, for a look afterwards.
  void keep() { kept_ = true; }

  // Makes, inside, by relative name; each throws when it cannot.
  void mkdir(std::string_view name) const { std::filesystem::create_directory(path_ / name); }
  void write(std::string_view name, std::string_view contents) const {
    std::ofstream file(path_ / name, std::ios::binary | std::ios::trunc);
    file.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!file.flush()) throw std::runtime_error("cannot write " + *this / name);
  }
  void symlink(const std::filesystem::path& target, std::string_view name) const {
    std::filesystem::create_symlink(target, path_ / name);
  }
  // Whether `name` is there; a symbolic link counts even when what it names is not.
  bool exists(std::string_view name) const {
    return std::filesystem::exists(std::filesystem::symlink_status(path_ / name));
  }

 private:
  std::filesystem::path path_;
  bool kept_ = false;
};

}  // namespace lunatic::testing
