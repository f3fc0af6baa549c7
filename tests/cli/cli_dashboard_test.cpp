// CLI tests: the JSON API of `lunatic run --dashboard` (cli/dashboard_server.hpp), on
// dashboard.wasm, a guest whose processes come and go. The page itself is tested in a browser
// (dashboard_browser_test.py).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "support/background_server.hpp"
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kAnnounced = R"(dashboard at http://127\.0\.0\.1:([0-9]+)/)";

struct HttpAnswer {
  int status = 0;
  std::string body;
  std::string head;  // the status line and headers
};

// `method path` at 127.0.0.1:port, over HTTP/1.0 (the server closes after the answer), with
// `headers` ("Name: value\r\n" each) added.
HttpAnswer http(std::uint16_t port, const std::string& method, const std::string& path,
                const std::string& headers = "", const std::string& host = "127.0.0.1") {
  TestClient client(port);
  if (!client.connected()) return {0, "connect failed", ""};
  client.send(method + " " + path + " HTTP/1.0\r\nHost: " + host + "\r\nContent-Length: 0\r\n" +
              headers + "\r\n");
  const std::string response = client.receive(std::string::npos);
  std::smatch status;
  const auto body = response.find("\r\n\r\n");
  if (!std::regex_search(response, status, std::regex(R"(^HTTP/1\.[01] ([0-9]{3}))")) ||
      body == std::string::npos) {
    return {0, "not an HTTP answer: " + response, ""};
  }
  return {std::stoi(status[1]), response.substr(body + 4), response.substr(0, body)};
}

// The JSON of an answer, or a JSON string saying why there is none.
json parse(const HttpAnswer& answer) {
  json parsed = json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? json("not JSON: " + answer.body) : parsed;
}

class Dashboard : public ProcessTest {
 protected:
  // dashboard.wasm under --dashboard, started and past its "keeper <pid>" line; its pid then
  // in keeper_.
  std::unique_ptr<BackgroundServer> start(bool allow_kill) {
    std::vector<std::string> argv{lunatic_binary(), "run",         "--log-level",
                                  "error",          "--dashboard", "127.0.0.1:0"};
    if (allow_kill) argv.push_back("--dashboard-allow-kill");
    argv.push_back(guest("dashboard"));
    auto run = std::make_unique<BackgroundServer>(argv, background_environment(), 120s, kAnnounced,
                                                  /*with_stderr=*/true);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (run->port() && keeper_.empty() && std::chrono::steady_clock::now() < deadline) {
      run->wait_for_output("keeper", 100ms);
      std::smatch keeper;
      const std::string& out = run->output();
      if (std::regex_search(out, keeper, std::regex(R"(keeper ([0-9]+)\n)"))) keeper_ = keeper[1];
    }
    return run;
  }
  // The snapshot's process of id `id`, or null.
  static json find(const json& snapshot, const std::string& id) {
    for (const auto& process : snapshot["processes"]) {
      if (process["id"] == id) return process;
    }
    return nullptr;
  }

  std::string keeper_;
};

TEST_F(Dashboard, TheSnapshotShowsEachProcessWithItsParentStateNamesAndCounters) {
  auto run = start(/*allow_kill=*/false);
  ASSERT_TRUE(run->port()) << run->output();
  ASSERT_FALSE(keeper_.empty()) << run->output();
  std::this_thread::sleep_for(500ms);  // a few children come and go, some CPU time is counted
  const json snapshot = parse(http(*run->port(), "GET", "/api/snapshot"));
  ASSERT_TRUE(snapshot.is_object()) << snapshot;
  EXPECT_EQ(snapshot["allow_kill"], false);
  EXPECT_EQ(snapshot["cpu_sampling"], true);
  EXPECT_GE(snapshot["process_count"].get<int>(), 3) << snapshot;  // main, keeper, children
  EXPECT_EQ(snapshot["process_count"].get<std::size_t>(), snapshot["processes"].size());
  EXPECT_GE(snapshot["workers"].size(), 1u);
  EXPECT_TRUE(snapshot["workers"][0].contains("busy_ns")) << snapshot;
  EXPECT_TRUE(snapshot["nodes"].empty()) << snapshot;  // no cluster

  const json keeper = find(snapshot, keeper_);
  ASSERT_TRUE(keeper.is_object()) << snapshot;
  const std::string main_id = keeper["parent"];
  const json main = find(snapshot, main_id);
  ASSERT_TRUE(main.is_object()) << snapshot;
  EXPECT_EQ(main["parent"], "0");
  EXPECT_EQ(main["module"], "dashboard.wasm");
  EXPECT_EQ(main["names"], json::array({"main"}));
  EXPECT_GT(main["memory_bytes"].get<std::uint64_t>(), 65535u) << main;  // a page at least
  EXPECT_EQ(keeper["names"], json::array({"keeper"}));
  // CPU time is sampled every 10 ms: the cruncher computes a third of the time, the keeper
  // waits, and main mostly sleeps.
  json cruncher;
  for (const auto& process : snapshot["processes"]) {
    if (process["names"] == json::array({"cruncher"})) cruncher = process;
  }
  ASSERT_TRUE(cruncher.is_object()) << snapshot;
  EXPECT_GE(cruncher["cpu_ns"].get<std::uint64_t>(), 20'000'000u) << cruncher;
  EXPECT_GT(cruncher["cpu_ns"].get<std::uint64_t>(), 4 * keeper["cpu_ns"].get<std::uint64_t>())
      << keeper;
  EXPECT_GT(cruncher["cpu_ns"].get<std::uint64_t>(), 4 * main["cpu_ns"].get<std::uint64_t>())
      << main;
  EXPECT_EQ(keeper["status"], "waiting for a message");
  EXPECT_EQ(keeper["monitored_by"], json::array({main_id}));
  EXPECT_EQ(keeper["module"], "dashboard.wasm");
  // Children: spawned by main, sleeping; every other one linked to it, both ways.
  bool linked_child = false;
  for (const auto& process : snapshot["processes"]) {
    if (process["parent"] != main_id || process["id"] == keeper_) continue;
    EXPECT_TRUE(process["status"] == "sleeping" || process["status"] == "runnable") << process;
    if (!process["links"].empty()) {
      EXPECT_EQ(process["links"], json::array({main_id})) << process;
      linked_child = true;
    }
  }
  EXPECT_TRUE(linked_child) << snapshot;

  const json one = parse(http(*run->port(), "GET", "/api/process/" + keeper_));
  EXPECT_EQ(one["id"], keeper_) << one;
  EXPECT_EQ(one["names"], json::array({"keeper"})) << one;
}

