// The C++ SDK's configs and run-time modules (tests/cli/cli_sdk_test.cpp).
#include <cstdio>
#include <cstdlib>
#include <lunatic/lunatic.hpp>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using Reply = lunatic::Process<std::string>;

void* volatile kept;  // so the compiler cannot drop the allocations as unused

void allocates(Reply parent, lunatic::Mailbox<int>) {
  void* small = std::malloc(64 * 1024);
  kept = small;
  void* big = std::malloc(16 * 1024 * 1024);
  kept = big;
  parent.send(std::string("64 KiB: ") + (small ? "ok" : "refused") +
              ", 16 MiB: " + (big ? "ok" : "refused"));
}

void reads_environment(Reply parent, lunatic::Mailbox<int>) {
  const char* value = std::getenv("SDK_KEY");
  parent.send(std::string("SDK_KEY=") + (value ? value : "(unset)"));
}

void creates_config(Reply parent, lunatic::Mailbox<int>) {
  auto config = lunatic::Config::create();
  parent.send(std::string("create_config: ") +
              (config ? "allowed"
                      : std::string(lunatic::to_string(config.error().kind)) + ": " +
                            config.error().message));
}

Reply self() { return Reply(lunatic::this_process_id()); }

std::string answer() { return lunatic::Mailbox<std::string>().receive(2s).value_or("no answer"); }

void max_memory() {
  auto config = lunatic::Config::create().value();
  config.max_memory(4 * 1024 * 1024).can_spawn_processes(false);
  std::printf("max_memory: %llu\n", static_cast<unsigned long long>(config.max_memory()));
  lunatic::spawn(&allocates, self(), {.config = &config}).value();
  std::printf("limited child: %s\n", answer().c_str());
  lunatic::spawn(&allocates, self()).value();
  std::printf("unlimited child: %s\n", answer().c_str());
}

void environment() {
  auto config = lunatic::Config::create().value();
  config.environment("SDK_KEY", "sdk value").argument("child");
  lunatic::spawn(&reads_environment, self(), {.config = &config}).value();
  std::printf("configured child: %s\n", answer().c_str());
}

void permissions() {
  auto config = lunatic::Config::create().value();
  std::printf("new config may create configs: %s\n",
              lunatic_config_can_create_configs(config.id()) ? "yes" : "no");
  lunatic::spawn(&creates_config, self(), {.config = &config}).value();
  std::printf("denied child: %s\n", answer().c_str());
  config.can_create_configs(true);
  lunatic::spawn(&creates_config, self(), {.config = &config}).value();
  std::printf("allowed child: %s\n", answer().c_str());
}

// (module (func (export "f"))) and a module whose section is cut short.
const std::uint8_t kTinyModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
    0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};
const std::uint8_t kBrokenModule[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00,
                                      0x00, 0x00, 0x01, 0x09, 0x01};

void modules() {
  auto broken = lunatic::Module::compile(kBrokenModule);
  std::printf("broken module: %s, with a reason: %s\n",
              broken ? "compiled?!" : lunatic::to_string(broken.error().kind),
              !broken && !broken.error().message.empty() ? "yes" : "no");
  auto tiny = lunatic::Module::compile(kTinyModule).value();
  auto child = tiny.spawn("f").value();
  for (int i = 0; i < 2000 && child.alive(); ++i) lunatic::sleep(1ms);
  std::printf("spawned from it: %s\n", child.alive() ? "still running?!" : "ran and ended");
  lunatic::die_when_link_dies(false);
  tiny.spawn("missing", {}, {.link = 6}).value();
  auto failed = lunatic::Mailbox<int>().receive_event(2s);
  auto* died = failed ? std::get_if<lunatic::LinkDied>(&*failed) : nullptr;
  std::printf("a missing export: %s\n", died && died->tag == 6 ? "the child failed" : "wrong");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "max_memory")
    max_memory();
  else if (mode == "environment")
    environment();
  else if (mode == "permissions")
    permissions();
  else if (mode == "modules")
    modules();
  else {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  return 0;
}
