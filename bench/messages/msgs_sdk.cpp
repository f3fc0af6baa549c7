// The messages benchmark written with the C++ SDK (sdk/cpp): the same ping-pong and ring as
// msgs.c, which calls the raw imports, so that the report can show what the SDK costs on top.
//
//   msgs_sdk.wasm pingpong N BYTES   N round trips between main and one echo process; the message
//                                    is the counter (BYTES 8), or a struct {counter, payload} with
//                                    BYTES - 8 payload bytes
//   msgs_sdk.wasm ring P LAPS        a token passed round a ring of P processes LAPS times
//
// Prints the same `msgs: mode=<mode> n=<N> ns=<...> checked=<...>` line as msgs.c.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <lunatic/lunatic.hpp>
#include <vector>

namespace {

std::uint64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return std::uint64_t(t.tv_sec) * 1000000000u + std::uint64_t(t.tv_nsec);
}

// The 8-byte case sends the counter alone, as msgs.c does; larger messages carry a payload.
struct Ball {
  std::int64_t sequence;  // negative: stop
  std::vector<std::uint8_t> payload;
};

std::int64_t sequence_of(std::int64_t counter) { return counter; }
std::int64_t sequence_of(const Ball& ball) { return ball.sequence; }
void set_sequence(std::int64_t& counter, std::int64_t sequence) { counter = sequence; }
void set_sequence(Ball& ball, std::int64_t sequence) { ball.sequence = sequence; }

// Echoes every message back to `parent` until one with a negative sequence arrives.
template <class Msg>
void echo(lunatic::Process<Msg> parent, lunatic::Mailbox<Msg> mailbox) {
  for (;;) {
    auto message = mailbox.receive();
    if (!message || sequence_of(*message) < 0) return;
    parent.send(*message);
  }
}

template <class Msg>
int pingpong(std::int64_t n, std::uint32_t bytes, Msg out) {
  lunatic::Process<Msg> me(lunatic::this_process_id());
  lunatic::Mailbox<Msg> mailbox;
  auto peer = lunatic::spawn(&echo<Msg>, me);
  if (!peer) return 1;
  std::int64_t checked = 0;
  const std::uint64_t start = now_ns();
  for (std::int64_t i = 0; i < n; ++i) {
    set_sequence(out, i);
    peer->send(out);
    auto back = mailbox.receive();
    if (!back) break;
    checked += sequence_of(*back) == i;
  }
  const std::uint64_t ns = now_ns() - start;
  set_sequence(out, -1);
  peer->send(out);
  std::printf("msgs: mode=pingpong n=%lld ns=%llu checked=%lld bytes=%u\n", (long long)n,
              (unsigned long long)ns, (long long)checked, bytes);
  return 0;
}

int pingpong(std::int64_t n, std::uint32_t bytes) {
  if (bytes < 8) return 2;
  if (bytes == 8) return pingpong<std::int64_t>(n, bytes, 0);
  return pingpong<Ball>(n, bytes, Ball{0, std::vector<std::uint8_t>(bytes - 8, 0xAB)});
}

// A ring member passes every token to `next` until it passes a negative one.
void ring_member(lunatic::Process<std::int64_t> next, lunatic::Mailbox<std::int64_t> mailbox) {
  for (;;) {
    auto token = mailbox.receive();
    if (!token) return;
    next.send(*token);
    if (*token < 0) return;
  }
}

int ring(std::int64_t members, std::int64_t laps) {
  if (members < 2) return 2;
  lunatic::Mailbox<std::int64_t> mailbox;
  // Spawned from the last member back, so each learns its successor from its argument.
  lunatic::Process<std::int64_t> next(lunatic::this_process_id());
  for (std::int64_t i = members - 1; i >= 1; --i) {
    auto member = lunatic::spawn(&ring_member, next);
    if (!member) return 1;
    next = *member;
  }
  std::int64_t checked = 0;
  const std::uint64_t start = now_ns();
  for (std::int64_t lap = 0; lap < laps; ++lap) {
    next.send(lap);
    auto back = mailbox.receive();  // after `members` hops
    checked += back && *back == lap;
  }
  const std::uint64_t ns = now_ns() - start;
  next.send(-1);
  (void)mailbox.receive();
  std::printf("msgs: mode=ring n=%lld ns=%llu checked=%lld laps=%lld\n", (long long)members,
              (unsigned long long)ns, (long long)checked, (long long)laps);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const char* mode = argv[1];
  const std::int64_t a = std::atoll(argv[2]), b = argc > 3 ? std::atoll(argv[3]) : 0;
  if (!std::strcmp(mode, "pingpong")) return pingpong(a, std::uint32_t(b ? b : 8));
  if (!std::strcmp(mode, "ring")) return ring(a, b);
  return 2;
}
