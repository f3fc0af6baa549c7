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
//   links N             links to and monitors N processes it spawns on the other node, prints
//                       `cluster: links ready`, then waits for all 2N to fire (the harness
//                       kills or freezes that node) and prints `cluster: fired ...` with the
//                       wall-clock time of the first and the last; prints the member count, with
//                       the time, whenever it changes (failure detection)
//   monitors N          has a process of the other node spawn N idle processes there, and
//                       monitors each from here; stops at `cluster: phase=...` lines until a
//                       line arrives on stdin, so that the harness can read both nodes' memory
//                       before and after (memory per remote monitor); then ends the targets,
//                       and every monitor must fire
//   global N            N times: registers a global name for this process here, then has a
//                       process on the other node look it up until it sees it, then
//                       unregisters it (global registry latency)
//
// Each mode prints one line `cluster: mode=<mode> n=<N> ns=<total> checked=<...> [k=v...]`;
// `checked` counts the round trips, messages, spawns, monitors or names whose answer was right.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <lunatic/global.hpp>
#include <lunatic/lunatic.hpp>
#include <string>
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
  // A node that has just joined may not have seen the others yet: up to 10 s.
  for (int tries = 0; tries < 1000; ++tries) {
    for (const NodeId node : lunatic::nodes()) {
      if (!(node == lunatic::this_node())) return node;
    }
    lunatic::sleep(std::chrono::milliseconds(10));
  }
  std::printf("cluster: no other node\n");
  std::exit(3);
}

void fail(const char* what) {
  std::printf("cluster: %s\n", what);
  std::fflush(stdout);
  std::exit(1);
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

// The pct-th percentile (0 < pct < 100) of samples.
std::uint64_t percentile(std::vector<std::uint64_t> samples, int pct) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() * pct / 100];
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
      (long long)n, (unsigned long long)ns, (long long)checked,
      (unsigned long long)percentile(idle, 99), (unsigned long long)percentile(loaded, 99),
      (long long)big_sent, (unsigned long long)(big_sent > 0 ? big_ns / big_sent : 0));
  return 0;
}

void print_members(std::size_t count) {
  std::printf("cluster: members=%zu at_ns=%llu\n", count,
              (unsigned long long)now_ns(CLOCK_REALTIME));
  std::fflush(stdout);
}

// Links to and monitors n processes of the other node, then counts the LinkDied and
// ProcessDied events that arrive when that node fails; watches the member count meanwhile.
int links(std::int64_t n) {
  Mailbox<std::int64_t> mailbox;
  lunatic::die_when_link_dies(false);
  const NodeId node = other_node();
  std::vector<Process<std::int64_t>> peers;
  peers.reserve(n);
  for (std::int64_t i = 0; i < n; ++i) {
    auto peer = lunatic::spawn_on(node, &echo, self());
    if (!peer) fail("remote spawn failed");
    peer->link(1);
    peer->monitor();
    peers.push_back(*peer);
  }
  // Signals and messages between two processes arrive in order: once each peer has answered,
  // its link and monitor are in place on the other node too.
  for (auto& peer : peers) peer.send(1);
  for (std::int64_t i = 0; i < n; ++i) {
    if (mailbox.receive().value_or(0) != 1) fail("a peer did not answer");
  }
  std::size_t members = lunatic::nodes().size();
  print_members(members);
  std::printf("cluster: links ready n=%lld\n", (long long)n);
  std::fflush(stdout);
  std::int64_t links_fired = 0, monitors_fired = 0;
  std::uint64_t first_ns = 0;
  bool reported = false;
  for (;;) {
    auto event = mailbox.receive_event(std::chrono::milliseconds(5));
    if (event) {
      if (std::holds_alternative<lunatic::LinkDied>(*event)) ++links_fired;
      if (std::holds_alternative<lunatic::ProcessDied>(*event)) ++monitors_fired;
      if (first_ns == 0 && event->index() != 0) first_ns = now_ns(CLOCK_REALTIME);
      if (!reported && links_fired == n && monitors_fired == n) {
        reported = true;
        std::printf("cluster: fired links=%lld monitors=%lld first_ns=%llu at_ns=%llu\n",
                    (long long)links_fired, (long long)monitors_fired, (unsigned long long)first_ns,
                    (unsigned long long)now_ns(CLOCK_REALTIME));
        std::fflush(stdout);
      }
    }
    const std::size_t count = lunatic::nodes().size();
    if (count != members) print_members(members = count);
  }
}

