// CLI tests. A cluster on this machine: the membership store and `lunatic node`s as separate OS
// processes on 127.0.0.1, and a program (sdk_cluster.wasm) that spreads over them from a node
// of its own. The Cluster suite runs every test on both membership backends, each test with a
// store of its own, so tests share nothing:
//   - Cluster.*/control: `lunatic control`, which is also the CA the nodes enroll with;
//   - Cluster.*/etcd: a real etcd (tests/shared/etcd_server.hpp) on free loopback ports, its
//     data in the test's directory, and a CA made for the test whose certificates the nodes
//     get as files (--cert, --key, --ca), as docs/distribution.md says to run a cluster.
// ClusterOnControl holds what is about control itself (a node enrolled by another control's
// CA); ClusterOnEtcd runs scripts/cluster.sh, the etcd demo with openssl's certificates.
#include <signal.h>

#include <map>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "cluster/process_id.hpp"
#include "shared/etcd_server.hpp"
#include "shared/test_certificates.hpp"
#include "support/background_server.hpp"
#include "support/cli_support.hpp"
#include "support/prometheus_scrape.hpp"

namespace {

using namespace cli_test;
using namespace std::chrono_literals;
namespace cluster = lunatic::cluster;
using lunatic::cluster::TlsIdentityFiles;
using lunatic::cluster::testing::EtcdServer;
using lunatic::cluster::testing::TestCertificates;

constexpr const char* kControlAnnounced = R"(serving http://127\.0\.0\.1:([0-9]+)/)";
constexpr const char* kNodeAnnounced = R"(is node [0-9]+ at 127\.0\.0\.1:([0-9]+))";

enum class Backend { kControl, kEtcd };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kControl ? "control" : "etcd";
}

// The node id a `lunatic node` announced ("... is node N at ..."), or 0.
std::uint64_t announced_id(const std::string& output) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(R"(is node ([0-9]+) at)"))) return 0;
  return std::stoull(m[1].str());
}

class ClusterTest : public ProcessTest {
 protected:
  explicit ClusterTest(Backend backend) : backend_(backend) {}

  void SetUp() override {
    ProcessTest::SetUp();
    if (backend_ == Backend::kControl) {
      control_ = std::make_unique<BackgroundServer>(
          std::vector<std::string>{lunatic_binary(), "control", "--bind-socket", "127.0.0.1:0",
                                   "--state-dir", (dir_ / "control").string()},
          background_environment(), 20s, kControlAnnounced);
      ASSERT_TRUE(control_->port()) << control_->output();
      url_ = "http://127.0.0.1:" + std::to_string(*control_->port()) + "/";
    } else {
      auto etcd = EtcdServer::start(dir_ / "etcd");
      ASSERT_TRUE(etcd) << etcd.error().message;
      etcd_ = std::move(*etcd);
      certificates_ = std::make_unique<TestCertificates>(temp_, "cluster-ca");
    }
  }

  // `lunatic node` arguments that join this test's cluster as `name`: with control, the node
  // enrolls with its CA (the join token from control's state directory); with etcd, it gets a
  // certificate for `name` from the test's CA.
  std::vector<std::string> node_args(const std::string& name, const std::string& lease_ttl = "2") {
    if (backend_ == Backend::kControl) {
      return {"node",
              url_,
              "--name",
              name,
              "--state-dir",
              (dir_ / ("node-" + name)).string(),
              "--join-token-file",
              (dir_ / "control" / "join-token").string(),
              "--lease-ttl",
              lease_ttl};
    }
    auto issued = certificates_issued_.find(name);
    if (issued == certificates_issued_.end()) {
      issued = certificates_issued_.emplace(name, certificates_->issue(name)).first;
    }
    const TlsIdentityFiles& files = issued->second;
    return {"node",
            "--cluster",
            "etcd://127.0.0.1:" + std::to_string(etcd_->client_port()),
            "--name",
            name,
            "--cert",
            files.certificate,
            "--key",
            files.private_key,
            "--ca",
            files.ca_certificate,
            "--lease-ttl",
            lease_ttl};
  }

  // A node that serves until the test ends. `startup` bounds the time until it announces
  // itself, which for a node with a program includes compiling it (cold, on a loaded machine).
  std::unique_ptr<BackgroundServer> start_node(const std::string& name,
                                               std::vector<std::string> extra = {},
                                               const std::string& lease_ttl = "2",
                                               std::chrono::seconds startup = 20s) {
    std::vector<std::string> argv{lunatic_binary()};
    for (auto& arg : node_args(name, lease_ttl)) argv.push_back(std::move(arg));
    for (auto& arg : extra) argv.push_back(std::move(arg));
    auto node =
        std::make_unique<BackgroundServer>(argv, background_environment(), startup, kNodeAnnounced,
                                           /*with_stderr=*/true);
    EXPECT_TRUE(node->port()) << node->output() << store_log();
    return node;
  }

