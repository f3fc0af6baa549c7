// Test support: WebAssembly text to binary, with libwabt's parser, so tests can state the
// modules they run. Throws std::runtime_error when the text does not parse.
#pragma once

#include <string>
#include <string_view>

namespace lunatic::testing {

// `validate` = false skips validation, to produce deliberately invalid modules.
std::string wat_to_wasm(std::string_view wat, bool validate = true);

}  // namespace lunatic::testing
