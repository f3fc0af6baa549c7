// What the `lunatic` command itself says on stderr: errors and warnings, cut to
// kMaxDiagnosticBytes (a module's validation errors or its compiler's output can be huge), with
// control characters other than newlines shown as \xNN (names in a module are its author's).
#pragma once

#include <string>

#include "common/error.hpp"

namespace lunatic::cli {

// "lunatic: error: <text>"
void print_error(std::string text);
// "lunatic: error: <code name>: <message>", for an Error from the engine.
void print_error(const Error& error);
// "lunatic: warning: <text>"
void print_warning(std::string text);

}  // namespace lunatic::cli