  // sdk_cluster.wasm `mode` on a node of its own, in the background, for a test that acts on
  // the cluster while it runs.
  std::unique_ptr<BackgroundServer> start_main(const std::string& mode,
                                               std::vector<std::string> extra = {},
                                               const std::string& lease_ttl = "2") {
    for (auto arg : {std::string("--wasm"), guest("sdk_cluster"), std::string("--"), mode})
      extra.push_back(std::move(arg));
    return start_node("main", std::move(extra), lease_ttl, 120s);
  }

  // What sdk_cluster's node_down and node_back say when the worker's node went: the link to
  // its process fired as "node down", and the monitor reported it.
  static void expect_node_down_fired(const BackgroundServer& main_node) {
    EXPECT_TRUE(contains(main_node.output(), "node down: link died, tag 11, node down"))
        << main_node.output();
    EXPECT_TRUE(contains(main_node.output(), "node down: process died, remote"))
        << main_node.output();
  }

  // What node_back says once the thawed worker is back: it answers, and the process it had
  // linked is gone, since its side of the link fired too (a monitor of it fires at once).
  static void expect_back_without_the_old_process(const BackgroundServer& main_node) {
    EXPECT_TRUE(contains(main_node.output(), "the worker answers again: yes"))
        << main_node.output();
    EXPECT_TRUE(contains(main_node.output(), "the old process: process died, remote"))
        << main_node.output();
  }

  std::unique_ptr<BackgroundServer> start_worker() {
    return start_node("worker", {"--tag", "role=worker", "--log-level", "info"});
  }

  // Runs sdk_cluster.wasm `mode` on a node of its own, until its main process ends.
  RunResult run_main(std::vector<std::string> mode_args, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = node_args("main");
    for (auto& arg : extra) args.push_back(std::move(arg));
    args.push_back("--wasm");
    args.push_back(guest("sdk_cluster"));
    args.push_back("--");
    for (auto& arg : mode_args) args.push_back(std::move(arg));
    RunOptions opt;
    opt.timeout = 120s;
    return lunatic(args, opt);
  }

  // The end of etcd's log, for failure messages (control's output is in the nodes' own).
  std::string store_log() const { return etcd_ ? "\netcd's log:\n" + etcd_->log() : ""; }

  const Backend backend_;
  std::unique_ptr<BackgroundServer> control_;
  std::string url_;
  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<TestCertificates> certificates_;
  std::map<std::string, TlsIdentityFiles> certificates_issued_;
};

// The tests of the cluster's behaviour, on both membership backends.
class Cluster : public ClusterTest, public ::testing::WithParamInterface<Backend> {
 protected:
  Cluster() : ClusterTest(GetParam()) {}
};

INSTANTIATE_TEST_SUITE_P(, Cluster, ::testing::Values(Backend::kControl, Backend::kEtcd),
                         backend_name);

// What is about `lunatic control` itself: nodes that enroll with another control's CA.
class ClusterOnControl : public ClusterTest {
 protected:
  ClusterOnControl() : ClusterTest(Backend::kControl) {}

  // A node of another cluster: another control, another CA, which gives "stranger" a
  // certificate, key and CA (in dir_/stranger) for stranger_identity() to join this cluster's
  // membership with.
  void enroll_stranger() {
    BackgroundServer other_control({lunatic_binary(), "control", "--bind-socket", "127.0.0.1:0",
                                    "--state-dir", (dir_ / "other-control").string()},
                                   background_environment(), 20s, kControlAnnounced);
    ASSERT_TRUE(other_control.port()) << other_control.output();
    BackgroundServer enrolled(
        {lunatic_binary(), "node",
         "http://127.0.0.1:" + std::to_string(*other_control.port()) + "/", "--name", "stranger",
         "--state-dir", (dir_ / "stranger").string(), "--join-token-file",
         (dir_ / "other-control" / "join-token").string()},
        background_environment(), 20s, kNodeAnnounced);
    ASSERT_TRUE(enrolled.port()) << enrolled.output();
  }
  std::vector<std::string> stranger_identity(std::vector<std::string> extra) const {
    std::vector<std::string> args{"--cert", (dir_ / "stranger" / "node.pem").string(),
                                  "--key",  (dir_ / "stranger" / "node.key").string(),
                                  "--ca",   (dir_ / "stranger" / "ca.pem").string()};
    for (auto& arg : extra) args.push_back(std::move(arg));
    return args;
  }
};

TEST_P(Cluster, NodesSeeEachOtherAndSelectByTags) {
  auto worker = start_worker();
  auto r = run_main({"info"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"nodes: 2", "workers: 1", "nowhere: 0"});
  EXPECT_TRUE(contains(r.out, "malformed query: in the node query \"role\"")) << describe(r);
}

