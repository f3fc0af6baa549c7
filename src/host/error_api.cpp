#include "host/error_api.hpp"

#include <cstring>

#include <fmt/core.h>

#include "host/guest_abi.hpp"

namespace lunatic::host {
namespace {

const std::string& error_of(HostContext& context, std::uint64_t id) {
  const std::string* error = context.errors.get(id);
  if (error == nullptr) fail(fmt::format("error id {} does not exist", id));
  return *error;
}

std::uint32_t error_string_size(HostContext& context, std::uint64_t id) {
  return static_cast<std::uint32_t>(error_of(context, id).size());
}

void error_to_string(HostContext& context, std::uint64_t id, std::uint32_t ptr) {
  const std::string& error = error_of(context, id);
  auto bytes = context.memory().try_bytes(ptr, error.size());
  if (!bytes) fail("buffer out of bounds");
  std::memcpy(bytes->data(), error.data(), error.size());
}

void error_drop(HostContext& context, std::uint64_t id) {
  auto error = context.errors.remove(id);
  if (!error) fail(fmt::format("error id {} does not exist", id));
  // Cannot be refused: it only gives back.
  (void)context.error_bytes.hold(context.budget, context.error_bytes.bytes() - error_bytes(*error),
                                 privilege_of(context));
}

}  // namespace

std::vector<engine::ImportFunction> error_functions() {
  return {
      host_function<&error_string_size, "lunatic::error", "string_size">(),
      host_function<&error_to_string, "lunatic::error", "to_string">(),
      host_function<&error_drop, "lunatic::error", "drop">(),
  };
}

}  // namespace lunatic::host
