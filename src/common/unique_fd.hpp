// A host file descriptor with an owner: closed on destruction unless it is borrowed.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace lunatic {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd, bool owned = true) : fd_(fd), owned_(owned) {}
  UniqueFd(UniqueFd&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), owned_(std::exchange(other.owned_, false)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
      owned_ = std::exchange(other.owned_, false);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  bool owned() const { return owned_; }

  // Closes the descriptor if owned and forgets it.
  // Returns: 0, or the errno of a failed close() (the descriptor is gone either way on Linux).
  int close() {
    int error = 0;
    if (fd_ >= 0 && owned_ && ::close(fd_) != 0 && errno != EINTR) error = errno;
    fd_ = -1;
    owned_ = false;
    return error;
  }

  void reset() { close(); }

  // Gives the descriptor up without closing it. Returns: the descriptor (-1 if none).
  int release() {
    owned_ = false;
    return std::exchange(fd_, -1);
  }

 private:
  int fd_ = -1;
  bool owned_ = false;
};

}  // namespace lunatic