TEST_P(Cluster, ASpawnShipsTheModuleToANodeThatNeverSawItAndTheChildAnswers) {
  auto worker = start_worker();
  auto r = run_main({"spawn"});
  EXPECT_EXIT_CODE(r, 0);
  // "... node N: yes" for the worker's id N.
  EXPECT_TRUE(contains(r.out, "child id names node ")) << describe(r);
  EXPECT_TRUE(contains(r.out, "child replied from node ")) << describe(r);
  EXPECT_EQ(count_lines_starting(r.out, "child "), 2u) << describe(r);
  EXPECT_FALSE(contains(r.out, ": no")) << describe(r);
  EXPECT_TRUE(worker->wait_for_output("child running on node", 10s)) << worker->output();
}

TEST_P(Cluster, AHundredThousandMessagesArriveInOrder) {
  const std::uint16_t metrics_port = free_port();
  auto worker = start_node("worker", {"--tag", "role=worker", "--prometheus-http",
                                      "127.0.0.1:" + std::to_string(metrics_port)});
  auto r = run_main({"ordered", "100000"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "received in order: 100000 of 100000")) << describe(r);
  // The worker counted them as records from the main node (which has left by now), each at
  // least the few bytes of an encoded message.
  const std::string text = scrape(metrics_port);
  const auto at = text.find("\nlunatic_distributed_peer_received_total{peer=\"");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string series = text.substr(at + 1, text.find(' ', at) - at - 1);
  const std::string peer = series.substr(series.find('{'));
  EXPECT_GE(sample(text, series), 100000 + 1) << text;
  EXPECT_GE(sample(text, "lunatic_distributed_peer_received_bytes_total" + peer), 100000 * 8)
      << text;
  EXPECT_GE(sample(text, "lunatic_distributed_peer_sent_total" + peer), 1) << text;
  // The transport pings each peer as soon as the connection is up, and every 2 s.
  EXPECT_GE(sample(text, "lunatic_distributed_peer_round_trip_seconds_count" + peer), 0) << text;
  EXPECT_GE(sample(text, "lunatic_distributed_peer_last_round_trip_seconds" + peer), 0) << text;
  RunOptions check;
  check.stdin_data = text;
  EXPECT_EXIT_CODE(run_command({"/usr/bin/promtool", "check", "metrics"}, check), 0);
}

