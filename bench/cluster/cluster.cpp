// The cluster benchmark's guest, written with the C++ SDK. It runs on one node (`lunatic node
// ... --wasm cluster.wasm MODE ...`) and works with a process it spawns on the other node, the
// first member that is not this one.
//
//   pingpong N          N sequential round trips of an 8-byte message with a remote echo
//   pipelined N         N 8-byte messages sent back to back to a remote counter, which answers
//                       once it has them all, in order
//   spawn N             N sequential remote spawns of a process that exits at once (after one
//                       warm-up spawn that ships the module)
//   beside N BYTES      N small round trips timed one by one, first idle, then while another
//                       process of this node sends BYTES-byte messages to the same remote node
//                       (each acknowledged before the next); also times one BYTES round trip
//   watch               prints the member count every time it changes (failure detection)
//
// Each mode prints one line `cluster: mode=<mode> n=<N> ns=<total> checked=<...> [k=v...]`;
// `checked` counts the round trips, messages or spawns whose answer was right.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <lunatic/lunatic.hpp>
#include <vector>

using lunatic::Mailbox;
using lunatic::NodeId;
using lunatic::Process;

namespace {

std::uint64_t now_ns(clockid_t clock = CLOCK_MONOTONIC) {
  timespec t;
  clock_gettime(clock, &t);
  return std::uint64_t(t.tv_sec) * 1000000000u + std::uint64_t(t.tv_nsec);
}

Process<std::int64_t> self() { return Process<std::int64_t>(lunatic::this_process_id()); }

NodeId other_node() {
  for (const NodeId node : lunatic::nodes()) {
    if (!(node == lunatic::this_node())) return node;
  }
  std::printf("cluster: no other node\n");
  std::exit(3);
}

// Echoes every value back to `parent` until a negative one.
void echo(Process<std::int64_t> parent, Mailbox<std::int64_t> mailbox) {
  for (;;) {
    auto value = mailbox.receive();
    if (!value || *value < 0) return;
    parent.send(*value);
  }
}

// Counts values 0, 1, 2, ... until a negative one, then answers how many came in order.
void counter(Process<std::int64_t> parent, Mailbox<std::int64_t> mailbox) {
  std::int64_t expected = 0;
  for (;;) {
    auto value = mailbox.receive();
    if (!value || *value < 0) break;
    if (*value == expected) ++expected;
  }
  parent.send(expected);
}

// Answers each large message with its size, until an empty one.
void sink(Process<std::int64_t> parent, Mailbox<std::vector<std::uint8_t>> mailbox) {
  for (;;) {
    auto bytes = mailbox.receive();
    if (!bytes || bytes->empty()) return;
    parent.send(static_cast<std::int64_t>(bytes->size()));
  }
}

void exits(Mailbox<int>) {}

Process<std::int64_t> spawn_remote(void (*entry)(Process<std::int64_t>, Mailbox<std::int64_t>)) {
  auto peer = lunatic::spawn_on(other_node(), entry, self());
  if (!peer) {
    std::printf("cluster: remote spawn failed: %s\n", peer.error().message.c_str());
    std::exit(1);
  }
  return *peer;
}

int pingpong(std::int64_t n) {
  Mailbox<std::int64_t> mailbox;
  auto peer = spawn_remote(&echo);
  peer.send(0);  // the first round trip opens the path; it is not timed
  (void)mailbox.receive();
  std::int64_t checked = 0;
  const std::uint64_t start = now_ns();
  for (std::int64_t i = 0; i < n; ++i) {
    peer.send(i);
    auto back = mailbox.receive();
    checked += back && *back == i;
  }
  const std::uint64_t ns = now_ns() - start;
  peer.send(-1);
  std::printf("cluster: mode=pingpong n=%lld ns=%llu checked=%lld\n", (long long)n,
              (unsigned long long)ns, (long long)checked);
  return 0;
}

int pipelined(std::int64_t n) {
  Mailbox<std::int64_t> mailbox;
  auto peer = spawn_remote(&counter);
  const std::uint64_t start = now_ns();
  for (std::int64_t i = 0; i < n; ++i) peer.send(i);
  peer.send(-1);
  auto count = mailbox.receive();
  const std::uint64_t ns = now_ns() - start;
  std::printf("cluster: mode=pipelined n=%lld ns=%llu checked=%lld\n", (long long)n,
              (unsigned long long)ns, count ? (long long)*count : 0LL);
  return 0;
}

int spawn(std::int64_t n) {
  const NodeId node = other_node();
  if (!lunatic::spawn_on(node, &exits)) return 1;  // ships and compiles the module
  std::int64_t checked = 0;
  std::vector<std::uint64_t> each;
  each.reserve(n);
  const std::uint64_t start = now_ns();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint64_t t = now_ns();
    auto child = lunatic::spawn_on(node, &exits);
    each.push_back(now_ns() - t);
    checked += child && lunatic::node_of(child->id()) == node;
  }
  const std::uint64_t ns = now_ns() - start;
  std::sort(each.begin(), each.end());
  std::printf("cluster: mode=spawn n=%lld ns=%llu checked=%lld p50_ns=%llu p99_ns=%llu\n",
              (long long)n, (unsigned long long)ns, (long long)checked,
              (unsigned long long)each[each.size() / 2],
              (unsigned long long)each[each.size() * 99 / 100]);
  return 0;
}

