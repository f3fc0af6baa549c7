// Files only their owner may read: the CA's key and the join token. Written through a
// temporary file that is 0600 from its creation, then renamed, so no reader ever sees the
// secret with wider rights or half written.
// Thread: any.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/error.hpp"

namespace lunatic::cluster {

// Makes `dir` (and its parents) if missing and sets it to 0700.
Status make_private_directory(const std::filesystem::path& dir);

// Replaces `path` with `bytes`, mode 0600. The directory must exist.
Status write_private_file(const std::filesystem::path& path, std::string_view bytes);

// kInvalidArgument when group or others may read or write `path`.
Status check_private_file(const std::filesystem::path& path);

}  // namespace lunatic::cluster
