// The C++ SDK's Supervisor: the three strategies, the restart intensity, children that end
// normally, and stopping (tests/cli/cli_sdk_test.cpp).
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Ping {};
struct Child {
  using Arg = int;
  using Request = Ping;
  using Response = int;
  static Child init(int index) { return Child{index}; }
  int handle_request(const Ping&) { return index; }
  int index;
};

struct TreeSpec {
  int strategy;
  int max_restarts;
  std::int64_t period_ms;
  bool with_short_lived;  // a fourth child whose function returns at once
};

void ends_at_once(lunatic::Mailbox<int>) {}

void tree(TreeSpec spec, lunatic::Mailbox<lunatic::SupervisorRequest> mailbox) {
  lunatic::Supervisor supervisor(
      static_cast<lunatic::Strategy>(spec.strategy),
      {.max_restarts = spec.max_restarts, .period = lunatic::Milliseconds(spec.period_ms)});
  for (int i = 0; i < 3; ++i) {
    supervisor.add_child("c" + std::to_string(i), [i] { return lunatic::start_server<Child>(i); });
  }
  if (spec.with_short_lived) {
    supervisor.add_child("short", [] { return lunatic::spawn(&ends_at_once); });
  }
  supervisor.run(mailbox);
}

using Tree = lunatic::Process<lunatic::SupervisorRequest>;

std::vector<lunatic::ChildInfo> children(const Tree& supervisor) {
  return lunatic::supervisor_children(supervisor, 1s).value();
}

// Kills child `index` and waits until the supervisor has restarted it.
std::vector<lunatic::ChildInfo> kill_and_wait(const Tree& supervisor, int index) {
  const auto before = children(supervisor);
  lunatic::Process<int>(before[index].process).kill();
  for (int i = 0; i < 2000; ++i) {
    auto now = children(supervisor);
    if (now[index].restarts > before[index].restarts) return now;
    lunatic::sleep(1ms);
  }
  std::printf("no restart seen\n");
  return children(supervisor);
}

void strategy(lunatic::Strategy which) {
  auto supervisor =
      lunatic::spawn(&tree, TreeSpec{static_cast<int>(which), 5, 5000, false}).value();
  const auto before = children(supervisor);
  const auto after = kill_and_wait(supervisor, 1);
  for (std::size_t i = 0; i < before.size(); ++i) {
    const bool replaced = before[i].process != after[i].process;
    const bool works =
        lunatic::ServerRef<Child>(after[i].process).request(Ping{}, 1s).value_or(-1) ==
        static_cast<int>(i);
    std::printf("%s: %s, restarts %d, answers: %s, old one alive: %s\n", after[i].name.c_str(),
                replaced ? "new process" : "same process", after[i].restarts, works ? "yes" : "no",
                replaced && lunatic::Process<int>(before[i].process).alive() ? "yes" : "no");
  }
  lunatic::stop_supervisor(supervisor, 1s).value();
}

void intensity() {
  auto supervisor = lunatic::spawn(&tree, TreeSpec{0, 2, 10000, false}).value();
  supervisor.monitor();
  const auto first = children(supervisor);
  kill_and_wait(supervisor, 0);
  kill_and_wait(supervisor, 0);
  std::printf("after 2 restarts: supervisor %s\n", supervisor.alive() ? "alive" : "dead");
  lunatic::Process<int>(children(supervisor)[0].process).kill();  // the third failure in 10 s
  auto event = lunatic::Mailbox<int>().receive_event(2s).value();
  std::printf("third failure: %s\n", std::holds_alternative<lunatic::ProcessDied>(event)
                                         ? "the supervisor died"
                                         : "wrong");
  int alive = 0;
  for (const auto& child : first) alive += lunatic::Process<int>(child.process).alive() ? 1 : 0;
  std::printf("first children still alive: %d\n", alive);
}

void normal_end() {
  auto supervisor = lunatic::spawn(&tree, TreeSpec{0, 5, 5000, true}).value();
  lunatic::sleep(100ms);
  const auto now = children(supervisor);
  std::printf("%s: restarts %d, alive %s\n", now[3].name.c_str(), now[3].restarts,
              lunatic::Process<int>(now[3].process).alive() ? "yes" : "no");
  lunatic::stop_supervisor(supervisor, 1s).value();
}

void stop() {
  auto supervisor = lunatic::spawn(&tree, TreeSpec{0, 5, 5000, false}).value();
  const auto before = children(supervisor);
  std::printf("stop: %s\n", lunatic::stop_supervisor(supervisor, 1s) ? "ok" : "failed");
  for (int i = 0; i < 1000 && supervisor.alive(); ++i) lunatic::sleep(1ms);
  int alive = 0;
  for (const auto& child : before) alive += lunatic::Process<int>(child.process).alive() ? 1 : 0;
  std::printf("supervisor alive: %s, children alive: %d\n", supervisor.alive() ? "yes" : "no",
              alive);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "one_for_one")
    strategy(lunatic::Strategy::kOneForOne);
  else if (mode == "one_for_all")
    strategy(lunatic::Strategy::kOneForAll);
  else if (mode == "rest_for_one")
    strategy(lunatic::Strategy::kRestForOne);
  else if (mode == "intensity")
    intensity();
  else if (mode == "normal_end")
    normal_end();
  else if (mode == "stop")
    stop();
  else {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  return 0;
}
