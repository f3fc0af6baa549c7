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
  return 0;
}
