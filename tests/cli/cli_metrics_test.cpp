// CLI tests: lunatic::metrics (metrics.wasm) and the Prometheus endpoint of `lunatic run`
// (--prometheus-http), scraped over HTTP as Prometheus would.
#include <fstream>
#include <thread>

#include "support/background_server.hpp"
#include "support/cli_support.hpp"
#include "support/prometheus_scrape.hpp"

namespace {

using namespace cli_test;
using namespace std::chrono_literals;

constexpr const char* kAnnounced = R"(Prometheus metrics at http://127\.0\.0\.1:([0-9]+)/metrics)";

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

// runtime_metrics.wasm does known amounts of work (see the guest); the runtime's counters show
// them, exactly where nothing else could have moved them.
TEST_F(Metrics, TheRuntimeCountsWhatItsProcessesDid) {
  BackgroundServer run(
      {lunatic_binary(), "run", "--prometheus-http", "127.0.0.1:0", guest("runtime_metrics")},
      environment(), 120s, kAnnounced, /*with_stderr=*/true);
  ASSERT_TRUE(run.port()) << run.output();
  ASSERT_TRUE(run.wait_for_output("runtime done", 60s)) << run.output();
  const std::string text = scrape(*run.port());
  // main, 20 that end at once, the sink, the trapping, the killed and the linked child.
  EXPECT_EQ(sample(text, "lunatic_process_spawned_total"), 25) << text;
  EXPECT_EQ(sample(text, "lunatic_process_environment_processes"), 2) << text;
  EXPECT_EQ(sample(text, "lunatic_process_exits_total{reason=\"normal\"}"), 21) << text;
  EXPECT_EQ(sample(text, "lunatic_process_exits_total{reason=\"unreachable\"}"), 1) << text;
  EXPECT_EQ(sample(text, "lunatic_process_exits_total{reason=\"killed\"}"), 1) << text;
  EXPECT_EQ(sample(text, "lunatic_process_exits_total{reason=\"out_of_bounds\"}"), 0) << text;
  // 50 messages of 1,000 bytes and an 8-byte answer; the rest (a go, monitors' process-died
  // messages) carry no data. Every message was read.
  EXPECT_EQ(sample(text, "lunatic_process_messages_send_bytes_total"), 50 * 1000 + 8) << text;
  EXPECT_EQ(sample(text, "lunatic_process_messages_received_bytes_total"), 50 * 1000 + 8) << text;
  const double sent = sample(text, "lunatic_process_messages_send_total");
  EXPECT_GE(sent, 52) << text;
  EXPECT_EQ(sample(text, "lunatic_process_messages_received_total"), sent) << text;
  // The go found the 50 messages waiting.
  EXPECT_EQ(sample(text, "lunatic_process_mailbox_depth_max"), 51) << text;
  EXPECT_EQ(sample(text, "lunatic_process_mailbox_depth_count"), sent) << text;
  EXPECT_EQ(sample(text, "lunatic_process_mailbox_depth_bucket{le=\"+Inf\"}"), sent) << text;
  EXPECT_GE(sample(text, "lunatic_process_mailbox_depth_bucket{le=\"64\"}") -
                sample(text, "lunatic_process_mailbox_depth_bucket{le=\"16\"}"),
            51 - 16)
      << text;
  EXPECT_EQ(sample(text, "lunatic_process_links_alive"), 2) << text;
  EXPECT_EQ(sample(text, "lunatic_process_monitors_alive"), 1) << text;
  EXPECT_EQ(sample(text, "lunatic_registry_write_total"), 1) << text;
  EXPECT_EQ(sample(text, "lunatic_registry_read_total"), 1) << text;
  EXPECT_EQ(sample(text, "lunatic_registry_deletion_total"), 1) << text;
  EXPECT_EQ(sample(text, "lunatic_networking_sockets_open"), 3) << text;
  EXPECT_EQ(sample(text, "lunatic_networking_sent_bytes_total"), 1000) << text;
  EXPECT_EQ(sample(text, "lunatic_networking_received_bytes_total"), 1000) << text;
  EXPECT_GE(sample(text, "lunatic_scheduler_steals_total{worker=\"0\"}"), 0) << text;
  // A worker's load is its time awake: the two processes left wait for messages, so between
  // two scrapes a second apart the workers sleep.
  const std::string busy_series = "lunatic_scheduler_busy_seconds_total{worker=\"0\"}";
  const double busy_before = sample(text, busy_series);
  EXPECT_GT(busy_before, 0) << text;
  std::this_thread::sleep_for(1s);
  const double busy_after = sample(scrape(*run.port()), busy_series);
  EXPECT_GE(busy_after, busy_before);
  EXPECT_LT(busy_after - busy_before, 0.5) << "a second asleep was counted as busy";
  // The main module was loaded once, from the cache or compiled.
  EXPECT_EQ(sample(text, "lunatic_artifact_cache_hits_total") +
                sample(text, "lunatic_artifact_cache_misses_total"),
            1)
      << text;
  EXPECT_GT(sample(text, "lunatic_linear_memory_committed_bytes"), 0) << text;
  EXPECT_GT(sample(text, "lunatic_fiber_stacks_resident_bytes"), 0) << text;

  RunOptions check;
  check.stdin_data = text;
  auto promtool = run_command({"/usr/bin/promtool", "check", "metrics"}, check);
  EXPECT_EXIT_CODE(promtool, 0);
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
