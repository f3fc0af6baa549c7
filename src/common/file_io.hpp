// Whole-file reads and atomic whole-file writes, with errors as values.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lunatic {

// Returns: the file's bytes, or kIo naming the file and the reason.
Expected<std::string> read_file(const std::filesystem::path& path);

// Writes to a temporary file in the same directory (created if missing), then renames it
// over `path`: readers see the old file or the new one, never a mix.
Status write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace lunatic