// A node's dashboard lists the cluster's nodes, and beside each other node the latest round
// trip of the pings between them.
TEST_P(Cluster, ANodesDashboardShowsTheNodesWithTheirRoundTrips) {
  const std::uint16_t port = free_port();
  auto worker = start_node("worker", {"--dashboard", "127.0.0.1:" + std::to_string(port)});
  auto other = start_node("other");
  nlohmann::json snapshot;
  nlohmann::json other_node;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (other_node.is_null() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    snapshot = nlohmann::json::parse(http_get(port, "/api/snapshot"), nullptr, false);
    if (!snapshot.is_object()) continue;
    for (const auto& node : snapshot["nodes"]) {
      if (node["name"] == "other" && node["round_trip_ns"].get<std::uint64_t>() > 0)
        other_node = node;
    }
  }
  ASSERT_TRUE(other_node.is_object()) << snapshot << worker->output();
  EXPECT_EQ(other_node["self"], false);
  EXPECT_LT(other_node["round_trip_ns"].get<std::uint64_t>(), 1'000'000'000u) << other_node;
  ASSERT_EQ(snapshot["nodes"].size(), 2u) << snapshot;
  for (const auto& node : snapshot["nodes"]) {
    if (node["name"] == "worker") {
      EXPECT_EQ(node["self"], true) << node;
      EXPECT_EQ(node["round_trip_ns"], 0) << "no round trip to itself";
    }
  }
}

// `lunatic node --trace`: each node writes the trace of its own processes. Main's shows its
// sends to a process of the worker's node, with that node's id; the worker's shows the child it
// spawned for main (main its parent), the messages that came from the network to it, and its
// reply to main's node; main's shows that reply arriving.
TEST_P(Cluster, EachNodesTraceShowsItsSideOfARemoteSpawnAndItsMessages) {
  const fs::path worker_path = dir_ / "worker-trace.json";
  const fs::path main_path = dir_ / "main-trace.json";
  auto worker = start_node("worker", {"--tag", "role=worker", "--trace", worker_path.string()});
  const std::uint64_t worker_node = announced_id(worker->output());
  ASSERT_NE(worker_node, 0u) << worker->output();
  auto r = run_main({"ordered", "1000"}, {"--trace", main_path.string()});
  EXPECT_EQ(worker->stop(SIGTERM, 20s), 0) << worker->output();
  EXPECT_EXIT_CODE(r, 0);
  ASSERT_TRUE(has_line(r.out, "received in order: 1000 of 1000"))
      << describe(r) << "\nthe worker:\n"
      << worker->output();
  const std::uint64_t main_node = announced_id(r.out);
  ASSERT_NE(main_node, 0u) << describe(r);
  const auto main_trace = nlohmann::json::parse(read_file(main_path), nullptr, false);
  const auto worker_trace = nlohmann::json::parse(read_file(worker_path), nullptr, false);
  ASSERT_TRUE(main_trace.is_object() && worker_trace.is_object()) << describe(r);
  // A track (tid) is a process; the slice of its life names the whole process id.
  auto track_of = [](const nlohmann::json& trace, std::uint64_t process) -> std::int64_t {
    for (const auto& life : trace_events(trace, "X")) {
      if (life.contains("args") && life["args"].value("id", std::uint64_t{0}) == process)
        return life["tid"];
    }
    return -1;
  };
  auto on_track = [](const nlohmann::json& trace, std::string_view ph, std::string_view name,
                     std::int64_t track) {
    std::vector<nlohmann::json> found;
    for (auto& event : trace_events(trace, ph, name)) {
      if (event["tid"] == track) found.push_back(std::move(event));
    }
    return found;
  };

  // Main's side: 1,002 sends from main to one process of the worker's node: the SDK's spawn
  // argument, the 1,000 numbers and the -1.
  const std::uint64_t main_process = cluster::first_process_id(main_node);
  const std::int64_t main_track = track_of(main_trace, main_process);
  ASSERT_GE(main_track, 0) << main_trace.dump().substr(0, 4000);
  std::map<std::uint64_t, int> remote_sends;  // receiver -> count
  for (const auto& send : on_track(main_trace, "i", "send", main_track)) {
    EXPECT_EQ(send["args"]["node"], worker_node) << send;
    ++remote_sends[send["args"]["to"].get<std::uint64_t>()];
  }
  ASSERT_EQ(remote_sends.size(), 1u) << main_trace.dump().substr(0, 4000);
  const std::uint64_t counter = remote_sends.begin()->first;
  EXPECT_EQ(cluster::node_of(counter), worker_node);
  EXPECT_EQ(remote_sends.begin()->second, 1002);

  // The worker's side: the counter's track, its spawn by main, what it received, its reply.
  const std::int64_t counter_track = track_of(worker_trace, counter);
  ASSERT_GE(counter_track, 0) << worker_trace.dump().substr(0, 4000);
  // Only the counter's (main has no track here, though its local id is the counter's).
  const auto name = on_track(worker_trace, "M", "thread_name", counter_track);
  ASSERT_EQ(name.size(), 1u);
  EXPECT_EQ(name[0]["args"]["name"], "process " + std::to_string(counter) + " lunatic_sdk_entry");
  const auto spawn = on_track(worker_trace, "i", "spawn", counter_track);
  ASSERT_EQ(spawn.size(), 1u);
  EXPECT_EQ(spawn[0]["args"]["parent"], main_process);
  EXPECT_TRUE(on_track(worker_trace, "s", "spawn", counter_track).empty()) << "no flow from main";
  EXPECT_EQ(on_track(worker_trace, "i", "receive", counter_track).size(), 1002u);
  const auto reply = on_track(worker_trace, "i", "send", counter_track);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0]["args"]["node"], main_node);
  EXPECT_EQ(reply[0]["args"]["to"], main_process);
  const auto exit = on_track(worker_trace, "i", "exit", counter_track);
  ASSERT_EQ(exit.size(), 1u);
  EXPECT_EQ(exit[0]["args"]["reason"], "normal");

  // The reply, back on main's node: delivered from the runtime's track (it came from the
  // network), its flow ending at main's receive.
  EXPECT_EQ(on_track(main_trace, "f", "message", main_track).size(), 1u);
  EXPECT_EQ(on_track(main_trace, "i", "receive", main_track).size(), 1u);
}

TEST_P(Cluster, SmallMessagesGoOnWhileALargeOneCrosses) {
  auto worker = start_worker();
  auto r = run_main({"big"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "small round trips answered: 20")) << describe(r);
  EXPECT_TRUE(contains(r.out, "32 MiB arrived intact")) << describe(r);
}

TEST_P(Cluster, RequestAndReplyWorkWithAProcessOnAnotherNode) {
  auto worker = start_worker();
  auto r = run_main({"request"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "requests answered right: 100 of 100")) << describe(r);
  EXPECT_TRUE(contains(r.out, "the stop request: answered")) << describe(r);
  EXPECT_TRUE(contains(r.out, "the server ended: yes")) << describe(r);
  // The first request after it stopped is sent (the worker reports the process gone) and
  // times out; from then on this node knows, and the next fails at once.
  EXPECT_TRUE(contains(r.out, "a request to the stopped server: process ")) << describe(r);
  EXPECT_TRUE(contains(r.out, "it waited for the timeout: yes")) << describe(r);
  EXPECT_TRUE(contains(r.out, "a second request to it: process ")) << describe(r);
  EXPECT_TRUE(contains(r.out, "does not exist")) << describe(r);
}