// Sends `bytes`-byte messages to a remote sink, one at a time, until told to stop; answers its
// parent with how many went and the time of each round trip, in ns, summed.
struct Blast {
  Process<std::int64_t> parent;
  std::int64_t bytes;
};

void blaster(Blast blast, Mailbox<std::int64_t> mailbox) {
  auto sink_process =
      lunatic::spawn_on(other_node(), &sink, Process<std::int64_t>(lunatic::this_process_id()));
  if (!sink_process) std::exit(1);
  const std::vector<std::uint8_t> payload(static_cast<std::size_t>(blast.bytes), 0x5A);
  blast.parent.send(0);  // ready
  std::int64_t sent = 0;
  std::uint64_t total_ns = 0;
  bool stop = false;
  while (!stop) {
    const std::uint64_t t = now_ns();
    sink_process->send(payload);
    for (;;) {  // the sink's answer, or the parent's stop (-1)
      auto value = mailbox.receive();
      if (!value) std::exit(1);
      if (*value == blast.bytes) break;
      if (*value < 0) stop = true;
    }
    total_ns += now_ns() - t;
    ++sent;
  }
  sink_process->send(std::vector<std::uint8_t>{});
  blast.parent.send(sent);
  blast.parent.send(static_cast<std::int64_t>(total_ns));
}

std::uint64_t p99(std::vector<std::uint64_t> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() * 99 / 100];
}

std::vector<std::uint64_t> round_trips(Process<std::int64_t> peer, Mailbox<std::int64_t>& mailbox,
                                       std::int64_t n, std::int64_t& checked) {
  std::vector<std::uint64_t> each;
  each.reserve(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint64_t t = now_ns();
    peer.send(i);
    auto back = mailbox.receive();
    each.push_back(now_ns() - t);
    checked += back && *back == i;
  }
  return each;
}

int beside(std::int64_t n, std::int64_t bytes) {
  Mailbox<std::int64_t> mailbox;
  auto peer = spawn_remote(&echo);
  std::int64_t checked = 0;
  (void)round_trips(peer, mailbox, 100, checked);  // warm-up, not counted
  checked = 0;
  const auto idle = round_trips(peer, mailbox, n, checked);
  auto blast = lunatic::spawn(&blaster, Blast{self(), bytes});
  if (!blast || mailbox.receive().value_or(-1) != 0) return 1;
  const std::uint64_t start = now_ns();
  const auto loaded = round_trips(peer, mailbox, n, checked);
  const std::uint64_t ns = now_ns() - start;
  blast->send(-1);
  const std::int64_t big_sent = mailbox.receive().value_or(0);
  const std::int64_t big_ns = mailbox.receive().value_or(0);
  peer.send(-1);
  std::printf(
      "cluster: mode=beside n=%lld ns=%llu checked=%lld idle_p99_ns=%llu loaded_p99_ns=%llu "
      "big_sent=%lld big_rtt_ns=%llu\n",
      (long long)n, (unsigned long long)ns, (long long)checked, (unsigned long long)p99(idle),
      (unsigned long long)p99(loaded), (long long)big_sent,
      (unsigned long long)(big_sent > 0 ? big_ns / big_sent : 0));
  return 0;
}

// Prints the number of members, with the wall-clock time, whenever it changes.
int watch() {
  std::size_t last = lunatic::nodes().size();
  std::printf("cluster: members=%zu at_ns=%llu\n", last,
              (unsigned long long)now_ns(CLOCK_REALTIME));
  std::fflush(stdout);
  for (;;) {
    const std::size_t count = lunatic::nodes().size();
    if (count != last) {
      last = count;
      std::printf("cluster: members=%zu at_ns=%llu\n", count,
                  (unsigned long long)now_ns(CLOCK_REALTIME));
      std::fflush(stdout);
    }
    lunatic::sleep(std::chrono::milliseconds(5));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  const std::int64_t a = argc > 2 ? std::atoll(argv[2]) : 0;
  const std::int64_t b = argc > 3 ? std::atoll(argv[3]) : 0;
  if (!std::strcmp(mode, "pingpong")) return pingpong(a);
  if (!std::strcmp(mode, "pipelined")) return pipelined(a);
  if (!std::strcmp(mode, "spawn")) return spawn(a);
  if (!std::strcmp(mode, "beside")) return beside(a, b);
  if (!std::strcmp(mode, "watch")) return watch();
  return 2;
}
