#include "host/guest_abi.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "common/bounded_text.hpp"
#include "host/environment.hpp"
#include "runtime/process.hpp"

namespace lunatic::host {
namespace {

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra;
    std::uint32_t min;
    std::uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

std::uint64_t add_error(HostContext& context, std::string message) {
  std::string text = bounded_text(std::move(message));
  const std::uint64_t bytes = context.error_bytes.bytes() + error_bytes(text);
  const std::uint64_t id = context.errors.add(std::move(text));
  if (auto held = context.error_bytes.hold(context.budget, bytes, privilege_of(context)); !held) {
    auto refused = context.errors.remove(id);
    fail(fmt::format("cannot keep the error \"{}\": {}", *refused, held.error().message));
  }
  return id;
}

runtime::Clock::time_point deadline_in(std::uint64_t millis) {
  constexpr std::uint64_t kCentury = 100ull * 365 * 24 * 3600 * 1000;
  return runtime::Clock::now() + std::chrono::milliseconds(std::min(millis, kCentury));
}

std::string guest_utf8(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  GuestString string = read_guest_string(context.memory(), ptr, len);
  if (string.status == GuestRead::kOutOfBounds) fail("string out of bounds");
  if (string.status == GuestRead::kTooLong) {
    fail(fmt::format("a string of {} bytes, longer than the {} a name or value may have", len,
                     kMaxGuestString));
  }
  if (!valid_utf8(string.text)) fail("string is not valid UTF-8");
  return std::move(string.text);
}

ProcessConfig& config_of(HostContext& context, std::uint64_t id) {
  ProcessConfig* config = context.configs.get(id);
  if (config == nullptr) fail(fmt::format("config id {} does not exist", id));
  return *config;
}

Privilege privilege_of(const HostContext& context) {
  return context.process != nullptr ? context.process->execution().privilege : Privilege::kNormal;
}

void hold_config_bytes(HostContext& context, std::int64_t change) {
  const std::uint64_t bytes = context.config_bytes.bytes() + change;
  if (auto held = context.config_bytes.hold(context.budget, bytes, privilege_of(context)); !held) {
    fail(fmt::format("its configs would take {} bytes: {}", bytes, held.error().message));
  }
}

void keep_unwinding_unless_trap(const engine::CallOutcome& outcome) {
  switch (outcome.kind) {
    case engine::TrapKind::kKilled:
    case engine::TrapKind::kUpgrade:
      throw engine::GuestTrap{outcome.kind, outcome.message};
    case engine::TrapKind::kExit:
      throw engine::GuestExit{outcome.exit_code};
    default:
      return;
  }
}

void fail_outside_process() { fail("this instance does not run as a lunatic process"); }

}  // namespace lunatic::host
