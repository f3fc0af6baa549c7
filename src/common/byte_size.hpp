// Sizes in bytes as people write and read them: "512M", "4G", "1.5 GiB".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lunatic {

// "1.5 GiB", "64 KiB", "12 B": a size as messages print it (units of 1024).
std::string human_bytes(std::uint64_t bytes);

// A number with an optional unit: K, M, G, T (or KB/KiB, ...; all powers of 1024, any case).
// Returns: the bytes, or nullopt for anything else (or a value past 2^64).
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace lunatic
