#include "shared/etcd_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "cluster/store_client.hpp"

extern char** environ;

namespace lunatic::cluster::testing {
namespace {

constexpr std::chrono::seconds kStartLimit{20};  // a single member elects itself in ~1 s

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "lunatic-etcd-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

}  // namespace

std::uint16_t free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  std::uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

Expected<std::unique_ptr<EtcdServer>> EtcdServer::start(const std::filesystem::path& dir) {
  if (access(kBinary, X_OK) != 0) {
    return make_error(Errc::kIo, std::string(kBinary) +
                                     " is missing: the cluster tests need Debian's etcd-server; "
                                     "run scripts/install-deps.sh");
  }
  std::unique_ptr<EtcdServer> server(new EtcdServer());
  if (dir.empty()) {
    server->dir_ = make_temp_dir();
    if (server->dir_.empty()) return make_error(Errc::kIo, "cannot create a temporary directory");
    server->owns_dir_ = true;
  } else {
    std::error_code failed;
    std::filesystem::create_directories(dir, failed);
    if (failed)
      return make_error(Errc::kIo, "cannot create " + dir.string() + ": " + failed.message());
    server->dir_ = dir;
  }
  // Another process may take a port between its release and etcd's bind: try a few pairs.
  Status started = make_error(Errc::kIo, "not started");
  for (int attempt = 0; attempt < 3 && !started; ++attempt) {
    server->client_port_ = free_loopback_port();
    server->peer_port_ = free_loopback_port();
    started = server->launch();
    if (started) started = server->wait_until_ready(kStartLimit);
    if (!started) server->stop_process(SIGKILL, std::chrono::milliseconds(0));
  }
  if (!started) return started.error();
  return server;
}

EtcdServer::~EtcdServer() {
  stop_process(SIGTERM, std::chrono::milliseconds(2000));
  std::error_code ignored;
  if (owns_dir_) std::filesystem::remove_all(dir_, ignored);
}

std::string EtcdServer::url() const { return "http://127.0.0.1:" + std::to_string(client_port_); }

void EtcdServer::kill() { stop_process(SIGKILL, std::chrono::milliseconds(0)); }

Status EtcdServer::restart() {
  if (auto launched = launch(); !launched) return launched;
  return wait_until_ready(kStartLimit);
}

std::string EtcdServer::log() const {
  std::ifstream in(dir_ / "etcd.log");
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 4000 ? "..." + all.substr(all.size() - 4000) : all;
}

Status EtcdServer::launch() {
  const std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args = {kBinary,
                                   "--name=test",
                                   "--data-dir=" + (dir_ / "data").string(),
                                   "--listen-client-urls=" + client,
                                   "--advertise-client-urls=" + client,
                                   "--listen-peer-urls=" + peer,
                                   "--initial-advertise-peer-urls=" + peer,
                                   "--initial-cluster=test=" + peer,
                                   "--logger=zap"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log_path = (dir_ / "etcd.log").string();
  // Opened before the fork: the child may only make async-signal-safe calls (this process has
  // threads).
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return make_error(Errc::kIo, "cannot open " + log_path + ": " + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    // etcd dies with the test, even one that crashes before its destructors run.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(kBinary, argv.data(), environ);
    _exit(127);
  }
  const int fork_errno = errno;
  close(log_fd);
  if (child < 0) {
    return make_error(Errc::kIo,
                      std::string("cannot start ") + kBinary + ": " + std::strerror(fork_errno));
  }
  pid_ = child;
  return Ok{};
}

Status EtcdServer::wait_until_ready(std::chrono::seconds limit) {
  StoreOptions options;
  options.connect_timeout = std::chrono::milliseconds(200);
  options.request_timeout = std::chrono::milliseconds(500);
  const StoreClient store(StoreEndpoint{"127.0.0.1", client_port_}, options);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return make_error(Errc::kIo, "etcd exited at start; its log:\n" + log());
    }
    auto answer = store.range_prefix("/ready-probe/");
    if (answer) return Ok{};
    last = answer.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return make_error(Errc::kIo, "etcd did not answer within " + std::to_string(limit.count()) +
                                   " s (" + last + "); its log:\n" + log());
}

void EtcdServer::stop_process(int signal, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &wstatus, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

}  // namespace lunatic::cluster::testing