// Waits for a line on stdin: the harness has read what it needed.
void pause_at(const char* phase) {
  std::printf("cluster: phase=%s\n", phase);
  std::fflush(stdout);
  char line[16];
  if (!std::fgets(line, sizeof line, stdin)) fail("stdin closed");
}

struct Targets {
  Process<std::int64_t> watcher;
  std::int64_t n;
};

struct Target {
  Process<std::int64_t> spawner, watcher;
};

// Tells its spawner that it runs, then echoes to the watcher.
void target(Target target, Mailbox<std::int64_t> mailbox) {
  target.spawner.send(0);
  echo(target.watcher, std::move(mailbox));
}

// On the monitored node: spawns n targets, sends their ids to `watcher` once each runs (waits
// in receive), then echoes to it itself.
void spawn_targets(Targets targets, Mailbox<std::int64_t> mailbox) {
  std::vector<std::uint64_t> ids;
  ids.reserve(targets.n);
  for (std::int64_t i = 0; i < targets.n; ++i) {
    auto spawned = lunatic::spawn(&target, Target{self(), targets.watcher});
    if (!spawned) std::exit(1);
    ids.push_back(spawned->id().value);
  }
  for (std::int64_t i = 0; i < targets.n; ++i) {
    if (mailbox.receive().value_or(-1) != 0) std::exit(1);
  }
  Process<std::vector<std::uint64_t>>(targets.watcher.id()).send(ids);
  echo(targets.watcher, std::move(mailbox));
}

// A round trip with `peer`.
void ping(const Process<std::int64_t>& peer, Mailbox<std::int64_t>& mailbox) {
  peer.send(1);
  if (mailbox.receive().value_or(0) != 1) fail("no answer");
}

int monitors(std::int64_t n) {
  Mailbox<std::int64_t> mailbox;
  const NodeId node = other_node();
  std::vector<Process<std::int64_t>> targets;
  targets.reserve(n);
  pause_at("empty");
  auto spawner = lunatic::spawn_on(node, &spawn_targets, Targets{self(), n});
  if (!spawner) fail("remote spawn failed");
  auto ids = Mailbox<std::vector<std::uint64_t>>().receive();
  if (!ids || std::int64_t(ids->size()) != n) fail("no target ids");
  for (const std::uint64_t id : *ids) targets.emplace_back(lunatic::ProcessId{id});
  ids->clear();
  ids->shrink_to_fit();
  ping(*spawner, mailbox);
  pause_at("targets");
  // Nothing goes to the targets themselves until the memory is read: a process that handles a
  // message from another node may grow a little, and that is not the monitors' cost. The
  // monitors go kBatch at a time, each batch followed by a round trip with the spawner: the
  // sending node takes streams first come, first served, and the receiving node handles one
  // connection's records in order, so the answer comes after the batch is in place there; and
  // what is in flight stays small, so that the memory read is what stays, not queues that the
  // allocator keeps for reuse.
  constexpr std::int64_t kBatch = 100;
  const std::uint64_t start = now_ns();
  for (std::int64_t at = 0; at < n; at += kBatch) {
    for (std::int64_t i = at; i < std::min(n, at + kBatch); ++i) targets[i].monitor();
    ping(*spawner, mailbox);
  }
  const std::uint64_t ns = now_ns() - start;
  pause_at("monitors");
  // Every monitor fires once when its target ends.
  for (const auto& target : targets) target.send(-1);
  spawner->send(-1);
  std::int64_t checked = 0;
  while (checked < n) {
    auto event = mailbox.receive_event(std::chrono::seconds(30));
    if (!event) fail("the monitors did not all fire within 30 s");
    checked += std::holds_alternative<lunatic::ProcessDied>(*event);
  }
  std::printf("cluster: mode=monitors n=%lld ns=%llu checked=%lld\n", (long long)n,
              (unsigned long long)ns, (long long)checked);
  return 0;
}

