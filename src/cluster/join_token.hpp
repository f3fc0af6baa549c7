// The join token: the secret a node shows (`Authorization: Bearer <token>`) to have control
// sign its certificate. Control makes a random one at each start, or takes the one in the
// file given to it (--join-token-file), and writes it to <state dir>/join-token, mode 0600 in
// the 0700 state directory: nodes of the same user on the same machine read it there; nodes
// elsewhere are given it by a channel the operator trusts.
// Thread: any.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lunatic::cluster {

inline constexpr std::string_view kJoinTokenFile = "join-token";
inline constexpr std::size_t kMinJoinTokenLength = 16;

// 32 random bytes, as 64 hex digits.
Expected<std::string> make_join_token();
// The file's first line, without surrounding white space; at least kMinJoinTokenLength long.
Expected<std::string> read_join_token(const std::filesystem::path& file);
// Whether `authorization` (an HTTP Authorization header) is "Bearer <token>". The comparison
// takes the same time wherever the first difference is.
bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace lunatic::cluster