TEST_P(Cluster, LinksAndMonitorsFireAcrossNodesAsTheyDoOnOne) {
  auto worker = start_worker();
  auto r = run_main({"links"});
  EXPECT_EXIT_CODE(r, 0);
  // A remote process that traps: its link (tag 7) and its monitor, in either order.
  EXPECT_TRUE(contains(r.out, "remote trap: link died, tag 7, failed")) << describe(r);
  EXPECT_TRUE(contains(r.out, "remote trap: process died, remote")) << describe(r);
  // A remote process that does not exist: at once, as Erlang's noproc.
  EXPECT_TRUE(contains(r.out, "link to no process: link died, tag 8, no process")) << describe(r);
  EXPECT_TRUE(contains(r.out, "monitor of no process: process died, remote")) << describe(r);
  // A normal exit does not fire a link (Lunatic's rule), only the monitor.
  EXPECT_TRUE(contains(r.out, "remote normal exit: process died, remote")) << describe(r);
  // A remote process that links to a local one and traps takes the local one with it.
  EXPECT_TRUE(contains(r.out, "linked from a remote process that trapped: process died, local"))
      << describe(r);
  EXPECT_FALSE(contains(r.out, "nothing within")) << describe(r);
}

TEST_P(Cluster, LinksAndMonitorsFireWhenTheOtherNodeIsKilled) {
  auto worker = start_worker();
  auto main_node = start_main("node_down");
  ASSERT_TRUE(main_node->port()) << main_node->output();
  ASSERT_TRUE(main_node->wait_for_output("linked and monitoring", 20s)) << main_node->output();
  worker->stop(SIGKILL, 5s);
  // Its lease (2 s here) ends, or its connection is seen closed, whichever comes first.
  ASSERT_TRUE(main_node->wait_for_output("after ", 10s)) << main_node->output();
  expect_node_down_fired(*main_node);
}

TEST_P(Cluster, AFrozenNodeIsDeclaredDownByTicksLongBeforeItsLeaseEnds) {
  // Both with a 30 s lease: only the ticks (1 s here) can tell the node is gone.
  auto worker = start_node("worker", {"--tag", "role=worker", "--tick-timeout", "1000"}, "30");
  auto main_node = start_main("node_back", {"--tick-timeout", "1000"}, "30");
  ASSERT_TRUE(main_node->port()) << main_node->output();
  ASSERT_TRUE(main_node->wait_for_output("linked and monitoring", 20s)) << main_node->output();
  worker->stop(SIGSTOP, 0ms);
  const bool fired = main_node->wait_for_output("after ", 15s);
  worker->stop(SIGCONT, 0ms);
  ASSERT_TRUE(fired) << main_node->output();
  expect_node_down_fired(*main_node);
  // Thawed, it is still a member and connects again; its side of the link fired as well.
  ASSERT_TRUE(main_node->wait_for_output("the old process: ", 40s)) << main_node->output();
  expect_back_without_the_old_process(*main_node);
}

TEST_P(Cluster, AFrozenNodeWhoseLeaseEndedComesBackAsANewIncarnation) {
  // The worker's lease (2 s) ends while it is frozen; the main node's (30 s) does not.
  auto worker = start_node(
      "worker", {"--tag", "role=worker", "--tick-timeout", "1000", "--log-level", "info"});
  auto main_node = start_main("node_back_after_lease", {"--tick-timeout", "1000"}, "30");
  ASSERT_TRUE(main_node->port()) << main_node->output();
  ASSERT_TRUE(main_node->wait_for_output("linked and monitoring", 20s)) << main_node->output();
  worker->stop(SIGSTOP, 0ms);
  const bool left = main_node->wait_for_output("the worker left: ", 20s);
  worker->stop(SIGCONT, 0ms);
  ASSERT_TRUE(left) << main_node->output();
  ASSERT_TRUE(main_node->wait_for_output("the old process: ", 40s)) << main_node->output();
  expect_node_down_fired(*main_node);
  EXPECT_TRUE(contains(main_node->output(), "the worker left: yes")) << main_node->output();
  expect_back_without_the_old_process(*main_node);
  // It said so itself: it closed what it had as the old incarnation.
  EXPECT_TRUE(worker->wait_for_output("a new incarnation", 5s)) << worker->output();
}

TEST_P(Cluster, GlobalNamesAreSeenFromEveryNodeAndRacesHaveOneWinner) {
  auto worker = start_worker();
  auto r = run_main({"global"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "registered here: yes")) << describe(r);
  EXPECT_TRUE(contains(r.out, "a second process gets the first: yes")) << describe(r);
  EXPECT_TRUE(contains(r.out, "the worker finds it: yes")) << describe(r);
  EXPECT_TRUE(contains(r.out, "races with one winner: 100 of 100")) << describe(r);
  EXPECT_TRUE(contains(r.out, "released when its process died: yes")) << describe(r);
  EXPECT_TRUE(contains(r.out, "the worker sees it gone: yes")) << describe(r);
}

TEST_P(Cluster, TheGlobalNamesOfAKilledNodeGoWithItsLease) {
  auto worker = start_worker();
  auto main_node = start_main("global_node_down");
  ASSERT_TRUE(main_node->port()) << main_node->output();
  ASSERT_TRUE(main_node->wait_for_output("the worker registered: yes", 20s)) << main_node->output();
  worker->stop(SIGKILL, 5s);
  // The lease is 2 s here; the membership store drops the name when it ends.
  ASSERT_TRUE(main_node->wait_for_output("the name is gone: ", 15s)) << main_node->output();
  EXPECT_TRUE(contains(main_node->output(), "the name is gone: yes")) << main_node->output();
}

