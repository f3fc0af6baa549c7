#include "etcd_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace lunatic::testing {
namespace {

// A port the system had free a moment ago. etcd takes no port 0, so the test picks; the race
// with another program taking it in between is accepted in a test.
int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

bool reap(pid_t pid, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  do {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

}  // namespace

bool EtcdServer::installed() { return ::access(kBinary, X_OK) == 0; }

Expected<std::unique_ptr<EtcdServer>> EtcdServer::start(const std::filesystem::path& dir) {
  const int client_port = free_loopback_port();
  int peer_port = free_loopback_port();
  while (peer_port == client_port) peer_port = free_loopback_port();
  if (client_port <= 0 || peer_port <= 0) return make_error(Errc::kIo, "no free loopback port");
  const std::string client = "http://127.0.0.1:" + std::to_string(client_port);
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port);
  const std::filesystem::path log = dir / "etcd.log";
  std::vector<std::string> args = {kBinary,
                                   "--name=lunatic-test",
                                   "--data-dir=" + (dir / "etcd-data").string(),
                                   "--listen-client-urls=" + client,
                                   "--advertise-client-urls=" + client,
                                   "--listen-peer-urls=" + peer,
                                   "--initial-advertise-peer-urls=" + peer,
                                   "--initial-cluster=lunatic-test=" + peer,
                                   "--initial-cluster-state=new"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return make_error(Errc::kIo, "fork failed");
  if (pid == 0) {
    // The child: its output to the log, then etcd. Only async-signal-safe calls here.
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execv(kBinary, argv.data());
    ::_exit(127);
  }
  std::unique_ptr<EtcdServer> server(new EtcdServer(pid, client_port, log));

  httplib::Client health("127.0.0.1", client_port);
  health.set_connection_timeout(std::chrono::milliseconds(500));
  health.set_read_timeout(std::chrono::seconds(2));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto result = health.Get("/health");
    if (result && result->status == 200 && result->body.find("true") != std::string::npos) {
      return server;
    }
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      server->pid_ = -1;
      return make_error(Errc::kIo, "etcd exited at start:\n" + server->log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error(Errc::kIo, "etcd did not become healthy in 30 s:\n" + server->log_tail());
}

EtcdServer::~EtcdServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!reap(pid_, std::chrono::seconds(10))) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string EtcdServer::log_tail() const {
  std::ifstream file(log_);
  std::stringstream text;
  text << file.rdbuf();
  std::string all = text.str();
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

}  // namespace lunatic::testing
