#include "cli/preopen_option.hpp"

#include "wasi/preopen_grant.hpp"

namespace lunatic::cli {

Expected<wasi::Preopen> parse_preopen(const std::string& option) {
  const size_t colon = option.find(':');
  const std::string host_path = option.substr(0, colon);
  const std::string guest_path = colon == std::string::npos ? option : option.substr(colon + 1);
  if (host_path.empty() || guest_path.empty()) {
    return make_error(Errc::kInvalidArgument, "--dir expects HOST[:GUEST], got \"" + option + "\"");
  }
  return wasi::open_preopen(host_path, guest_path);
}

}  // namespace lunatic::cli