struct Seen {
  std::int64_t tries;     // whereis calls until the name was there
  std::uint64_t last_ns;  // the last (successful) whereis
};

std::string bench_name(std::uint64_t owner, std::int64_t i) {
  return "cluster-bench-" + std::to_string(owner) + "-" + std::to_string(i);
}

// On the other node: for each i received, looks up name i until it names `owner`.
void looker(Process<Seen> owner, Mailbox<std::int64_t> mailbox) {
  for (;;) {
    auto i = mailbox.receive();
    if (!i || *i < 0) return;
    const std::string name = bench_name(owner.id().value, *i);
    Seen seen{0, 0};
    for (;;) {
      ++seen.tries;
      const std::uint64_t t = now_ns();
      auto found = lunatic::global::whereis<Seen>(name);
      seen.last_ns = now_ns() - t;
      if (!found) seen.tries = -1;
      if (!found || (*found && (*found)->id() == owner.id())) break;
      if (seen.tries == 100000) {
        seen.tries = -1;
        break;
      }
    }
    owner.send(seen);
  }
}

int global_names(std::int64_t n) {
  Mailbox<Seen> mailbox;
  const Process<Seen> me(lunatic::this_process_id());
  auto other = lunatic::spawn_on(other_node(), &looker, me);
  if (!other) fail("remote spawn failed");
  constexpr std::int64_t kWarmUp = 10;
  std::vector<std::uint64_t> put, visible, lookup, removal;
  std::int64_t checked = 0, tries = 0;
  const std::uint64_t start = now_ns();
  for (std::int64_t i = -kWarmUp; i < n; ++i) {
    const std::string name = bench_name(me.id().value, i + kWarmUp);
    const std::uint64_t t0 = now_ns();
    auto holder = lunatic::global::register_name(name, me);
    const std::uint64_t t1 = now_ns();
    other->send(i + kWarmUp);
    auto seen = mailbox.receive();
    const std::uint64_t t2 = now_ns();
    auto removed = lunatic::global::unregister(name, me);
    const std::uint64_t t3 = now_ns();
    if (i < 0) continue;
    put.push_back(t1 - t0);
    visible.push_back(t2 - t0);
    removal.push_back(t3 - t2);
    if (seen) lookup.push_back(seen->last_ns);
    checked += holder && holder->id() == me.id() && seen && seen->tries > 0 && removed && *removed;
    tries += seen ? seen->tries : 0;
  }
  const std::uint64_t ns = now_ns() - start;
  other->send(-1);
  if (lookup.empty()) fail("no lookup answered");
  std::printf(
      "cluster: mode=global n=%lld ns=%llu checked=%lld tries=%lld op_p50_ns=%llu "
      "op_p99_ns=%llu register_p50_ns=%llu register_p99_ns=%llu whereis_p50_ns=%llu "
      "whereis_p99_ns=%llu unregister_p50_ns=%llu\n",
      (long long)n, (unsigned long long)ns, (long long)checked, (long long)tries,
      (unsigned long long)percentile(visible, 50), (unsigned long long)percentile(visible, 99),
      (unsigned long long)percentile(put, 50), (unsigned long long)percentile(put, 99),
      (unsigned long long)percentile(lookup, 50), (unsigned long long)percentile(lookup, 99),
      (unsigned long long)percentile(removal, 50));
  return 0;
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
  if (!std::strcmp(mode, "links")) return links(a);
  if (!std::strcmp(mode, "monitors")) return monitors(a);
  if (!std::strcmp(mode, "global")) return global_names(a);
  return 2;
}
