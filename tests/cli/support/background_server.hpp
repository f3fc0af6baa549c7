// A server started in the background for CLI tests of network examples: `lunatic run ...` in
// its own process group, its stdout read until it says where it listens; stopped (the whole
// group killed) when the object goes. And a small blocking TCP client with timeouts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cli_test {

class BackgroundServer {
 public:
  // Starts argv (argv[0] an absolute path) with `env` added to this process's environment and
  // waits up to `startup` for a stdout line containing "listening on ...:PORT".
  BackgroundServer(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   std::chrono::seconds startup);
  ~BackgroundServer();
  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;

  // The port it announced, or nullopt if it did not start (see output()).
  std::optional<std::uint16_t> port() const { return port_; }
  // What it printed before the announcement (or before it gave up).
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::optional<std::uint16_t> port_;
  std::string output_;
};

// A blocking TCP connection to 127.0.0.1:port whose reads give up after a timeout.
class TestClient {
 public:
  explicit TestClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view data);
  // Reads until `expected_size` bytes have come, the peer closes, or the timeout passes.
  std::string receive(std::size_t expected_size);
  // Reads until `text` ends what has come (or the peer closes, or the timeout passes).
  std::string receive_until(std::string_view text);
  void close();

 private:
  int fd_ = -1;
};

}  // namespace cli_test
