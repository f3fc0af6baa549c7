#include "cli/diagnostics.hpp"

#include <fmt/core.h>

#include "common/bounded_text.hpp"

namespace lunatic::cli {

void print_error(std::string text) {
  fmt::print(stderr, "lunatic: error: {}\n", log_text(text, /*keep_newlines=*/true));
}

void print_error(const Error& error) {
  print_error(std::string(errc_name(error.code)) + ": " + error.message);
}

void print_warning(std::string text) {
  fmt::print(stderr, "lunatic: warning: {}\n", log_text(text, /*keep_newlines=*/true));
}

}  // namespace lunatic::cli
