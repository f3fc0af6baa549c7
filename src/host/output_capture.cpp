#include "host/output_capture.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lunatic::host {

Expected<std::shared_ptr<OutputCapture>> OutputCapture::create() {
  // A memory file, not a pipe: a writer never blocks on a full pipe, and nothing has to drain
  // it while the processes run.
  const int fd = ::memfd_create("lunatic-output", MFD_CLOEXEC);
  if (fd < 0)
    return make_error(Errc::kIo, std::string("cannot capture output: ") + std::strerror(errno));
  // Every write lands at the end, whichever process makes it.
  ::fcntl(fd, F_SETFL, O_APPEND);
  return std::shared_ptr<OutputCapture>(new OutputCapture(fd));
}

OutputCapture::~OutputCapture() { ::close(fd_); }

std::string OutputCapture::read() const {
  std::string text;
  char buffer[16384];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd_, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  return text;
}

}  // namespace lunatic::host
