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

}  // namespace lunatic
