// CLI tests: `lunatic run --trace FILE` (trace_events.wasm): the file is a Chrome trace that
// Perfetto opens, with a track per process, its spawn and exit, and a flow per message; it is
// bounded by --trace-limit and --trace-max-size; a bad path is refused before the guest runs.
#include <csignal>
#include <map>
#include <set>

#include "support/background_server.hpp"
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;
using nlohmann::json;
using namespace std::chrono_literals;

class Trace : public ProcessTest {
 protected:
  fs::path trace_path() const { return dir_ / "trace.json"; }

  json read_trace() const {
    const std::string text = read_file(trace_path());
    json trace = json::parse(text, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(trace.is_discarded()) << "not JSON: " << text.substr(0, 2000);
    return trace;
  }

  // The one instant event `name` on process `pid`'s track.
  static std::optional<json> instant(const json& trace, std::string_view name, std::uint64_t pid) {
    for (const json& event : trace_events(trace, "i", name)) {
      if (event["tid"] == pid) return event;
    }
    return std::nullopt;
  }
};

TEST_F(Trace, ARunWritesEveryProcessesSpawnExitAndMessagesAsAChromeTrace) {
  const RunResult r = run_guest("trace_events", {}, {"--trace", trace_path().string()});
  EXPECT_EXIT_CODE(r, 0);
  ASSERT_TRUE(has_line(r.out, "done")) << describe(r);
  EXPECT_TRUE(contains(r.err, "lunatic: trace of ")) << r.err;
  const json trace = read_trace();
  ASSERT_TRUE(trace.is_object());
  ASSERT_TRUE(trace["traceEvents"].is_array());
  EXPECT_EQ(trace["otherData"]["events_dropped"], 0);

  const std::uint64_t main = 1;
  std::map<std::string, std::uint64_t> pids;
  for (const char* name : {"echo1", "echo2", "trapper", "victim"}) {
    const auto pid = number_after(r.out, std::string("pid ") + name + ": ");
    ASSERT_TRUE(pid) << describe(r);
    pids[name] = *pid;
  }

  // A named track per process: its id, its function, and the names it was registered under.
  std::map<std::uint64_t, std::string> thread_names;
  for (const json& event : trace_events(trace, "M", "thread_name")) {
    thread_names[event["tid"].get<std::uint64_t>()] = event["args"]["name"];
  }
  EXPECT_EQ(thread_names[main], "process 1 _start [tracee]");
  EXPECT_EQ(thread_names[pids["echo1"]], "process " + std::to_string(pids["echo1"]) + " echo");
  EXPECT_EQ(thread_names[pids["trapper"]],
            "process " + std::to_string(pids["trapper"]) + " child_trap");
  ASSERT_EQ(trace_events(trace, "M", "process_name").size(), 1u);

  // Spawn and exit of each child, with its parent and why it ended.
  for (const auto& [name, pid] : pids) {
    const auto spawn = instant(trace, "spawn", pid);
    ASSERT_TRUE(spawn) << name;
    EXPECT_EQ((*spawn)["args"]["parent"], main) << name;
    const auto exit = instant(trace, "exit", pid);
    ASSERT_TRUE(exit) << name;
    EXPECT_LT((*spawn)["ts"].get<double>(), (*exit)["ts"].get<double>()) << name;
  }
  EXPECT_EQ((*instant(trace, "spawn", pids["echo1"]))["args"]["function"], "echo");
  EXPECT_EQ((*instant(trace, "exit", pids["echo1"]))["args"]["reason"], "normal");
  EXPECT_EQ((*instant(trace, "exit", pids["echo2"]))["args"]["reason"], "normal");
  const json trapped = *instant(trace, "exit", pids["trapper"]);
  EXPECT_EQ(trapped["args"]["reason"], "trap");
  EXPECT_EQ(trapped["args"]["trap"], "unreachable executed");
  EXPECT_TRUE(contains(trapped["args"].value("message", ""), "child_trap")) << trapped;
  EXPECT_EQ((*instant(trace, "exit", pids["victim"]))["args"]["reason"], "killed");
  const auto kill = instant(trace, "kill", pids["victim"]);
  ASSERT_TRUE(kill);
  EXPECT_EQ((*kill)["args"]["by"], main);
  EXPECT_EQ((*instant(trace, "exit", main))["args"]["reason"], "normal");

  // Every message flow that ends has begun, earlier, under the same id; main's three messages
  // to each echo and the three replies are among them.
  std::map<std::uint64_t, json> starts;
  for (const json& start : trace_events(trace, "s", "message")) {
    EXPECT_TRUE(starts.emplace(start["id"].get<std::uint64_t>(), start).second) << start;
  }
  std::map<std::pair<std::uint64_t, std::uint64_t>, int> flows;  // (from, to) -> count
  for (const json& end : trace_events(trace, "f", "message")) {
    const auto start = starts.find(end["id"].get<std::uint64_t>());
    ASSERT_NE(start, starts.end()) << end;
    EXPECT_LE(start->second["ts"].get<double>(), end["ts"].get<double>()) << end;
    EXPECT_EQ(end.value("bp", ""), "e");
    ++flows[{start->second["tid"].get<std::uint64_t>(), end["tid"].get<std::uint64_t>()}];
  }
  for (const char* name : {"echo1", "echo2"}) {
    EXPECT_EQ((flows[{main, pids[name]}]), 3) << name;
    EXPECT_EQ((flows[{pids[name], main}]), 3) << name;
  }
  // Each process's life is a slice, and it ran in slices within it.
  for (const auto& [name, pid] : pids) {
    bool life = false;
    bool ran = false;
    for (const json& slice : trace_events(trace, "X")) {
      if (slice["tid"] != pid) continue;
      life = life || slice["name"] == "process " + std::to_string(pid);
      ran = ran || slice["name"] == "running";
    }
    EXPECT_TRUE(life && ran) << name;
  }
}

TEST_F(Trace, ASmallLimitKeepsTheNewestEventsAndSaysHowManyWereDropped) {
  const RunResult r = run_guest("trace_events", {"flood", "1000"},
                                {"--trace", trace_path().string(), "--trace-limit", "200"});
  EXPECT_EXIT_CODE(r, 0);
  ASSERT_TRUE(has_line(r.out, "flooded: 1000")) << describe(r);
  const json trace = read_trace();
  const json& other = trace["otherData"];
  ASSERT_GE(other["events_recorded"].get<std::uint64_t>(), 2000u)
      << other;  // a send, a receive each
  EXPECT_EQ(other["events_dropped"].get<std::uint64_t>(),
            other["events_recorded"].get<std::uint64_t>() - 200)
      << other;
  EXPECT_EQ(other["ring_capacity"], 200);
  EXPECT_TRUE(contains(r.err, std::to_string(other["events_dropped"].get<std::uint64_t>()) +
                                  " events over --trace-limit"))
      << r.err;
  // The oldest (main's spawn) went, the newest (its exit) stayed, and what is left is the
  // limit's worth of the flood.
  EXPECT_FALSE(instant(trace, "spawn", 1));
  EXPECT_TRUE(instant(trace, "exit", 1));
  const std::size_t receives = trace_events(trace, "i", "receive").size();
  EXPECT_GT(receives, 20u);
  EXPECT_LE(receives, 200u);
  EXPECT_EQ(trace_events(trace, "i", "older events dropped").size(), 1u);
}

TEST_F(Trace, TheFileStaysUnderItsMaximumSizeByLeavingOutTheOldestEvents) {
  const RunResult r = run_guest("trace_events", {"flood", "2000"},
                                {"--trace", trace_path().string(), "--trace-max-size", "64K"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_LE(fs::file_size(trace_path()), 64u * 1024);
  const json trace = read_trace();
  EXPECT_GT(trace["otherData"]["events_left_out"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(trace["otherData"]["events_dropped"], 0);
  EXPECT_TRUE(instant(trace, "exit", 1));
  EXPECT_FALSE(instant(trace, "spawn", 1));
  // No flow is cut in half: each end still has its start.
  std::set<std::uint64_t> starts;
  for (const json& start : trace_events(trace, "s"))
    starts.insert(start["id"].get<std::uint64_t>());
  for (const json& end : trace_events(trace, "f")) EXPECT_TRUE(starts.contains(end["id"])) << end;
}

TEST_F(Trace, AnUnwritablePathIsAnErrorBeforeTheGuestRuns) {
  const RunResult r =
      run_guest("trace_events", {}, {"--trace", (dir_ / "no-such-dir" / "trace.json").string()});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, "--trace: cannot create")) << r.err;
  EXPECT_TRUE(contains(r.err, "No such file or directory")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(Trace, SigtermStopsATracedRunAndTheTraceIsStillWritten) {
  BackgroundServer run(
      {lunatic_binary(), "run", "--trace", trace_path().string(), guest("trace_events"), "hang"},
      background_environment(), 120s, R"(waiting: ([0-9]+))");
  ASSERT_TRUE(run.port()) << run.output();
  EXPECT_EQ(run.stop(SIGTERM, 30s), 128 + SIGTERM);
  const json trace = read_trace();
  EXPECT_TRUE(instant(trace, "spawn", 1));
  EXPECT_TRUE(instant(trace, "spawn", 2));
  EXPECT_FALSE(instant(trace, "exit", 1));  // it was waiting when the signal came
}

}  // namespace
