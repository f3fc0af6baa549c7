// The `--dir HOST[:GUEST]` option of `lunatic run` and `lunatic test`.
#pragma once

#include <string>

#include "common/error.hpp"
#include "wasi/wasi_config.hpp"

namespace lunatic::cli {

// HOST[:GUEST]; the guest name defaults to the host path, as in Lunatic and wasmtime. The
// directory is opened now, and what the guest gets is that directory. Refused: an empty part,
// or a host directory that cannot be opened (a typo is reported before anything runs).
Expected<wasi::Preopen> parse_preopen(const std::string& option);

}  // namespace lunatic::cli
