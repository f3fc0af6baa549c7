// CLI tests of hot code upgrade from outside a guest: examples/hot_upgrade (an HTTP keep-alive
// server, one process per connection) moved from v1 to v2 by `lunatic upgrade` through the
// run's --upgrade-socket, and by --watch, while clients hold their connections.
#include "support/background_server.hpp"
#include "support/cli_support.hpp"

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace cli_test;
using namespace std::chrono_literals;

// The body of the response to `GET path` on the client's connection ("" when none came).
std::string get(TestClient& client, const std::string& path) {
  if (!client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")) return "";
  const std::string response = client.receive_until("in all\n");
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// "... 117 in all\n" -> 117.
long total_of(const std::string& body) {
  const auto end = body.rfind(" in all");
  const auto start = body.rfind(' ', end - 1);
  if (end == std::string::npos || start == std::string::npos) return -1;
  return std::stol(body.substr(start + 1, end - start - 1));
}

class HotUpgrade : public ProcessTest {
 protected:
  std::unique_ptr<BackgroundServer> start(std::vector<std::string> options,
                                          const std::string& module) {
    std::vector<std::string> argv = {lunatic_binary(), "run"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(module);
    argv.push_back("0");
    auto server = std::make_unique<BackgroundServer>(argv, background_environment(), 120s,
                                                     BackgroundServer::kListening,
                                                     /*with_stderr=*/true);
    EXPECT_TRUE(server->port()) << "it did not start; it printed: " << server->output();
    return server;
  }
  RunResult upgrade(const std::string& module, std::vector<std::string> options = {}) {
    std::vector<std::string> args = {"upgrade", "--socket", socket_};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(module);
    return lunatic(args);
  }

  const std::string socket_ = (dir_ / "upgrade.sock").string();
};

TEST_F(HotUpgrade, AHundredClientsKeepTheirConnectionsAndSeeTheNewVersionAfterIt) {
  auto server = start({"--upgrade-socket", socket_}, example("hot_upgrade_v1"));
  if (!server->port()) return;
  constexpr int kClients = 100;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TestClient>(*server->port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
    const std::string body = get(*clients.back(), "/before");
    ASSERT_EQ(body.rfind("v1: hello from /before: request 1 on this connection, ", 0), 0u) << body;
  }

  const auto r = upgrade(example("hot_upgrade_v2"));
  EXPECT_EXIT_CODE(r, 0);
  // Each connection's process, the dispatcher and the stats server.
  EXPECT_EQ(r.out, "102 upgraded\n") << describe(r);

  std::set<long> totals;
  for (int i = 0; i < kClients; ++i) {
    const std::string body = get(*clients[static_cast<std::size_t>(i)], "/after");
    EXPECT_EQ(body.rfind("v2: /after asked ", 0), 0u) << "client " << i << ": " << body;
    EXPECT_NE(body.find("; request 2 on this connection, "), std::string::npos) << body;
    totals.insert(total_of(body));
  }
  // The stats server's v1 count (100) went on in its converted v2 state.
  EXPECT_EQ(totals.size(), 100u);
  EXPECT_EQ(*totals.begin(), 101);
  EXPECT_EQ(*totals.rbegin(), 200);
  // A connection made after the upgrade is served by v2 from its start.
  TestClient late(*server->port());
  EXPECT_EQ(get(late, "/late").rfind("v2: /late asked 1 time(s) since v2; request 1 ", 0), 0u);
}

TEST_F(HotUpgrade, CodeThatCannotTakeOverIsRefusedAndTheOldCodeServesOn) {
  auto server = start({"--upgrade-socket", socket_}, example("hot_upgrade_v1"));
  if (!server->port()) return;
  TestClient client(*server->port());
  EXPECT_EQ(get(client, "/one").rfind("v1: ", 0), 0u);
  const auto r = upgrade(example("http_hello"));
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_TRUE(contains(r.err,
                       "upgrade refused: the new code cannot take over a process: the "
                       "module exports no function `lunatic_upgrade_load`"))
      << describe(r);
  EXPECT_EQ(get(client, "/two"), "v1: hello from /two: request 2 on this connection, 2 in all\n");
  const auto missing = upgrade((dir_ / "nothing.wasm").string());
  EXPECT_EXIT_CODE(missing, 1);
  EXPECT_TRUE(contains(missing.err, "nothing.wasm: no such file")) << describe(missing);
}

TEST_F(HotUpgrade, TheUpgradeCommandSaysWhenNoRuntimeListens) {
  write_file(dir_ / "app.wasm", read_file(example("hot_upgrade_v2")));
  const auto r = upgrade((dir_ / "app.wasm").string());
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_TRUE(contains(r.err, "cannot reach a runtime at " + socket_)) << describe(r);
}

TEST_F(HotUpgrade, WatchUpgradesTheRunningSystemWhenTheModuleIsRebuilt) {
  const fs::path app = dir_ / "app.wasm";
  write_file(app, read_file(example("hot_upgrade_v1")));
  auto server = start({"--watch"}, app.string());
  if (!server->port()) return;
  TestClient client(*server->port());
  EXPECT_EQ(get(client, "/x").rfind("v1: ", 0), 0u);
  // A build that writes its output beside and renames it into place.
  write_file(dir_ / "app.wasm.tmp", read_file(example("hot_upgrade_v2")));
  fs::rename(dir_ / "app.wasm.tmp", app);
  EXPECT_TRUE(server->wait_for_output("lunatic: --watch: app.wasm changed; 3 upgraded", 120s))
      << server->output();
  EXPECT_EQ(get(client, "/x").rfind("v2: /x asked 1 time(s) since v2; request 2 ", 0), 0u);
}

}  // namespace
