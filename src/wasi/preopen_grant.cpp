#include "wasi/preopen_grant.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "wasi/errno_map.hpp"
#include "wasi/sandbox.hpp"

namespace lunatic::wasi {
namespace {

// The part of `path` below the preopen named `name`, or nullopt when `name` does not cover it.
std::optional<std::string_view> rest_below(std::string_view name, std::string_view path) {
  while (name.size() > 1 && name.back() == '/') name.remove_suffix(1);
  if (name == ".") {
    if (!path.empty() && path.front() == '/') return std::nullopt;
    return path;
  }
  if (path.substr(0, name.size()) != name) return std::nullopt;
  std::string_view rest = path.substr(name.size());
  if (!rest.empty() && rest.front() != '/' && name != "/") return std::nullopt;
  return rest;
}

Preopen opened(std::string host_path, std::string guest_path, UniqueFd directory) {
  Preopen preopen;
  preopen.host_path = std::move(host_path);
  preopen.guest_path = std::move(guest_path);
  preopen.directory = std::make_shared<const UniqueFd>(std::move(directory));
  return preopen;
}

}  // namespace

Expected<Preopen> open_preopen(const std::string& host_path, const std::string& guest_path) {
  const int fd = ::open(host_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(
        Errc::kIo, "cannot open preopened directory '" + host_path + "': " + std::strerror(errno));
  }
  return opened(host_path, guest_path, UniqueFd(fd));
}

namespace {

struct Match {
  const Preopen* preopen;
  std::string rest;  // below the preopen, "." for the preopen itself
};

// The preopen covering `path` as wasi-libc picks it, and the rest of `path` below it.
Expected<Match> match_preopen(std::span<const Preopen> reachable, std::string_view path) {
  const std::string quoted = "'" + std::string(path) + "'";
  if (path.empty() || path.find('\0') != std::string_view::npos ||
      path.size() > sandbox::kMaxPathLength) {
    return make_error(Errc::kInvalidArgument, quoted + " is not a usable path");
  }
  const Preopen* best = nullptr;
  std::string_view best_rest;
  std::size_t best_length = 0;
  for (const Preopen& preopen : reachable) {
    auto rest = rest_below(preopen.guest_path, path);
    if (!rest) continue;
    // "." matches everything relative, so it loses to any named preopen that also matches.
    const std::size_t length = preopen.guest_path == "." ? 0 : preopen.guest_path.size();
    if (best == nullptr || length > best_length) {
      best = &preopen, best_rest = *rest, best_length = length;
    }
  }
  if (best == nullptr) {
    std::string names;
    for (const Preopen& preopen : reachable)
      names += (names.empty() ? "" : ", ") + preopen.guest_path;
    return make_error(Errc::kInvalidArgument,
                      quoted + " is not inside a directory this process can reach (" +
                          (names.empty() ? "it has none" : "it has " + names) + ")");
  }
  while (!best_rest.empty() && best_rest.front() == '/') best_rest.remove_prefix(1);
  if (!best->directory) {
    return make_error(Errc::kIo, "preopened directory '" + best->host_path + "' was never opened");
  }
  return Match{best, best_rest.empty() ? "." : std::string(best_rest)};
}

}  // namespace

Expected<Preopen> narrow_preopen(std::span<const Preopen> reachable, std::string_view path) {
  const std::string quoted = "'" + std::string(path) + "'";
  auto match = match_preopen(reachable, path);
  if (!match) return match.error();
  const Preopen* best = match->preopen;
  const std::string& rest = match->rest;
  const int root = best->directory->get();
  auto directory = sandbox::open_beneath(root, rest, O_PATH | O_DIRECTORY);
  if (!directory.ok()) {
    const std::string why =
        directory.error() == Errno::kNotCapable
            ? "it leads out of " + best->guest_path
            : std::string("it is not a directory there (") + errno_name(directory.error()) + ")";
    return make_error(Errc::kIo, "cannot preopen " + quoted + ": " + why);
  }
  std::string host_path = best->host_path;
  if (rest != ".") host_path += "/" + rest;
  return opened(std::move(host_path), std::string(path), std::move(*directory));
}

Expected<sandbox::Location> locate_file(std::span<const Preopen> reachable, std::string_view path) {
  const std::string quoted = "'" + std::string(path) + "'";
  auto match = match_preopen(reachable, path);
  if (!match) return match.error();
  auto location = sandbox::locate_following(match->preopen->directory->get(), match->rest);
  if (!location.ok()) {
    const std::string why = location.error() == Errno::kNotCapable
                                ? "it leads out of " + match->preopen->guest_path
                                : std::string(errno_name(location.error()));
    return make_error(Errc::kIo, "cannot reach " + quoted + ": " + why);
  }
  if (location->leaf == "." || location->trailing_slash) {
    return make_error(Errc::kInvalidArgument, quoted + " names a directory, not a file");
  }
  return std::move(*location);
}

}  // namespace lunatic::wasi
