#include "common/bounded_text.hpp"

#include <fmt/core.h>

namespace lunatic {

std::string bounded_text(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  const std::string tail = fmt::format("... ({} bytes in all)", text.size());
  std::size_t keep = limit > tail.size() ? limit - tail.size() : 0;
  // Never cut inside a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  text.resize(keep);
  text += tail;
  return text;
}

std::string printable(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && !(keep_newlines && c == '\n')) || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string log_text(std::string_view text, bool keep_newlines, std::size_t limit) {
  return bounded_text(printable(text, keep_newlines), limit);
}

}  // namespace lunatic
