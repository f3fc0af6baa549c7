// A process config as bytes, for a spawn on another node (lunatic::distributed::spawn ships
// the config given, as Lunatic does). Directories cannot travel: a preopen is a directory of
// this machine, so only its guest name goes, and the receiving node grants a directory of its
// own under that name (`lunatic node --dir`), or refuses the spawn.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/error.hpp"
#include "host/process_config.hpp"

namespace lunatic::host {

std::vector<std::uint8_t> encode_config(const ProcessConfig& config);

// Refuses bytes that are not a config this runtime wrote (a peer's bytes are untrusted), and a
// config that names a directory `grants` has no preopen for.
Expected<ProcessConfig> decode_config(std::span<const std::uint8_t> bytes,
                                      std::span<const wasi::Preopen> grants);

}  // namespace lunatic::host
