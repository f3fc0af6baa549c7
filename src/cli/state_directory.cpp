#include "cli/state_directory.hpp"

#include <cstdlib>

namespace lunatic::cli {

std::filesystem::path state_home() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
    return std::filesystem::path(state) / "lunatic";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : "/tmp") / ".local/state/lunatic";
}

}  // namespace lunatic::cli
