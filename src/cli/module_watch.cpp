#include "cli/module_watch.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "cli/module_upgrader.hpp"

namespace lunatic::cli {
namespace {

constexpr int kQuietMs = 200;  // a build writes in pieces: wait until it stops
constexpr auto kUpgradeTimeout = std::chrono::seconds(10);

}  // namespace

Expected<std::unique_ptr<ModuleWatch>> ModuleWatch::start(const std::filesystem::path& module,
                                                          ModuleUpgrader& upgrader) {
  const std::filesystem::path absolute = std::filesystem::absolute(module);
  UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (inotify.get() < 0) {
    return make_error(Errc::kIo, fmt::format("inotify: {}", std::strerror(errno)));
  }
  const std::string folder = absolute.parent_path().string();
  if (::inotify_add_watch(inotify.get(), folder.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    return make_error(Errc::kIo, fmt::format("cannot watch {}: {}", folder, std::strerror(errno)));
  }
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  if (stop.get() < 0)
    return make_error(Errc::kIo, fmt::format("eventfd: {}", std::strerror(errno)));
  std::unique_ptr<ModuleWatch> watch(
      new ModuleWatch(absolute, std::move(inotify), std::move(stop), upgrader));
  watch->thread_ = std::thread([raw = watch.get()] { raw->watch(); });
  return watch;
}

ModuleWatch::ModuleWatch(std::filesystem::path module, UniqueFd inotify, UniqueFd stop,
                         ModuleUpgrader& upgrader)
    : module_(std::move(module)),
      inotify_(std::move(inotify)),
      stop_(std::move(stop)),
      upgrader_(upgrader) {}

ModuleWatch::~ModuleWatch() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(stop_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

bool ModuleWatch::names_module(const char* buffer, std::size_t length) const {
  const std::string name = module_.filename().string();
  bool named = false;
  for (std::size_t offset = 0; offset + sizeof(inotify_event) <= length;) {
    const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
    if (event->len != 0 && name == event->name) named = true;
    offset += sizeof(inotify_event) + event->len;
  }
  return named;
}

void ModuleWatch::watch() {
  alignas(inotify_event) char buffer[4096];
  bool changed = false;
  for (;;) {
    pollfd descriptors[2] = {{inotify_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    const int ready = ::poll(descriptors, 2, changed ? kQuietMs : -1);
    if (ready < 0 && errno != EINTR) return;
    if (descriptors[1].revents != 0) return;
    if (ready > 0 && descriptors[0].revents != 0) {
      const ssize_t got = ::read(inotify_.get(), buffer, sizeof buffer);
      if (got > 0 && names_module(buffer, static_cast<std::size_t>(got))) changed = true;
      continue;  // wait for quiet
    }
    if (!changed) continue;
    changed = false;
    auto result = upgrader_.upgrade_from(module_, {}, kUpgradeTimeout);
    if (!result) {
      fmt::print(stderr, "lunatic: --watch: {} changed; not upgraded: {}\n",
                 module_.filename().string(), result.error().message);
    } else {
      fmt::print(stderr, "lunatic: --watch: {} changed; {}\n", module_.filename().string(),
                 result->summary());
    }
  }
}

}  // namespace lunatic::cli
