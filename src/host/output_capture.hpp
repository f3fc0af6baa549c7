// Where a process's standard output and error go when they are not the runtime's own: an
// anonymous in-memory file that collects what a process tree writes (the test mode captures
// each test's output this way). Processes spawned by a captured process write to the same
// capture; the file stays open until the last of them and the reader have let go of it.
// Thread: read() may be called while processes still write; writes append at the file's end.
#pragma once

#include <memory>
#include <string>

#include "common/error.hpp"

namespace lunatic::host {

class OutputCapture {
 public:
  static Expected<std::shared_ptr<OutputCapture>> create();
  ~OutputCapture();
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  // The descriptor a process's fds 1 and 2 stand for.
  int fd() const { return fd_; }
  // Everything written so far.
  std::string read() const;

 private:
  explicit OutputCapture(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace lunatic::host
