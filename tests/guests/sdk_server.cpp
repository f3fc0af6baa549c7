// The C++ SDK's servers, request/reply and their failure paths (tests/cli/cli_sdk_test.cpp).
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <string>
#include <variant>

using namespace std::chrono_literals;

namespace {

struct Add {
  int amount;
};
struct Get {};
struct Slow {
  int millis;
};
struct Crash {};

struct Counter {
  using Arg = int;
  using Message = Add;
  using Request = std::variant<Get, Slow, Crash>;
  using Response = int;

  static Counter init(int start) { return Counter{start}; }
  void handle_message(const Add& add) { value += add.amount; }
  int handle_request(const Request& request) {
    if (auto* slow = std::get_if<Slow>(&request))
      lunatic::sleep(lunatic::Milliseconds(slow->millis));
    if (std::holds_alternative<Crash>(request)) __builtin_trap();
    return value;
  }
  void terminate() { std::printf("terminate with %d\n", value); }

  int value;
};

struct Refuses {
  using Arg = std::string;
  using Request = Get;
  using Response = int;
  static lunatic::Result<Refuses> init(std::string why) {
    return lunatic::Error{lunatic::ErrorKind::kInvalidInput, why};
  }
  int handle_request(const Get&) { return 0; }
};

void basic() {
  auto counter = lunatic::start_server<Counter>(5).value();
  for (int i = 0; i < 3; ++i) counter.send(Add{2});
  std::printf("value: %d\n", counter.request(Get{}, 1s).value());
  std::printf("stop: %s\n", counter.stop(1s) ? "ok" : "failed");
  std::printf("alive after stop: %s\n", counter.alive() ? "yes" : "no");
  auto late = counter.request(Get{}, 1s);
  std::printf("request after stop: %s\n",
              late ? "answered?!" : lunatic::to_string(late.error().kind));
}

void named() {
  auto first = lunatic::start_server<Counter>(1, {.name = "counter"}).value();
  auto second = lunatic::start_server<Counter>(100, {.name = "counter"}).value();
  std::printf("same process: %s, value %d\n", first.id() == second.id() ? "yes" : "no",
              second.request(Get{}, 1s).value());
  auto found = lunatic::ServerRef<Counter>::lookup("counter");
  std::printf("lookup: %s\n", found && found->id() == first.id() ? "the server" : "wrong");
  first.process().kill();
  while (first.alive()) lunatic::sleep(1ms);
  auto third = lunatic::start_server<Counter>(300, {.name = "counter"}).value();
  std::printf("after its death a new one: %s, value %d\n", third.id() == first.id() ? "no" : "yes",
              third.request(Get{}, 1s).value());
}

void init_fails() {
  auto refused = lunatic::start_server<Refuses>(std::string("no database"));
  std::printf("start: %s: %s\n", refused ? "started?!" : lunatic::to_string(refused.error().kind),
              refused ? "" : refused.error().message.c_str());
}

void bad_message() {
  auto counter = lunatic::start_server<Counter>(9).value();
  const std::uint8_t garbage[] = {0x93, 0xc1};
  lunatic_message_create_data(0, sizeof garbage);
  lunatic_message_write_data(lunatic::detail::address(garbage), sizeof garbage);
  lunatic_message_send(counter.id().value);
  lunatic::Process<int>(counter.id()).send(12345);  // a well-formed message of the wrong type
  std::printf("still serving: %d\n", counter.request(Get{}, 1s).value());
}

void request_timeout() {
  auto counter = lunatic::start_server<Counter>(3).value();
  auto slow = counter.request(Slow{300}, 50ms);
  std::printf("slow request: %s\n", slow ? "answered?!" : lunatic::to_string(slow.error().kind));
  // The late reply carries the old tag: the next request is not confused by it.
  lunatic::sleep(400ms);
  std::printf("next request: %d\n", counter.request(Get{}, 1s).value());
}

void dead_peer() {
  auto counter = lunatic::start_server<Counter>(3).value();
  counter.stop(1s).value();
  const auto t0 = std::chrono::steady_clock::now();
  auto answer = counter.request(Get{}, 5s);
  const bool at_once = std::chrono::steady_clock::now() - t0 < 1s;
  std::printf("request to a dead server: %s, at once: %s\n",
              answer ? "answered?!" : lunatic::to_string(answer.error().kind),
              at_once ? "yes" : "no");
  auto crashing = lunatic::start_server<Counter>(3).value();
  auto crashed = crashing.request(Crash{}, 200ms);
  std::printf("server dies holding the request: %s\n",
              crashed ? "answered?!" : lunatic::to_string(crashed.error().kind));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "basic")
    basic();
  else if (mode == "named")
    named();
  else if (mode == "init_fails")
    init_fails();
  else if (mode == "bad_message")
    bad_message();
  else if (mode == "request_timeout")
    request_timeout();
  else if (mode == "dead_peer")
    dead_peer();
  else {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  return 0;
}
