// Where `lunatic node` and `lunatic control` keep their state (keys, certificates, the join
// token) when not told: $XDG_STATE_HOME/lunatic, else ~/.local/state/lunatic.
#pragma once

#include <filesystem>

namespace lunatic::cli {

std::filesystem::path state_home();

}  // namespace lunatic::cli
