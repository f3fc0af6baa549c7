#include "cli/preopen_option.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lunatic::cli {

Expected<wasi::Preopen> parse_preopen(const std::string& option) {
  const size_t colon = option.find(':');
  wasi::Preopen preopen;
  preopen.host_path = option.substr(0, colon);
  preopen.guest_path = colon == std::string::npos ? option : option.substr(colon + 1);
  if (preopen.host_path.empty() || preopen.guest_path.empty()) {
    return make_error(Errc::kInvalidArgument, "--dir expects HOST[:GUEST], got \"" + option + "\"");
  }
  const int fd = ::open(preopen.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(Errc::kIo, "cannot open preopened directory '" + preopen.host_path +
                                     "': " + std::strerror(errno));
  }
  ::close(fd);
  return preopen;
}

}  // namespace lunatic::cli
