#include "host/version_api.hpp"

#include "host/guest_abi.hpp"

namespace lunatic::host {
namespace {

// The Lunatic release whose ABI this runtime implements.
std::uint32_t version_major(HostContext&) { return 0; }
std::uint32_t version_minor(HostContext&) { return 13; }
std::uint32_t version_patch(HostContext&) { return 2; }

}  // namespace

std::vector<engine::ImportFunction> version_functions() {
  return {
      host_function<&version_major, "lunatic::version", "major">(),
      host_function<&version_minor, "lunatic::version", "minor">(),
      host_function<&version_patch, "lunatic::version", "patch">(),
  };
}

}  // namespace lunatic::host
