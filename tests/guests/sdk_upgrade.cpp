// sdk_upgrade.wasm <sdk_upgrade_v2.wasm>: hot upgrade through the C++ SDK (lunatic/upgrade.hpp).
// Version 1 of a Counter server runs under a supervisor and alone; main moves them to version 2
// (sdk_upgrade_v2.cpp), whose code_change turns the count into a history, and refuses 13.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <lunatic/lunatic.hpp>
#include <lunatic/upgrade.hpp>
#include <string>

#include "sdk_upgrade_counter.h"

LUNATIC_CODE_VERSION("counter-v1");

using namespace std::chrono_literals;

struct Counter {
  using Arg = std::int64_t;
  using Message = Add;
  using Request = Show;
  using Response = std::string;
  static constexpr const char* kUpgradeKind = "counter";
  std::int64_t value = 0;

  static Counter init(std::int64_t start) { return Counter{start}; }
  void handle_message(const Add& add) { value += add.amount; }
  std::string handle_request(const Show&) { return "v1 value=" + std::to_string(value); }
};

void tree(int children, lunatic::Mailbox<lunatic::SupervisorRequest> mailbox) {
  lunatic::Supervisor supervisor(lunatic::Strategy::kOneForOne, {});
  for (int i = 0; i < children; ++i) {
    supervisor.add_child("counter" + std::to_string(i),
                         [i] { return lunatic::start_server<Counter>(10 * (i + 1)); });
  }
  supervisor.run(mailbox);
}

// A server with no kUpgradeKind: it cannot hand its state over, so an upgrade can only restart
// it (through its supervisor, from the supervisor's code).
struct Plain {
  using Arg = int;
  using Request = Show;
  using Response = std::string;
  int unused = 0;

  static Plain init(int) { return Plain{}; }
  std::string handle_request(const Show&) { return "plain v1"; }
};

void plain_tree(int, lunatic::Mailbox<lunatic::SupervisorRequest> mailbox) {
  lunatic::Supervisor supervisor(lunatic::Strategy::kOneForOne, {});
  supervisor.add_child("plain", [] { return lunatic::start_server<Plain>(0); });
  supervisor.run(mailbox);
}

std::string show(lunatic::ProcessId id) {
  auto shown = lunatic::ServerRef<Counter>(id).request(Show{}, 5s);
  return shown ? *shown : "no answer: " + shown.error().message;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::ifstream file(argv[1], std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), {});
  auto v2 = lunatic::Module::compile(bytes);
  if (!v2) {
    std::printf("cannot compile v2: %s\n", v2.error().message.c_str());
    return 1;
  }
  auto unlucky = lunatic::start_server<Counter>(13).value();
  auto moved = lunatic::upgrade::upgrade_process(unlucky.id(), *v2);
  std::printf("upgrade 13: %s\n", moved ? "moved" : moved.error().message.c_str());
  unlucky.send(Add{1});
  std::printf("13 after: %s\n", show(unlucky.id()).c_str());

  auto supervisor = lunatic::spawn(&tree, 2).value();
  auto children = lunatic::supervisor_children(supervisor, 5s).value();
  for (const auto& child : children) lunatic::ServerRef<Counter>(child.process).send(Add{5});
  auto report = lunatic::upgrade::upgrade_children(supervisor, *v2);
  if (!report) {
    std::printf("upgrade_children failed: %s\n", report.error().message.c_str());
    return 1;
  }
  std::printf("upgrade_children: upgraded=%llu failed=%llu%s\n",
              static_cast<unsigned long long>(report->upgraded),
              static_cast<unsigned long long>(report->failed), report->first_failure.c_str());
  for (const auto& child : children) {
    lunatic::ServerRef<Counter>(child.process).send(Add{2});
    std::printf("%s: %s\n", child.name.c_str(), show(child.process).c_str());
  }

  auto plain = lunatic::spawn(&plain_tree, 0).value();
  const lunatic::ProcessId before = lunatic::supervisor_children(plain, 5s).value()[0].process;
  auto kept = lunatic::upgrade::upgrade_children(plain, *v2);
  std::printf("plain without restart: upgraded=%llu failed=%llu %s\n",
              static_cast<unsigned long long>(kept->upgraded),
              static_cast<unsigned long long>(kept->failed), kept->first_failure.c_str());
  auto restarted = lunatic::upgrade::upgrade_children(plain, *v2, {.restart = true});
  std::printf("plain with restart: upgraded=%llu failed=%llu\n",
              static_cast<unsigned long long>(restarted->upgraded),
              static_cast<unsigned long long>(restarted->failed));
  lunatic::ChildInfo now;
  for (int i = 0; i < 100; ++i) {  // the supervisor hears of the death, then restarts it
    now = lunatic::supervisor_children(plain, 5s).value()[0];
    if (now.process != before) break;
    lunatic::sleep(20ms);
  }
  std::printf("plain restarted: %s, restarts %d, answers: %s\n",
              now.process != before ? "yes" : "no", now.restarts,
              lunatic::ServerRef<Plain>(now.process).request(Show{}, 5s).value_or("none").c_str());
  return 0;
}