TEST_P(Cluster, ASupervisorRestartsAChildWhoseNodeDiedOnAnotherNode) {
  std::map<std::string, std::unique_ptr<BackgroundServer>> workers;
  for (const char* name : {"worker-a", "worker-b"}) {
    workers[name] = start_node(name, {"--tag", "role=worker"});
    ASSERT_TRUE(workers[name]->port());
  }
  auto main_node = start_main("supervised");
  ASSERT_TRUE(main_node->port()) << main_node->output();
  ASSERT_TRUE(main_node->wait_for_output("child started on node ", 20s)) << main_node->output();
  ASSERT_TRUE(main_node->wait_for_output("\n", 5s)) << main_node->output();
  std::smatch started;
  const std::string output = main_node->output();
  ASSERT_TRUE(std::regex_search(output, started, std::regex("child started on node ([0-9]+)")));
  // Kill the worker the child runs on.
  bool killed = false;
  for (auto& [name, worker] : workers) {
    if (contains(worker->output(), "is node " + started[1].str() + " at")) {
      worker->stop(SIGKILL, 5s);
      killed = true;
    }
  }
  ASSERT_TRUE(killed) << output;
  ASSERT_TRUE(main_node->wait_for_output("restarted on another node: ", 20s))
      << main_node->output();
  EXPECT_TRUE(contains(main_node->output(), "restarted on another node: yes"))
      << main_node->output();
}

TEST_P(Cluster, AnUnknownNodeIsAnErrorAtOnce) {
  auto worker = start_worker();
  auto r = run_main({"unknown_node"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"spawn on node 777: Node does not exist.",
                            "answered within a second: yes", "send to node 777: 2"});
}