TEST_F(Dashboard, ChildrenAppearAndDisappearBetweenSnapshots) {
  auto run = start(/*allow_kill=*/false);
  ASSERT_TRUE(run->port()) << run->output();
  auto ids = [&] {
    std::set<std::string> out;
    const json snapshot = parse(http(*run->port(), "GET", "/api/snapshot"));
    for (const auto& process : snapshot["processes"]) out.insert(process["id"].get<std::string>());
    return out;
  };
  std::this_thread::sleep_for(500ms);  // past the first children's spawns
  const auto before = ids();
  ASSERT_GE(before.size(), 3u);         // main, keeper, children
  std::this_thread::sleep_for(1500ms);  // a child lives 800 ms: all of them have changed
  const auto after = ids();
  std::vector<std::string> gone;
  std::vector<std::string> new_ones;
  std::ranges::set_difference(before, after, std::back_inserter(gone));
  std::ranges::set_difference(after, before, std::back_inserter(new_ones));
  EXPECT_FALSE(gone.empty());
  EXPECT_FALSE(new_ones.empty());
  for (const auto& id : gone) {
    EXPECT_EQ(http(*run->port(), "GET", "/api/process/" + id).status, 404) << id;
  }
}

TEST_F(Dashboard, KillIsRefusedWithoutTheFlag) {
  auto run = start(/*allow_kill=*/false);
  ASSERT_TRUE(run->port()) << run->output();
  ASSERT_FALSE(keeper_.empty()) << run->output();
  const HttpAnswer answer = http(*run->port(), "POST", "/api/process/" + keeper_ + "/kill",
                                 "X-Lunatic-Dashboard: kill\r\n");
  EXPECT_EQ(answer.status, 403) << answer.body;
  EXPECT_TRUE(contains(parse(answer)["error"].get<std::string>(), "--dashboard-allow-kill"));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(http(*run->port(), "GET", "/api/process/" + keeper_).status, 200);
  EXPECT_FALSE(run->wait_for_output("keeper died", 100ms)) << run->output();
}

TEST_F(Dashboard, KillWorksWithTheFlag) {
  auto run = start(/*allow_kill=*/true);
  ASSERT_TRUE(run->port()) << run->output();
  ASSERT_FALSE(keeper_.empty()) << run->output();
  EXPECT_EQ(parse(http(*run->port(), "GET", "/api/snapshot"))["allow_kill"], true);
  const std::string kill = "/api/process/" + keeper_ + "/kill";
  // What a page of another site could make the browser send is refused, and kills nothing.
  const HttpAnswer no_header = http(*run->port(), "POST", kill);
  EXPECT_EQ(no_header.status, 403) << no_header.body;
  EXPECT_TRUE(contains(no_header.body, "X-Lunatic-Dashboard")) << no_header.body;
  const HttpAnswer other_origin = http(
      *run->port(), "POST", kill, "X-Lunatic-Dashboard: kill\r\nOrigin: http://evil.example\r\n");
  EXPECT_EQ(other_origin.status, 403) << other_origin.body;
  const HttpAnswer rebound = http(*run->port(), "POST", kill, "X-Lunatic-Dashboard: kill\r\n",
                                  "evil.example:" + std::to_string(*run->port()));
  EXPECT_EQ(rebound.status, 403) << rebound.body;
  EXPECT_FALSE(run->wait_for_output("keeper died", 200ms)) << run->output();
  const HttpAnswer answer =
      http(*run->port(), "POST", kill,
           "X-Lunatic-Dashboard: kill\r\nOrigin: http://127.0.0.1:" + std::to_string(*run->port()) +
               "\r\n",
           "127.0.0.1:" + std::to_string(*run->port()));
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(parse(answer)["killed"], keeper_);
  EXPECT_TRUE(run->wait_for_output("keeper died", 10s)) << run->output();
  EXPECT_EQ(http(*run->port(), "GET", "/api/process/" + keeper_).status, 404);
}

