#include "wasi/wasi_context.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasi/errno_map.hpp"
#include "wasi/file_kind.hpp"
#include "wasi/sandbox.hpp"

namespace lunatic::wasi {

namespace {

// Returns: the guest-visible fdflags of a host description's status flags.
FdFlags fdflags_from_host(int status) {
  FdFlags flags = 0;
  if ((status & O_APPEND) != 0) flags |= fdflags::kAppend;
  if ((status & O_DSYNC) != 0) flags |= fdflags::kDsync;
  if ((status & O_SYNC) == O_SYNC) flags |= fdflags::kSync | fdflags::kRsync;
  return flags;
}

// Returns: the entry for a borrowed standard stream, or nothing if it is not open.
std::optional<FdEntry> borrow_std(int host_fd) {
  if (host_fd < 0) return std::nullopt;
  auto kind = probe_host_fd(host_fd);
  if (!kind.ok()) return std::nullopt;
  int status = ::fcntl(host_fd, F_GETFL);
  FdEntry entry;
  entry.host = UniqueFd(host_fd, /*owned=*/false);
  entry.type = kind->type;
  entry.tty = kind->tty;
  entry.socket = kind->socket;
  entry.rights_base = rights_for_kind(*kind);
  entry.rights_inheriting = 0;
  entry.flags = status < 0 ? 0 : fdflags_from_host(status);
  entry.host_nonblocking = status >= 0 && (status & O_NONBLOCK) != 0;
  return entry;
}

}  // namespace

Expected<std::unique_ptr<WasiContext>> WasiContext::create(const WasiConfig& config) {
  std::unique_ptr<WasiContext> context(new WasiContext());
  context->args_ = config.args;
  context->env_ = config.env;

  const int std_fds[3] = {config.stdin_fd, config.stdout_fd, config.stderr_fd};
  for (std::uint32_t i = 0; i < 3; ++i) {
    if (auto entry = borrow_std(std_fds[i])) context->fds_.place(i, std::move(*entry));
  }

  for (const Preopen& preopen : config.preopens) {
    // A granted directory is opened beneath its handle, so each process has a description of
    // its own (its own readdir position) of exactly the directory granted.
    if (!preopen.directory) {
      return make_error(Errc::kIo,
                        "preopened directory '" + preopen.host_path + "' was never opened");
    }
    // The sandbox is openat2 or nothing: without it this fails, and the process does not start.
    auto opened = sandbox::open_beneath(preopen.directory->get(), ".", O_RDONLY | O_DIRECTORY);
    if (!opened.ok()) {
      return make_error(Errc::kIo,
                        "cannot open preopened directory '" + preopen.host_path +
                            "' (sandboxed lookup with openat2): " + errno_name(opened.error()));
    }
    const int fd = opened->release();  // owned by the entry below
    FdEntry entry;
    entry.host = UniqueFd(fd);
    entry.type = FileType::kDirectory;
    entry.rights_base = rights::kDirectory;
    entry.rights_inheriting = rights::kAll;
    entry.preopen = preopen.guest_path;
    auto inserted = context->fds_.insert(std::move(entry));
    if (!inserted.ok()) {
      return make_error(Errc::kIo,
                        "too many preopened directories (at '" + preopen.host_path + "')");
    }
  }

  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
    context->guard_sigpipe_ = false;
  }
  return context;
}

}  // namespace lunatic::wasi
