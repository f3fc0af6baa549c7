#include "cli/upgrade_socket.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli/module_upgrader.hpp"

namespace lunatic::cli {
namespace {

constexpr std::size_t kMaxRequestBytes = 64 * 1024;
constexpr int kRequestTimeoutMs = 5000;  // a client that sends nothing is dropped

Expected<sockaddr_un> socket_address(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.empty() || text.size() >= sizeof address.sun_path) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("upgrade socket path '{}' is empty or longer than {} bytes", text,
                                  sizeof address.sun_path - 1));
  }
  std::memcpy(address.sun_path, text.data(), text.size());
  return address;
}

// Whether something listens at the socket file `path`.
bool someone_listens(const sockaddr_un& address) {
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe.get() >= 0 &&
         ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

// One line from `fd`, waiting at most kRequestTimeoutMs in all; nullopt when none came.
std::optional<std::string> read_line(int fd) {
  std::string line;
  char buffer[4096];
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
  while (line.size() < kMaxRequestBytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd descriptor{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) {
      return std::nullopt;
    }
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) return line.empty() ? std::nullopt : std::optional(line);
    line.append(buffer, static_cast<std::size_t>(got));
    if (const auto end = line.find('\n'); end != std::string::npos) return line.substr(0, end);
  }
  return std::nullopt;
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    // A client that went away is an EPIPE, not a SIGPIPE for the runtime.
    const ssize_t put = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (put <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(put));
  }
}

struct UpgradeRequest {
  std::filesystem::path module;
  host::UpgradeOptions options;
  std::chrono::milliseconds timeout;  // for the processes, once the module is loaded
  bool all_nodes = false;
};

Expected<UpgradeRequest> parse_request(const std::string& line) {
  const auto request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || !request.contains("module") || !request["module"].is_string()) {
    return make_error(Errc::kInvalidArgument, "the request is not {\"module\": PATH, ...}");
  }
  host::UpgradeOptions options;
  options.purge = request.value("purge", false);
  options.restart = request.value("restart", false);
  const std::int64_t timeout_ms = request.value("timeout_ms", std::int64_t{10000});
  if (timeout_ms < 0) return make_error(Errc::kInvalidArgument, "timeout_ms is negative");
  return UpgradeRequest{request["module"].get<std::string>(), options,
                        std::chrono::milliseconds(timeout_ms), request.value("all_nodes", false)};
}

}  // namespace

std::string upgrade_request_json(const std::filesystem::path& module,
                                 const host::UpgradeOptions& options,
                                 std::chrono::milliseconds timeout, bool all_nodes) {
  return nlohmann::json{{"module", module.string()},
                        {"purge", options.purge},
                        {"restart", options.restart},
                        {"timeout_ms", timeout.count()},
                        {"all_nodes", all_nodes}}
             .dump() +
         "\n";
}

std::string upgrade_answer_json(const Expected<host::UpgradeReport>& result) {
  nlohmann::json answer;
  if (!result) {
    answer = {{"ok", false}, {"error", result.error().message}};
  } else {
    answer = {{"ok", result->complete()},       {"upgraded", result->upgraded},
              {"failed", result->failed},       {"timed_out", result->timed_out},
              {"restarted", result->restarted}, {"purged", result->purged},
              {"failures", result->failures},   {"summary", result->summary()}};
  }
  return answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Expected<std::unique_ptr<UpgradeSocket>> UpgradeSocket::start(const std::filesystem::path& path,
                                                              ModuleUpgrader& upgrader) {
  auto address = socket_address(path);
  if (!address) return address.error();
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("{} exists and is not a socket", path.string()));
    }
    if (someone_listens(*address)) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("another runtime listens at {}", path.string()));
    }
    ::unlink(path.c_str());  // left by a run that is gone
  }
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0)
    return make_error(Errc::kIo, fmt::format("socket: {}", std::strerror(errno)));
  const mode_t old_mask = ::umask(0177);  // owner-only from the start, no window
  const int bound =
      ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (bound != 0 || ::listen(listener.get(), 16) != 0) {
    return make_error(Errc::kIo, fmt::format("cannot listen at {}: {}", path.string(),
                                             std::strerror(bound != 0 ? bind_errno : errno)));
  }
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  if (stop.get() < 0)
    return make_error(Errc::kIo, fmt::format("eventfd: {}", std::strerror(errno)));
  std::unique_ptr<UpgradeSocket> socket(
      new UpgradeSocket(path, std::move(listener), std::move(stop), upgrader));
  socket->thread_ = std::thread([raw = socket.get()] { raw->serve(); });
  return socket;
}

UpgradeSocket::UpgradeSocket(std::filesystem::path path, UniqueFd listener, UniqueFd stop,
                             ModuleUpgrader& upgrader)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      stop_(std::move(stop)),
      upgrader_(upgrader) {}

UpgradeSocket::~UpgradeSocket() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(stop_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::unlink(path_.c_str());
}

void UpgradeSocket::serve() {
  for (;;) {
    pollfd descriptors[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(descriptors, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (descriptors[1].revents != 0) return;
    UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.get() >= 0) answer(connection.get());
  }
}

void UpgradeSocket::answer(int connection) {
  const auto line = read_line(connection);
  if (!line) return;
  auto request = parse_request(*line);
  if (!request) {
    write_all(connection, upgrade_answer_json(request.error()));
    return;
  }
  auto result = upgrader_.upgrade_from(request->module, request->options, request->timeout,
                                       request->all_nodes);
  write_all(connection, upgrade_answer_json(result));
}

}  // namespace lunatic::cli
