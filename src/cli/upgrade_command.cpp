#include "cli/upgrade_command.hpp"

#include <fmt/core.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/diagnostics.hpp"
#include "cli/run_command.hpp"
#include "cli/upgrade_socket.hpp"
#include "common/unique_fd.hpp"

namespace lunatic::cli {
namespace {

Expected<std::string> ask_runtime(const std::string& socket_path, const std::string& request) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof address.sun_path) {
    return make_error(Errc::kInvalidArgument, "the socket path is empty or too long");
  }
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  UniqueFd connection(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (connection.get() < 0 ||
      ::connect(connection.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) !=
          0) {
    return make_error(Errc::kIo, fmt::format("cannot reach a runtime at {}: {}", socket_path,
                                             std::strerror(errno)));
  }
  for (std::string_view left = request; !left.empty();) {
    const ssize_t put = ::send(connection.get(), left.data(), left.size(), MSG_NOSIGNAL);
    if (put <= 0) return make_error(Errc::kIo, "the runtime closed the socket");
    left.remove_prefix(static_cast<std::size_t>(put));
  }
  std::string answer;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(connection.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(got));
  }
  if (answer.empty()) return make_error(Errc::kIo, "the runtime gave no answer");
  return answer;
}

}  // namespace

int upgrade_command(const UpgradeCommandOptions& options) {
  std::error_code error;
  const auto module = std::filesystem::absolute(options.module_path, error);
  if (error || !std::filesystem::is_regular_file(module, error)) {
    print_error(fmt::format("{}: no such file", options.module_path));
    return kExitRuntimeError;
  }
  const auto timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_seconds * 1000.0));
  auto answer = ask_runtime(
      options.socket, upgrade_request_json(module, options.options, timeout, options.all_nodes));
  if (!answer) {
    print_error(answer.error().message);
    return kExitRuntimeError;
  }
  const auto reply = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) {
    print_error("the runtime's answer is not JSON: " + *answer);
    return kExitRuntimeError;
  }
  if (reply.contains("error")) {
    print_error("upgrade refused: " + reply.value("error", std::string()));
    return kExitRuntimeError;
  }
  fmt::print("{}\n", reply.value("summary", std::string()));
  for (const auto& failure : reply.value("failures", nlohmann::json::array())) {
    if (failure.is_string()) fmt::print("  {}\n", failure.get<std::string>());
  }
  return reply.value("ok", false) ? 0 : kExitRuntimeError;
}

}  // namespace lunatic::cli