// A browser accepts brotli; compressing each second's snapshot cost the runtime far more CPU
// than the rest of the dashboard together (docs/benchmarks.md, the dashboard suite).
TEST_F(Dashboard, SnapshotsAreSentUncompressedEvenToABrowserThatAcceptsBrotli) {
  auto run = start(/*allow_kill=*/false);
  ASSERT_TRUE(run->port()) << run->output();
  const HttpAnswer answer =
      http(*run->port(), "GET", "/api/snapshot", "Accept-Encoding: gzip, deflate, br\r\n");
  EXPECT_EQ(answer.status, 200);
  EXPECT_FALSE(contains(answer.head, "Content-Encoding")) << answer.head;
  EXPECT_TRUE(parse(answer).is_object()) << answer.head;
}

TEST_F(Dashboard, BadIdsAndUnknownPathsGetClearErrors) {
  auto run = start(/*allow_kill=*/true);
  ASSERT_TRUE(run->port()) << run->output();
  const std::uint16_t port = *run->port();
  for (const char* path : {"/api/process/abc", "/api/process/-1", "/api/process/0",
                           "/api/process/99999999999999999999999", "/api/process/"}) {
    const HttpAnswer answer = http(port, "GET", path);
    EXPECT_EQ(answer.status, 400) << path << ": " << answer.body;
    EXPECT_TRUE(contains(parse(answer)["error"].get<std::string>(), "not a process id")) << path;
  }
  const std::string kill_header = "X-Lunatic-Dashboard: kill\r\n";
  EXPECT_EQ(http(port, "POST", "/api/process/12x/kill", kill_header).status, 400);
  const HttpAnswer missing = http(port, "GET", "/api/process/987654");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(contains(parse(missing)["error"].get<std::string>(), "no process 987654"));
  EXPECT_EQ(http(port, "POST", "/api/process/987654/kill", kill_header).status, 404);
  // A site that made its name resolve to 127.0.0.1 (DNS rebinding) reads nothing.
  const HttpAnswer rebound = http(port, "GET", "/api/snapshot", "", "evil.example");
  EXPECT_EQ(rebound.status, 403) << rebound.body;
  EXPECT_TRUE(contains(rebound.body, "not a loopback name")) << rebound.body;
  EXPECT_EQ(http(port, "GET", "/api/snapshot", "", "localhost:" + std::to_string(port)).status,
            200);
  const HttpAnswer unknown = http(port, "GET", "/nothing/here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(contains(parse(unknown)["error"].get<std::string>(), "no such resource"));
  // The page itself: self-contained, nothing from elsewhere.
  const HttpAnswer page = http(port, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "/api/snapshot"));
  for (const char* fetches : {"src=", "<link", "@import", "url(", "https://"}) {
    EXPECT_FALSE(contains(page.body, fetches)) << "the page may load something: " << fetches;
  }
  // Still serving, and the runtime unharmed.
  EXPECT_EQ(http(port, "GET", "/api/snapshot").status, 200);
}

TEST_F(Dashboard, AnAddressThatCannotBeUsedIsAnErrorBeforeTheGuestRuns) {
  auto bad = run_guest("dashboard", {}, {"--dashboard", "not-an-address"});
  EXPECT_EXIT_CODE(bad, 1);
  EXPECT_TRUE(contains(bad.err, "not an address such as")) << describe(bad);
  EXPECT_FALSE(contains(bad.out, "keeper")) << describe(bad);
  // A port taken by another listener.
  auto first = start(/*allow_kill=*/false);
  ASSERT_TRUE(first->port()) << first->output();
  auto taken =
      run_guest("dashboard", {}, {"--dashboard", "127.0.0.1:" + std::to_string(*first->port())});
  EXPECT_EXIT_CODE(taken, 1);
  EXPECT_TRUE(contains(taken.err, "cannot listen on 127.0.0.1:")) << describe(taken);
  EXPECT_FALSE(contains(taken.out, "keeper")) << describe(taken);
}

}  // namespace
