// CLI tests: lunatic::metrics (metrics.wasm) and the Prometheus endpoint of `lunatic run`
// (--prometheus-http), scraped over HTTP as Prometheus would.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "support/background_server.hpp"
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;
using namespace std::chrono_literals;

constexpr const char* kAnnounced = R"(Prometheus metrics at http://127\.0\.0\.1:([0-9]+)/metrics)";

// The body of GET `path` at 127.0.0.1:port, or what went wrong.
std::string http_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "connect failed";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!::write(fd, request.data(), request.size());
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) response.append(buf, n);
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "no body in: " + response : response.substr(body + 4);
}

std::string scrape(std::uint16_t port) { return http_get(port, "/metrics"); }

// A port nobody listens on now (the OS's choice for port 0).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

class Metrics : public ProcessTest {
 protected:
  std::vector<std::string> environment() const {
    RunOptions opt;
    opt.env["XDG_CACHE_HOME"] = SHARED_CACHE_DIR;
    std::vector<std::string> result;
    for (const auto& [key, value] : with_test_environment(opt).env) {
      if (value) result.push_back(key + "=" + *value);
    }
    return result;
  }
};

TEST_F(Metrics, AGuestsMetricsAreServedToPrometheus) {
  BackgroundServer run(
      {lunatic_binary(), "run", "--prometheus-http", "127.0.0.1:0", guest("metrics"), "serve"},
      environment(), 120s, kAnnounced, /*with_stderr=*/true);
  ASSERT_TRUE(run.port()) << run.output();
  ASSERT_TRUE(run.wait_for_output("metrics set", 60s)) << run.output();
  const std::string text = scrape(*run.port());
  // A counter adds, a gauge is set and moved, names with '.' get '_'.
  EXPECT_TRUE(has_line(text, "# TYPE requests_total counter")) << text;
  EXPECT_TRUE(has_line(text, "requests_total 3")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE queue_depth gauge")) << text;
  EXPECT_TRUE(has_line(text, "queue_depth 12")) << text;
  // Buckets are cumulative; 30 lands only in +Inf.
  EXPECT_TRUE(has_line(text, "# TYPE latency_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, "latency_seconds_bucket{le=\"0.005\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "latency_seconds_bucket{le=\"0.25\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "latency_seconds_bucket{le=\"10\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "latency_seconds_bucket{le=\"+Inf\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "latency_seconds_count 3")) << text;
  EXPECT_TRUE(has_line(text, "latency_seconds_sum 30.203")) << text;
  // The gauge under the counter's name was ignored.
  EXPECT_FALSE(contains(text, "requests_total 99")) << text;
  // The runtime's own, read at scrape time: the main process is alive and asleep.
  EXPECT_TRUE(has_line(text, "lunatic_process_environment_processes 1")) << text;
  EXPECT_TRUE(has_line(text, "lunatic_scheduler_run_queue_length{worker=\"0\"} 0")) << text;
}

// Debian's Prometheus server scrapes the endpoint, and its query API answers with a guest's
// metric and one of the runtime's; promtool accepts the exposition.
TEST_F(Metrics, PrometheusScrapesTheEndpointAndPromtoolAcceptsTheText) {
  BackgroundServer run(
      {lunatic_binary(), "run", "--prometheus-http", "127.0.0.1:0", guest("metrics"), "serve"},
      environment(), 120s, kAnnounced, /*with_stderr=*/true);
  ASSERT_TRUE(run.port()) << run.output();
  ASSERT_TRUE(run.wait_for_output("metrics set", 60s)) << run.output();

  RunOptions check;
  check.stdin_data = scrape(*run.port());
  auto promtool = run_command({"/usr/bin/promtool", "check", "metrics"}, check);
  EXPECT_EXIT_CODE(promtool, 0);

  const std::uint16_t port = free_port();
  const fs::path config = dir_ / "prometheus.yml";
  {
    std::ofstream out(config);
    out << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: lunatic\n"
        << "    static_configs:\n      - targets: ['127.0.0.1:" << *run.port() << "']\n";
  }
  BackgroundServer prometheus({"/usr/bin/prometheus", "--config.file=" + config.string(),
                               "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                              {}, 30s, R"(Listening on.* address=127\.0\.0\.1:([0-9]+))",
                              /*with_stderr=*/true);
  ASSERT_TRUE(prometheus.port()) << prometheus.output();

  // A scrape every second: both series appear within a few.
  auto query = [&](const std::string& expression) {
    return http_get(port, "/api/v1/query?query=" + expression);
  };
  std::string guest_answer;
  std::string runtime_answer;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    guest_answer = query("requests_total");
    runtime_answer = query("lunatic_process_environment_processes");
    if (contains(guest_answer, "\"3\"]") && contains(runtime_answer, "\"1\"]")) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(contains(guest_answer, "\"job\":\"lunatic\"")) << guest_answer;
  EXPECT_TRUE(contains(guest_answer, "\"3\"]")) << guest_answer;
  EXPECT_TRUE(contains(runtime_answer, "\"1\"]")) << runtime_answer;
}

TEST_F(Metrics, AnAddressThatCannotBeUsedIsAnErrorBeforeTheGuestRuns) {
  auto r = run_guest("metrics", {"serve"}, {"--prometheus-http", "nonsense"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_TRUE(contains(r.err, "not an address such as 127.0.0.1:9927")) << describe(r);
  EXPECT_FALSE(contains(r.out, "metrics set")) << describe(r);
}

TEST_F(Metrics, ABadNameTrapsTheCallingProcessOnly) {
  for (const char* fn : {"counter", "gauge", "histogram"}) {
    for (const char* what : {"name_oob", "not_utf8"}) {
      auto r = run_guest("metrics", {"bad", fn, what});
      EXPECT_EXIT_CODE(r, 134);
      EXPECT_TRUE(contains(r.err, std::string("lunatic::metrics::") + fn)) << describe(r);
      EXPECT_FALSE(contains(r.out, "survived")) << describe(r);
    }
  }
}

}  // namespace
