// The C++ SDK's processes and mailboxes, seen from inside (tests/cli/cli_sdk_test.cpp).
// argv[1] picks the case; each prints what it saw.
#include <cstdio>
#include <cstring>
#include <lunatic/lunatic.hpp>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using lunatic::Mailbox;
using lunatic::Process;

namespace {

struct Point {
  int x;
  std::string name;
  std::vector<double> weights;
};

struct Echo {
  Point point;
  Process<Point> reply_to;
};

void echo_child(Echo echo, Mailbox<int>) {
  echo.point.x += 1;
  echo.point.name += "!";
  echo.reply_to.send(echo.point);
}

void counter_child(Process<int> parent, Mailbox<int> mailbox) {
  int expected = 0;
  int wrong = 0;
  for (;;) {
    int value = mailbox.receive().value();
    if (value < 0) break;
    if (value != expected++) ++wrong;
  }
  parent.send(wrong == 0 ? expected : -wrong);
}

void traps(int code, Mailbox<int>) {
  if (code > 0) __builtin_trap();
}

void waits_forever(Mailbox<int> mailbox) { (void)mailbox.receive(); }

Process<int> self_int() { return Process<int>(lunatic::this_process_id()); }

void spawn_argument() {
  Process<Point> me(lunatic::this_process_id());
  lunatic::spawn(&echo_child, Echo{Point{41, "point", {0.5, 2.25}}, me}).value();
  Point back = Mailbox<Point>().receive(2s).value();
  std::printf("echo: x=%d name=%s weights=%zu (%.2f, %.2f)\n", back.x, back.name.c_str(),
              back.weights.size(), back.weights[0], back.weights[1]);
}

void order() {
  auto child = lunatic::spawn(&counter_child, self_int()).value();
  for (int i = 0; i < 10000; ++i) child.send(i);
  child.send(-1);
  std::printf("child counted in order: %d\n", Mailbox<int>().receive(5s).value());
}

void tagged() {
  auto me = self_int();
  me.send(10);
  me.send_tagged(11, 1);
  me.send_tagged(12, 2);
  me.send(13);
  Mailbox<int> mailbox;
  int first = mailbox.receive_tagged({2}).value();
  std::printf("tag 2 first: %d (tag %lld)\n", first, static_cast<long long>(mailbox.last_tag()));
  std::printf("then in order:");
  for (int i = 0; i < 3; ++i) std::printf(" %d", mailbox.receive().value());
  std::printf("\n");
  auto none = mailbox.receive_tagged({2}, 30ms);
  std::printf("tag 2 again: %s\n", none ? "got one" : lunatic::to_string(none.error().kind));
}

void timeout() {
  const auto t0 = std::chrono::steady_clock::now();
  auto nothing = Mailbox<int>().receive(80ms);
  const auto waited = std::chrono::steady_clock::now() - t0;
  std::printf("receive(80ms): %s, waited >= 80 ms: %s\n",
              nothing ? "a message?!" : lunatic::to_string(nothing.error().kind),
              waited >= 80ms ? "yes" : "no");
}

void timers() {
  auto me = self_int();
  me.send_after(7, 60ms);
  lunatic::Timer cancelled = me.send_after(8, 30ms);
  std::printf("cancel: %s, again: %s\n", cancelled.cancel() ? "yes" : "no",
              cancelled.cancel() ? "yes" : "no");
  Mailbox<int> mailbox;
  std::printf("arrived: %d\n", mailbox.receive(1s).value());
  auto more = mailbox.receive(100ms);
  std::printf("anything else: %s\n", more ? "yes" : lunatic::to_string(more.error().kind));
}

void registry() {
  self_int().register_as("sdk-main");
  auto found = Process<int>::lookup("sdk-main");
  std::printf("lookup: %s\n", found && *found == self_int() ? "this process" : "wrong");
  lunatic::unregister("sdk-main");
  std::printf("after unregister: %s\n", Process<int>::lookup("sdk-main") ? "found" : "none");
  std::printf("never registered: %s\n", Process<int>::lookup("no such name") ? "found" : "none");
}

void monitor() {
  // A child that waits, so the monitor is in place before it ends.
  auto child = lunatic::spawn(&waits_forever).value();
  child.monitor();
  child.send(1);
  auto event = Mailbox<int>().receive_event(2s).value();
  auto* died = std::get_if<lunatic::ProcessDied>(&event);
  std::printf("monitor: %s\n",
              died && died->process == child.id() ? "process-died for the child" : "wrong");
  auto as_message = [&] {
    auto other = lunatic::spawn(&waits_forever).value();
    other.monitor();
    other.send(1);
    return Mailbox<int>().receive(2s);
  }();
  std::printf("a signal through receive(): %s\n",
              as_message ? "a message?!" : lunatic::to_string(as_message.error().kind));
}

void link() {
  lunatic::die_when_link_dies(false);
  auto child = lunatic::spawn(&traps, 1, {.link = 77}).value();
  auto event = Mailbox<int>().receive_event(2s).value();
  auto* died = std::get_if<lunatic::LinkDied>(&event);
  std::printf("link: %s, tag %lld\n", died ? "link-died" : "wrong",
              died ? static_cast<long long>(died->tag) : 0LL);
  std::printf("child alive: %s\n", child.alive() ? "yes" : "no");
  // A normal end is not a failure: no signal.
  lunatic::spawn_link(&traps, 0).value();
  auto quiet = Mailbox<int>().receive_event(100ms);
  std::printf("after a normal end: %s\n",
              quiet ? "a signal?!" : lunatic::to_string(quiet.error().kind));
}

void bad_bytes() {
  // Bytes that are not MessagePack (0xc1 is never used), then bytes of the wrong shape.
  const std::uint8_t garbage[] = {0xc1, 0x00};
  lunatic_message_create_data(0, sizeof garbage);
  lunatic_message_write_data(lunatic::detail::address(garbage), sizeof garbage);
  lunatic_message_send(lunatic::this_process_id().value);
  self_int().send(5);  // an int where a Point is expected
  Process<Point>(lunatic::this_process_id()).send(Point{1, "ok", {}});
  Mailbox<Point> mailbox;
  for (int i = 0; i < 3; ++i) {
    auto got = mailbox.receive(1s);
    if (got) {
      std::printf("message %d: Point %s\n", i, got->name.c_str());
    } else {
      std::printf("message %d: %s\n", i, lunatic::to_string(got.error().kind));
    }
  }
}

void send_raw(const std::vector<std::uint8_t>& bytes) {
  lunatic_message_create_data(0, bytes.size());
  lunatic_message_write_data(lunatic::detail::address(bytes.data()),
                             static_cast<std::uint32_t>(bytes.size()));
  lunatic_message_send(lunatic::this_process_id().value);
}

// Integer messages take a fast path of their own (detail::read_message): every kind of input
// must still decode, or fail to, as it does through the general decoder.
void integers() {
  // Read from its start, as a whole: its last byte alone would decode as 5.
  std::vector<std::uint8_t> longer_than_any_integer(17, 0);
  longer_than_any_integer.front() = 0xc1;
  longer_than_any_integer.back() = 0x05;
  send_raw({0xc1});                           // never MessagePack
  send_raw({0xa5, 'h', 'e', 'l', 'l', 'o'});  // a string
  send_raw(longer_than_any_integer);
  send_raw({0xcd, 0x01, 0x2c, 0x00});        // 300, then a byte too many
  send_raw({0xcf, 0, 0, 0, 1, 0, 0, 0, 0});  // 2^32: more than an int holds
  self_int().send(300);
  self_int().send(-7);
  self_int().send(2147483647);
  Mailbox<int> mailbox;
  for (int i = 0; i < 8; ++i) {
    auto got = mailbox.receive(1s);
    if (got) {
      std::printf("int %d: %d\n", i, *got);
    } else {
      std::printf("int %d: %s\n", i, lunatic::to_string(got.error().kind));
    }
  }
  Process<std::int64_t>(lunatic::this_process_id()).send(-1);
  auto unsigned_byte = Mailbox<std::uint8_t>().receive(1s);
  std::printf("-1 as a byte: %s\n",
              unsigned_byte ? "decoded?!" : lunatic::to_string(unsigned_byte.error().kind));
}

void kill() {
  auto child = lunatic::spawn(&waits_forever).value();
  std::printf("before kill: %s\n", child.alive() ? "alive" : "dead");
  child.kill();
  for (int i = 0; i < 1000 && child.alive(); ++i) lunatic::sleep(1ms);
  std::printf("after kill: %s\n", child.alive() ? "alive" : "dead");
  child.send(1);  // to a dead process: dropped, no error
  std::printf("send to the dead: dropped\n");
}

// Messages of sizes around the stack bytes the SDK encodes and reads into
// (msgpack::Buffer::kInlineBytes) and far past them come back whole, each one checked.
void sizes() {
  auto me = Process<std::string>(lunatic::this_process_id());
  Mailbox<std::string> mailbox;
  const std::size_t inline_bytes = lunatic::msgpack::Buffer::kInlineBytes;
  int whole = 0, total = 0;
  for (std::size_t size :
       {std::size_t{0}, inline_bytes - 3, inline_bytes - 2, inline_bytes - 1, inline_bytes,
        inline_bytes + 1, 4 * inline_bytes, std::size_t{1} << 20}) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    me.send(text);
    auto back = mailbox.receive(2s);
    ++total;
    if (back && *back == text) {
      ++whole;
    } else {
      std::printf("size %zu: %s\n", size,
                  back ? "different bytes" : lunatic::to_string(back.error().kind));
    }
  }
  std::printf("sizes: %d of %d whole\n", whole, total);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "spawn_argument")
    spawn_argument();
  else if (mode == "order")
    order();
  else if (mode == "tagged")
    tagged();
  else if (mode == "timeout")
    timeout();
  else if (mode == "timers")
    timers();
  else if (mode == "registry")
    registry();
  else if (mode == "monitor")
    monitor();
  else if (mode == "link")
    link();
  else if (mode == "bad_bytes")
    bad_bytes();
  else if (mode == "integers")
    integers();
  else if (mode == "kill")
    kill();
  else if (mode == "sizes")
    sizes();
  else {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  return 0;
}
