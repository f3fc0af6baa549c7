#include "cluster/join_token.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdio>

#include "common/file_io.hpp"

namespace lunatic::cluster {

Expected<std::string> make_join_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return make_error(Errc::kIo, "no random bytes for the join token");
  }
  std::string token;
  for (unsigned char c : bytes) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", c);
    token += pair;
  }
  return token;
}

Expected<std::string> read_join_token(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) return text.error();
  std::string_view token = *text;
  token = token.substr(0, token.find('\n'));
  const auto space = " \t\r";
  const std::size_t first = token.find_first_not_of(space);
  token = first == std::string_view::npos ? std::string_view() : token.substr(first);
  token = token.substr(0, token.find_last_not_of(space) + 1);
  if (token.size() < kMinJoinTokenLength) {
    return make_error(Errc::kInvalidArgument, "the join token in " + file.string() +
                                                  " is shorter than " +
                                                  std::to_string(kMinJoinTokenLength));
  }
  return std::string(token);
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || !authorization.starts_with(kScheme)) return false;
  const std::string_view given = authorization.substr(kScheme.size());
  // The length is no secret (it is fixed for made tokens); the bytes are.
  return given.size() == token.size() &&
         CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

}  // namespace lunatic::cluster
