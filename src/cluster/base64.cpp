#include "cluster/base64.hpp"

#include <array>
#include <cstdint>

namespace lunatic::cluster {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0-63 for an alphabet character, -1 for anything else (including '=').
constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr std::array<std::int8_t, 256> kDecode = make_decode_table();

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group =
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
        static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[group >> 18];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
    out += kAlphabet[group & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2)
      group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[group >> 18];
    out += kAlphabet[(group >> 12) & 63];
    out += rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Expected<std::string> base64_decode(std::string_view text) {
  auto bad = [&](const char* why) {
    return make_error(Errc::kInvalidArgument, std::string("not base64 (") + why + "): \"" +
                                                  std::string(text.substr(0, 64)) +
                                                  (text.size() > 64 ? "...\"" : "\""));
  };
  if (text.size() % 4 != 0) return bad("length is not a multiple of 4");
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const bool pad = last && j >= 4 - padding;
      const std::int8_t digit = pad ? 0 : kDecode[static_cast<unsigned char>(text[i + j])];
      if (digit < 0) return bad("unexpected character");
      group = group << 6 | static_cast<std::uint32_t>(digit);
    }
    out += static_cast<char>(group >> 16);
    if (!last || padding < 2) out += static_cast<char>((group >> 8) & 0xff);
    if (!last || padding < 1) out += static_cast<char>(group & 0xff);
  }
  return out;
}

}  // namespace lunatic::cluster