TEST_P(Cluster, AMessageWithAResourceCannotCrossNodes) {
  auto worker = start_worker();
  auto r = run_main({"resource"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(contains(r.out, "the message with a socket was sent")) << describe(r);
  EXPECT_TRUE(contains(r.out, "the sender: ")) << describe(r);
  EXPECT_FALSE(contains(r.out, "the sender: sent a message back")) << describe(r);
  EXPECT_TRUE(contains(r.err, "cannot send resources to a process of another node")) << describe(r);
}

TEST_P(Cluster, AProcessKilledFromAnotherNodeIsGoneThere) {
  auto worker = start_worker();
  auto r = run_main({"kill"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "send to the killed process: 1")) << describe(r);
}

TEST_P(Cluster, ANodeThatLeavesOrDiesDropsOutOfMembership) {
  auto worker = start_worker();
  auto leaving = start_node("leaving");
  auto dying = start_node("dying");
  EXPECT_TRUE(contains(run_main({"info"}).out, "nodes: 4"));
  // SIGTERM: it leaves at once, cleanly (exit 0).
  EXPECT_EQ(leaving->stop(SIGTERM, 10s), 0);
  // kill -9: its lease (2 s) expires.
  EXPECT_FALSE(dying->stop(SIGKILL, 10s).has_value());
  const auto killed_at = std::chrono::steady_clock::now();
  std::string out;
  while (std::chrono::steady_clock::now() - killed_at < 10s) {
    out = run_main({"info"}).out;
    if (contains(out, "nodes: 2")) break;
  }
  EXPECT_TRUE(contains(out, "nodes: 2")) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 6s);
}

TEST_P(Cluster, ANodeRestartedUnderItsNameIsANewIncarnation) {
  auto worker = start_worker();
  auto old = start_node("phoenix");
  const std::uint64_t first = announced_id(old->output());
  ASSERT_NE(first, 0u) << old->output();
  EXPECT_FALSE(old->stop(SIGKILL, 10s).has_value());
  auto reborn = start_node("phoenix");
  const std::uint64_t second = announced_id(reborn->output());
  ASSERT_NE(second, 0u) << reborn->output();
  EXPECT_NE(first, second);
  // The old incarnation is gone at once, not after its lease: worker, phoenix and main.
  EXPECT_TRUE(contains(run_main({"info"}).out, "nodes: 3"));
}

// A rolling restart (issue 25): three workers (slots 0, 1 and 2) are restarted one at a time
// under their names, the middle one with kill -9 and the others with SIGTERM, while sessions of
// numbered messages run between the main node and each worker and around the ring of workers
// (sdk_cluster.cpp, "rolling"; a session checks every number comes back in order). Each worker
// is back, and every session of the new set of nodes flows, before the next goes.
TEST_P(Cluster, ARollingRestartOfEveryWorkerLosesNoMessageBetweenLiveProcesses) {
  constexpr int kSlots = 3;
  std::vector<std::unique_ptr<BackgroundServer>> workers(kSlots);
  std::vector<std::uint64_t> ids(kSlots);
  const auto name = [](int slot) { return "worker-" + std::to_string(slot); };
  const auto start_slot = [&](int slot) {
    workers[slot] = start_node(name(slot), {"--tag", "role=worker", "--tag",
                                            "slot=" + std::to_string(slot), "--log-level", "info"});
    ids[slot] = announced_id(workers[slot]->output());
  };
  for (int slot = 0; slot < kSlots; ++slot) {
    start_slot(slot);
    ASSERT_NE(ids[slot], 0u) << workers[slot]->output();
  }
  auto main_node = start_main("rolling");
  ASSERT_TRUE(main_node->port()) << main_node->output();
  std::string stopped_outputs;  // what the stopped incarnations printed
  const auto outputs = [&] {
    std::string all = "\nmain:\n" + main_node->output();
    for (int slot = 0; slot < kSlots; ++slot) {
      all += "\n" + name(slot) + " (node " + std::to_string(ids[slot]) + "):\n" +
             workers[slot]->output();
    }
    return all + stopped_outputs + store_log();
  };
  const auto all_flowing = [&] {
    std::string line = "all flowing:";
    for (int slot = 0; slot < kSlots; ++slot) {
      line += " " + std::to_string(slot) + "=" + std::to_string(ids[slot]);
    }
    return line + "\n";
  };
  ASSERT_TRUE(main_node->wait_for_output(all_flowing(), 30s)) << outputs();

  // Each stopped node, with how much of the main node's output was printed before it stopped.
  std::map<std::uint64_t, std::size_t> stopped_after;
  for (int slot = 0; slot < kSlots; ++slot) {
    const int signal = slot == 1 ? SIGKILL : SIGTERM;
    main_node->read_available();
    stopped_after[ids[slot]] = main_node->output().size();
    const std::optional<int> exit_code = workers[slot]->stop(signal, 10s);
    if (signal == SIGTERM) {
      EXPECT_EQ(exit_code, 0) << "a node leaves cleanly" << outputs();
    }
    stopped_outputs += "\n" + name(slot) + " (node " + std::to_string(ids[slot]) + ", stopped):\n" +
                       workers[slot]->output();
    start_slot(slot);
    ASSERT_NE(ids[slot], 0u) << outputs();
    ASSERT_EQ(stopped_after.count(ids[slot]), 0u) << "a restarted node has a new id" << outputs();
    ASSERT_TRUE(main_node->wait_for_output(all_flowing(), 30s)) << outputs();
  }
  ASSERT_TRUE(main_node->wait_for_output("rolling restart done", 20s)) << outputs();
  ASSERT_TRUE(main_node->wait_for_output("\n", 5s)) << outputs();
  EXPECT_EQ(main_node->stop(0, 10s), 0) << outputs();

  // Every session: its nodes, how it ended and where in the output.
  struct Seen {
    std::uint64_t client_node = 0;
    std::uint64_t echo_node = 0;
    std::string end;
    std::size_t ended_at = 0;
  };
  std::map<std::uint64_t, Seen> sessions;
  const std::regex session_line(R"(session ([0-9]+): node ([0-9]+) -> node ([0-9]+) (.*))");
  const std::string output = main_node->output();
  for (std::size_t at = 0, next = 0; at < output.size(); at = next + 1) {
    next = output.find('\n', at);
    if (next == std::string::npos) next = output.size();
    const std::string line = output.substr(at, next - at);
    std::smatch m;
    if (!std::regex_match(line, m, session_line)) continue;
    Seen& seen = sessions[std::stoull(m[1].str())];
    seen.client_node = std::stoull(m[2].str());
    seen.echo_node = std::stoull(m[3].str());
    if (m[4].str().starts_with("ended: ")) {
      seen.end = m[4].str().substr(7);
      seen.ended_at = at;
    }
  }
  // Six at first (the main node with each worker, each worker with the next), and three new
  // ones with each restarted worker; all ended.
  EXPECT_EQ(sessions.size(), 6u + 3u * kSlots) << outputs();
  EXPECT_TRUE(contains(output, "rolling restart done: 15 sessions, 0 still running")) << outputs();
  const std::regex lost_echo(
      R"(lost its echo \((link, node down|monitor)\) after [0-9]+ in order, [0-9]+ in flight)");
  const std::regex stopped(R"(stopped after ([0-9]+) in order, 0 in flight)");
  int unbroken = 0;
  for (const auto& [id, seen] : sessions) {
    const std::string what = "session " + std::to_string(id) + " ended: " + seen.end;
    // Which of its nodes was stopped first, if any.
    const auto client_stop = stopped_after.find(seen.client_node);
    const auto echo_stop = stopped_after.find(seen.echo_node);
    const bool client_first =
        client_stop != stopped_after.end() &&
        (echo_stop == stopped_after.end() || client_stop->second < echo_stop->second);
    if (client_first) {
      // Its client went down with its node, after that node was stopped: the main node's
      // monitor of it fired.
      EXPECT_EQ(seen.end, "lost its client (monitor)") << what << outputs();
      EXPECT_GE(seen.ended_at, client_stop->second) << what << outputs();
    } else if (echo_stop != stopped_after.end()) {
      // Its echo went down with its node, after that node was stopped: the client's link (for
      // that reason) or monitor fired, and it says how many numbers were in flight then, the
      // loss. Until then, every number came back in order.
      EXPECT_TRUE(std::regex_match(seen.end, lost_echo)) << what << outputs();
      EXPECT_GE(seen.ended_at, echo_stop->second) << what << outputs();
    } else {
      // Both nodes stayed up from its start to its end: every number came back, in order.
      ++unbroken;
      std::smatch m;
      EXPECT_TRUE(std::regex_match(seen.end, m, stopped)) << what << outputs();
      if (m.size() == 2) {
        EXPECT_GE(std::stoull(m[1].str()), 100u) << what << outputs();
      }
    }
  }
  // Those of the last set of nodes: traffic resumed with every restarted worker.
  EXPECT_EQ(unbroken, 6) << outputs();
}

TEST_F(ClusterOnControl, ANodeWithACertificateFromAnotherCaIsRefused) {
  auto worker = start_worker();
  ASSERT_NO_FATAL_FAILURE(enroll_stranger());
  auto stranger = start_node("stranger", stranger_identity({"--log-level", "info"}));
  // The worker dials the stranger (it is a member) and the stranger dials the worker: both
  // handshakes fail on the certificates.
  EXPECT_TRUE(worker->wait_for_output("certificate verify failed", 15s)) << worker->output();
  EXPECT_TRUE(stranger->wait_for_output("unknown ca", 15s)) << stranger->output();
}

TEST_F(ClusterOnControl, ASpawnOnANodeThatRefusesTheConnectionFailsWithTheReason) {
  auto worker = start_worker();
  ASSERT_NO_FATAL_FAILURE(enroll_stranger());
  std::vector<std::string> args = node_args("stranger");
  for (auto& arg : stranger_identity({"--wasm", guest("sdk_cluster"), "--", "unreachable"}))
    args.push_back(std::move(arg));
  RunOptions opt;
  opt.timeout = 60s;
  auto r = lunatic(args, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "spawn on the worker: no connection to node ")) << describe(r);
  EXPECT_TRUE(contains(r.out, "certificate verify failed")) << describe(r);
  EXPECT_TRUE(contains(r.out, "answered within 10 s: yes")) << describe(r);
}

