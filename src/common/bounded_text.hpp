// Diagnostics that cannot flood: every message the runtime logs, or hands to a guest as an
// error, is cut to a sane length. A guest controls much of what goes into them (names, counts,
// compiler output about its module), and one trap line of megabytes helps nobody.
// Thread: any; these functions hold no state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lunatic {

// The longest diagnostic the runtime writes or hands out in one piece, in bytes.
inline constexpr std::size_t kMaxDiagnosticBytes = 2048;

// Returns: `text` itself when it fits in `limit` bytes; otherwise its start, cut at a UTF-8
// character boundary, then "... (N bytes in all)", the whole no longer than `limit`.
std::string bounded_text(std::string text, std::size_t limit = kMaxDiagnosticBytes);

// `text` as a terminal shows it as it is: control characters (newlines unless kept, escapes,
// ...) become \xNN, so a guest-chosen name cannot forge a log line or drive the terminal.
std::string printable(std::string_view text, bool keep_newlines = false);

// printable, then bounded_text: what the runtime writes of a message on its log.
std::string log_text(std::string_view text, bool keep_newlines = false,
                     std::size_t limit = kMaxDiagnosticBytes);

}  // namespace lunatic
