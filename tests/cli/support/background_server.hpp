// A server started in the background for CLI tests of network examples and clusters:
// `lunatic run ...` (or `lunatic node`, `lunatic control`) in its own process group, its stdout
// read until it says where it listens; stopped (the whole group killed) when the object goes.
// And a small blocking TCP client with timeouts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli_test {

class BackgroundServer {
 public:
  static constexpr const char* kListening = R"(listening on \D*[0-9.]+:([0-9]+))";

  // Starts argv (argv[0] an absolute path) with `env` added to this process's environment and
  // waits up to `startup` for stdout to match `announcement`, whose first group is the port.
  BackgroundServer(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   std::chrono::seconds startup, const std::string& announcement = kListening,
                   bool with_stderr = false);  // stderr into the same pipe as stdout
  ~BackgroundServer();
  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;

  // The process's id (its group's too).
  pid_t pid() const { return pid_; }
  // The port it announced, or nullopt if it did not start (see output()).
  std::optional<std::uint16_t> port() const { return port_; }
  // What it has printed so far (up to the announcement, and what wait_for_output read since).
  const std::string& output() const { return output_; }
  // Reads its stdout until `text` has appeared or `timeout` passed; returns whether it did.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout);
  // Reads what its stdout holds now, without waiting: output() then has everything it printed
  // before this call.
  void read_available();
  // Sends `signal` to the process (not its group) and waits up to `timeout` for it to exit.
  // Returns its exit code, or nullopt when it did not exit normally in time.
  std::optional<int> stop(int signal, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool read_some(std::chrono::steady_clock::time_point deadline);

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