// Hot code upgrade rolled out over a cluster: `lunatic upgrade --all-nodes` through the main
// node's --upgrade-socket moves the counters on both nodes (upgrade_cluster.wasm, whose counter
// on the worker node runs the module main's node shipped there) to upgrade_v2.wasm.
class ClusterUpgrade : public ClusterTest {
 protected:
  ClusterUpgrade() : ClusterTest(Backend::kControl) {}
};

TEST_F(ClusterUpgrade, AnUpgradeReachesTheProcessesOfEveryNode) {
  auto worker = start_worker();
  if (!worker->port()) return;
  const std::string socket = (dir_ / "main.sock").string();
  auto main_node = start_node(
      "main", {"--upgrade-socket", socket, "--wasm", guest("upgrade_cluster")}, "2", 120s);
  if (!main_node->port()) return;
  ASSERT_TRUE(main_node->wait_for_output("versions: v1 v1", 60s)) << main_node->output();

  const auto here_only = lunatic({"upgrade", "--socket", socket, guest("upgrade_plain")});
  EXPECT_EXIT_CODE(here_only, 1);  // refused as a whole: nothing changes anywhere
  EXPECT_TRUE(contains(here_only.err, "exports no function `lunatic_upgrade_load`"))
      << describe(here_only);

  RunOptions opt;
  opt.timeout = 180s;
  const auto r = lunatic({"upgrade", "--socket", socket, "--all-nodes", guest("upgrade_v2")}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "2 upgraded on 2 nodes\n") << describe(r);
  EXPECT_TRUE(main_node->wait_for_output("versions: v2 v2", 30s)) << main_node->output();
}

}  // namespace

// The etcd backend end to end, with the commands docs/distribution.md gives: make cluster-demo
// (Debian's etcd on loopback, openssl certificates, three nodes, examples/cluster_work).
TEST(ClusterOnEtcd, TheDemoSpreadsTheExampleOverThreeNodes) {
  const fs::path build = fs::path(lunatic_binary()).parent_path();
  RunOptions opt;
  opt.timeout = 180s;
  opt.env["XDG_CACHE_HOME"] = SHARED_CACHE_DIR;  // nothing lands in the real home
  auto r = run_command(
      {"/bin/bash", (fs::path(SDK_DIR) / "../../scripts/cluster.sh").string(), build.string()},
      opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "3 node(s) in the cluster; this is node 3")) << describe(r);
  EXPECT_TRUE(has_line(r.out, "primes below 2000000: 148933")) << describe(r);
  for (const char* node : {"node 1 counted", "node 2 counted", "node 3 counted"}) {
    EXPECT_TRUE(contains(r.out, node)) << describe(r);
  }
}
