// Standard base64 (RFC 4648, with padding): etcd's JSON gateway carries every key and value
// as base64 text.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lunatic::cluster {

std::string base64_encode(std::string_view bytes);

// Strict: the length is a multiple of four, padding only at the end, no whitespace. Anything
// else is kInvalidArgument, so a damaged reply is an error rather than a wrong key.
Expected<std::string> base64_decode(std::string_view text);

}  // namespace lunatic::cluster
