// A program that spreads over the nodes of a cluster (tests/cli/cli_cluster_test.cpp starts the
// membership store, `lunatic control` or etcd, and nodes as separate OS processes). argv[1]
// picks the case; the node to use is the member whose tags match "role=worker". Each case
// prints what it saw.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <lunatic/lunatic.hpp>
#include <string>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using lunatic::Mailbox;
using lunatic::NodeId;
using lunatic::Process;

namespace {

std::uint64_t now_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

Process<std::uint64_t> self_u64() { return Process<std::uint64_t>(lunatic::this_process_id()); }

NodeId worker_node() {
  auto workers = lunatic::lookup_nodes("role=worker").value();
  if (workers.empty()) {
    std::printf("no worker node\n");
    std::exit(3);
  }
  return workers.front();
}

// Replies with the node it runs on.
void where_am_i(Process<std::uint64_t> parent, Mailbox<int>) {
  std::printf("child running on node %llu\n",
              static_cast<unsigned long long>(lunatic::this_node().value));
  parent.send(lunatic::this_node().value);
}

// Counts messages 0, 1, 2, ... until a negative one; replies how many came in order, or
// minus the number out of order.
void counter(Process<std::uint64_t> parent, Mailbox<std::int64_t> mailbox) {
  std::int64_t expected = 0;
  std::uint64_t wrong = 0;
  for (;;) {
    const std::int64_t value = mailbox.receive().value();
    if (value < 0) break;
    if (value != expected) ++wrong;
    ++expected;
  }
  parent.send(wrong == 0 ? static_cast<std::uint64_t>(expected) : 0);
}

// Answers each ping with its own value.
void echo(Process<std::uint64_t> parent, Mailbox<std::uint64_t> mailbox) {
  for (;;) {
    const std::uint64_t value = mailbox.receive().value();
    parent.send(value);
    if (value == 0) return;
  }
}

// Receives one large message and replies with its size and a checksum.
void sink(Process<std::uint64_t> parent, Mailbox<std::vector<std::uint8_t>> mailbox) {
  const auto bytes = mailbox.receive().value();
  std::uint64_t sum = bytes.size();
  for (const std::uint8_t b : bytes) sum = sum * 31 + b;
  parent.send(sum);
}

void waits(Mailbox<int> mailbox) { (void)mailbox.receive(); }
void waits_for_parent(Process<std::uint64_t>, Mailbox<int> mailbox) { (void)mailbox.receive(); }

void info() {
  std::printf("this node: %llu\n", static_cast<unsigned long long>(lunatic::this_node().value));
  std::printf("nodes: %zu\n", lunatic::nodes().size());
  std::printf("workers: %zu\n", lunatic::lookup_nodes("role=worker").value().size());
  std::printf("nowhere: %zu\n", lunatic::lookup_nodes("role=nowhere").value().size());
  auto bad = lunatic::lookup_nodes("role");
  std::printf("malformed query: %s\n", bad ? "accepted" : bad.error().message.c_str());
}

void spawn() {
  const NodeId node = worker_node();
  const std::uint64_t start = now_us();
  auto child = lunatic::spawn_on(node, &where_am_i, self_u64()).value();
  const std::uint64_t spawned_us = now_us() - start;
  const std::uint64_t reply = Mailbox<std::uint64_t>().receive(10s).value();
  std::printf("child id names node %llu: %s\n",
              static_cast<unsigned long long>(lunatic::node_of(child.id()).value),
              lunatic::node_of(child.id()) == node ? "yes" : "no");
  std::printf("child replied from node %llu: %s\n", static_cast<unsigned long long>(reply),
              reply == node.value ? "yes" : "no");
  const std::uint64_t again = now_us();
  lunatic::spawn_on(node, &where_am_i, self_u64()).value();
  const std::uint64_t cached_us = now_us() - again;
  (void)Mailbox<std::uint64_t>().receive(10s).value();
  std::printf("first spawn %llu us, cached spawn %llu us\n",
              static_cast<unsigned long long>(spawned_us),
              static_cast<unsigned long long>(cached_us));
}

void ordered(std::int64_t count) {
  auto child = lunatic::spawn_on(worker_node(), &counter, self_u64()).value();
  const std::uint64_t start = now_us();
  for (std::int64_t i = 0; i < count; ++i) child.send(i);
  child.send(-1);
  const std::uint64_t in_order = Mailbox<std::uint64_t>().receive(60s).value();
  const std::uint64_t took = now_us() - start;
  std::printf("received in order: %llu of %lld\n", static_cast<unsigned long long>(in_order),
              static_cast<long long>(count));
  std::printf("%lld messages in %llu us\n", static_cast<long long>(count),
              static_cast<unsigned long long>(took));
}

void big() {
  const NodeId node = worker_node();
  auto large = lunatic::spawn_on(node, &sink, self_u64()).value();
  auto pinger = lunatic::spawn_on(node, &echo, self_u64()).value();
  std::vector<std::uint8_t> bytes(32 << 20);
  std::uint64_t expected = bytes.size();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(i * 7 + 3);
    expected = expected * 31 + bytes[i];
  }
  const std::uint64_t start = now_us();
  large.send(bytes);
  std::uint64_t worst_us = 0;
  int answered = 0;
  bool big_done = false;
  for (std::uint64_t i = 1; i <= 20; ++i) {
    const std::uint64_t sent = now_us();
    pinger.send(i);
    for (;;) {
      const std::uint64_t value = Mailbox<std::uint64_t>().receive(30s).value();
      if (value == i) break;
      big_done = big_done || value == expected;
    }
    worst_us = std::max(worst_us, now_us() - sent);
    ++answered;
  }
  pinger.send(0);
  while (!big_done) {
    const std::uint64_t value = Mailbox<std::uint64_t>().receive(30s).value();
    big_done = value == expected;
  }
  std::printf("small round trips answered: %d, worst %llu us\n", answered,
              static_cast<unsigned long long>(worst_us));
  std::printf("32 MiB arrived intact after %llu us\n",
              static_cast<unsigned long long>(now_us() - start));
}

void unknown_node() {
  const std::uint64_t start = now_us();
  auto child = lunatic::spawn_on(NodeId{777}, &waits);
  const std::uint64_t took = now_us() - start;
  std::printf("spawn on node 777: %s\n", child ? "spawned" : child.error().message.c_str());
  std::printf("answered within a second: %s\n", took < 1'000'000 ? "yes" : "no");
  lunatic_message_create_data(5, 0);
  std::printf("send to node 777: %u\n", lunatic_distributed_send(777, 1));
}

// Answers each request with twice its number; a negative one stops it.
void doubler(Mailbox<lunatic::Request<std::int64_t, std::int64_t>> mailbox) {
  for (;;) {
    auto request = mailbox.receive();
    if (!request) return;
    request->reply(request->body * 2);
    if (request->body < 0) return;
  }
}

// Request/reply (send_receive_skip_search) with a process on the worker, then with it gone.
void request_remote() {
  auto server = lunatic::spawn_on(worker_node(), &doubler).value();
  int answered = 0;
  for (std::int64_t i = 1; i <= 100; ++i) {
    auto response = lunatic::request(server, i, std::chrono::milliseconds(5000));
    answered += response && *response == 2 * i;
  }
  std::printf("requests answered right: %d of 100\n", answered);
  std::printf("the stop request: %s\n",
              lunatic::request(server, std::int64_t{-1}, std::chrono::milliseconds(5000))
                  ? "answered"
                  : "failed");
  // Only once it is gone: a request that reached it in its last moments would wait unread.
  server.monitor();
  auto died = Mailbox<int>().receive_event(std::chrono::milliseconds(5000));
  std::printf("the server ended: %s\n",
              died && std::holds_alternative<lunatic::ProcessDied>(*died) ? "yes" : "no");
  const std::uint64_t start = now_us();
  auto late = lunatic::request(server, std::int64_t{7}, std::chrono::milliseconds(1000));
  std::printf("a request to the stopped server: %s\n",
              late ? "answered" : late.error().message.c_str());
  std::printf("it waited for the timeout: %s\n", now_us() - start >= 1'000'000 ? "yes" : "no");
  auto again = lunatic::request(server, std::int64_t{8}, std::chrono::milliseconds(1000));
  std::printf("a second request to it: %s\n", again ? "answered" : again.error().message.c_str());
}

// Traps once it gets a message.
void crasher(Mailbox<int> mailbox) {
  (void)mailbox.receive();
  __builtin_trap();
}

// Links itself to `victim` (a process of another node), then traps: the victim dies with it.
void linker(Process<int> victim, Mailbox<int>) {
  victim.link(3);
  __builtin_trap();
}

// Waits for the next event; prints what it is.
void expect_event(Mailbox<int>& mailbox, const char* what) {
  auto event = mailbox.receive_event(std::chrono::milliseconds(10'000));
  if (!event) {
    std::printf("%s: nothing within 10 s\n", what);
  } else if (auto* died = std::get_if<lunatic::LinkDied>(&*event)) {
    const char* why = died->reason == lunatic::LinkDiedReason::kNodeDown    ? "node down"
                      : died->reason == lunatic::LinkDiedReason::kNoProcess ? "no process"
                                                                            : "failed";
    std::printf("%s: link died, tag %lld, %s\n", what, static_cast<long long>(died->tag), why);
  } else if (auto* gone = std::get_if<lunatic::ProcessDied>(&*event)) {
    std::printf("%s: process died, %s\n", what,
                lunatic::node_of(gone->process) == lunatic::this_node() ? "local" : "remote");
  } else {
    std::printf("%s: a message\n", what);
  }
}

// Links and monitors with processes of the worker.
void links() {
  lunatic::die_when_link_dies(false);
  Mailbox<int> mailbox;
  const NodeId worker = worker_node();
  auto crashing = lunatic::spawn_on(worker, &crasher).value();
  crashing.link(7);
  crashing.monitor();
  crashing.send(1);
  expect_event(mailbox, "remote trap");
  expect_event(mailbox, "remote trap");

  const Process<int> nobody(lunatic::ProcessId{worker.value << 44 | 999'999});
  nobody.link(8);
  expect_event(mailbox, "link to no process");
  nobody.monitor();
  expect_event(mailbox, "monitor of no process");

  auto normal = lunatic::spawn_on(worker, &waits).value();
  normal.link(9);
  normal.monitor();
  normal.send(1);
  expect_event(mailbox, "remote normal exit");  // the monitor only: a normal exit is no failure

  auto victim = lunatic::spawn(&waits).value();
  victim.monitor();
  (void)lunatic::spawn_on(worker, &linker, victim).value();
  expect_event(mailbox, "linked from a remote process that trapped");
}

// Says "linked and monitoring" (the test then stops the worker), waits for the link and the
// monitor to fire and says after how long; returns when it started waiting.
std::uint64_t await_node_down(Mailbox<int>& mailbox) {
  std::printf("linked and monitoring\n");
  std::fflush(stdout);
  const std::uint64_t start = now_us();
  expect_event(mailbox, "node down");
  expect_event(mailbox, "node down");
  std::printf("after %llu ms\n", static_cast<unsigned long long>((now_us() - start) / 1000));
  return start;
}

// Links and monitors a process of the worker, says so, and waits for the worker to die.
void node_down() {
  lunatic::die_when_link_dies(false);
  Mailbox<int> mailbox;
  auto remote = lunatic::spawn_on(worker_node(), &waits).value();
  remote.link(11);
  remote.monitor();
  (void)await_node_down(mailbox);
}

// As node_down, for a worker that is frozen and then thawed: once the links fired (and, with
// `until_left`, once the membership dropped the worker: its lease ended), waits until it is
// back and answers. The process it had linked must be gone, since the worker's side of the
// link fired too: it is not taken back as if nothing happened.
void node_back(bool until_left) {
  lunatic::die_when_link_dies(false);
  Mailbox<int> mailbox;
  Mailbox<std::uint64_t> replies;
  auto remote = lunatic::spawn_on(worker_node(), &echo, self_u64()).value();
  remote.link(11);
  remote.monitor();
  // The link rides the stream of this pair's messages: once the echo answers, the worker has
  // its side of the link (before that, a freeze could lose it in flight, as in Erlang).
  remote.send(1);
  if (!replies.receive(std::chrono::milliseconds(10'000))) std::printf("no echo\n");
  const std::uint64_t start = await_node_down(mailbox);
  bool left = false;
  while (until_left && !left && now_us() - start < 15'000'000) {
    left = lunatic::lookup_nodes("role=worker").value().empty();
    if (!left) lunatic::sleep(std::chrono::milliseconds(20));
  }
  if (until_left) std::printf("the worker left: %s\n", left ? "yes" : "no");
  std::fflush(stdout);
  bool answers = false;
  while (!answers && now_us() - start < 30'000'000) {
    auto workers = lunatic::lookup_nodes("role=worker").value();
    if (!workers.empty() && lunatic::spawn_on(workers.front(), &where_am_i, self_u64())) {
      answers = replies.receive(std::chrono::milliseconds(2'000)).has_value();
    }
    if (!answers) lunatic::sleep(std::chrono::milliseconds(50));
  }
  std::printf("the worker answers again: %s\n", answers ? "yes" : "no");
  remote.monitor();
  expect_event(mailbox, "the old process");
}

// Looks `name` up in the global registry and sends the id found (0: none) to `parent`.
struct Lookup {
  Process<std::uint64_t> parent;
  std::string name;
};
void look_up(Lookup lookup, Mailbox<int>) {
  auto found = lunatic::global::whereis<int>(lookup.name);
  lookup.parent.send(found && *found ? (*found)->id().value : 0);
}

// Races for `name` with get_or_spawn and sends the holder it got to `parent`.
void race_for(Lookup race, Mailbox<int>) {
  auto holder = lunatic::global::get_or_spawn(race.name, &waits_for_parent, race.parent);
  race.parent.send(holder ? holder->id().value : 0);
}

// Registers itself as `name`, tells `parent`, and waits.
void registers(Lookup as, Mailbox<int> mailbox) {
  auto holder = lunatic::global::register_name(as.name, Process<int>(lunatic::this_process_id()));
  as.parent.send(holder && holder->id() == lunatic::this_process_id() ? 1 : 0);
  (void)mailbox.receive();
}

std::uint64_t whereis_from_worker(Mailbox<std::uint64_t>& mailbox, const std::string& name) {
  (void)lunatic::spawn_on(worker_node(), &look_up, Lookup{self_u64(), name}).value();
  return mailbox.receive(std::chrono::milliseconds(10'000)).value_or(~0ull);
}

// The global registry across two nodes.
void global_names() {
  Mailbox<std::uint64_t> mailbox;
  auto service = lunatic::spawn(&waits).value();
  auto registered = lunatic::global::register_name("service", service);
  std::printf("registered here: %s\n",
              registered && registered->id() == service.id() ? "yes" : "no");
  auto again = lunatic::global::register_name("service", lunatic::spawn(&waits).value());
  std::printf("a second process gets the first: %s\n",
              again && again->id() == service.id() ? "yes" : "no");
  std::printf("the worker finds it: %s\n",
              whereis_from_worker(mailbox, "service") == service.id().value ? "yes" : "no");

  int agreed = 0;
  int won_here = 0;
  for (int round = 0; round < 100; ++round) {
    const std::string name = "race-" + std::to_string(round);
    (void)lunatic::spawn_on(worker_node(), &race_for, Lookup{self_u64(), name}).value();
    (void)lunatic::spawn(&race_for, Lookup{self_u64(), name}).value();
    const std::uint64_t a = mailbox.receive(std::chrono::milliseconds(10'000)).value_or(0);
    const std::uint64_t b = mailbox.receive(std::chrono::milliseconds(10'000)).value_or(0);
    agreed += a != 0 && a == b;
    won_here += lunatic::node_of(lunatic::ProcessId{a}) == lunatic::this_node();
  }
  std::printf("races with one winner: %d of 100 (%d won here)\n", agreed, won_here);

  service.kill();
  const std::uint64_t start = now_us();
  bool released = false;
  while (!released && now_us() - start < 5'000'000) {
    auto found = lunatic::global::whereis<int>("service");
    released = found && !*found;
    if (!released) lunatic::sleep(std::chrono::milliseconds(20));
  }
  std::printf("released when its process died: %s\n", released ? "yes" : "no");
  std::printf("the worker sees it gone: %s\n",
              whereis_from_worker(mailbox, "service") == 0 ? "yes" : "no");
}

// A process of the worker registers a name; once the worker is killed, the name must go.
void global_node_down() {
  Mailbox<std::uint64_t> mailbox;
  (void)lunatic::spawn_on(worker_node(), &registers, Lookup{self_u64(), "on-worker"}).value();
  std::printf("the worker registered: %s\n",
              mailbox.receive(std::chrono::milliseconds(10'000)).value_or(0) == 1 ? "yes" : "no");
  std::fflush(stdout);
  const std::uint64_t start = now_us();
  bool gone = false;
  while (!gone && now_us() - start < 20'000'000) {
    auto found = lunatic::global::whereis<int>("on-worker");
    gone = found && !*found;
    if (!gone) lunatic::sleep(std::chrono::milliseconds(50));
  }
  std::printf("the name is gone: %s, after %llu ms\n", gone ? "yes" : "no",
              static_cast<unsigned long long>((now_us() - start) / 1000));
}

// Tells `parent` which node it runs on, then waits.
void reports_node(Process<std::uint64_t> parent, Mailbox<int> mailbox) {
  parent.send(lunatic::this_node().value);
  (void)mailbox.receive();
}

// A supervisor with one child placed on a worker node.
void supervises(Process<std::uint64_t> parent, Mailbox<lunatic::SupervisorRequest> mailbox) {
  lunatic::Supervisor supervisor(lunatic::Strategy::kOneForOne,
                                 {.max_restarts = 3, .period = std::chrono::seconds(30)});
  supervisor.add_child_on("worker", "role=worker", [parent](NodeId node) {
    return lunatic::spawn_on(node, &reports_node, parent);
  });
  supervisor.run(mailbox);
}

// Prints where the supervised child starts, and where it restarts once its node is killed.
void supervised() {
  Mailbox<std::uint64_t> mailbox;
  (void)lunatic::spawn(&supervises, self_u64()).value();
  const std::uint64_t first = mailbox.receive(std::chrono::milliseconds(20'000)).value_or(0);
  std::printf("child started on node %llu\n", static_cast<unsigned long long>(first));
  std::fflush(stdout);
  const std::uint64_t second = mailbox.receive(std::chrono::milliseconds(20'000)).value_or(0);
  std::printf("child restarted on node %llu\n", static_cast<unsigned long long>(second));
  std::printf("restarted on another node: %s\n", second != 0 && second != first ? "yes" : "no");
}

// A spawn on the worker, which this node cannot connect to (tests give it a certificate the
// worker refuses): the spawn fails with the reason, within seconds.
void unreachable() {
  const std::uint64_t start = now_us();
  auto child = lunatic::spawn_on(worker_node(), &waits);
  const std::uint64_t took = now_us() - start;
  std::printf("spawn on the worker: %s\n", child ? "spawned" : child.error().message.c_str());
  std::printf("answered within 10 s: %s\n", took < 10'000'000 ? "yes" : "no");
}

// Sends a message carrying a UDP socket to a process of another node: the send traps, nothing
// is sent.
void resource_sender(Process<int> target, Mailbox<int>) {
  auto socket = lunatic::net::UdpSocket::bind(lunatic::net::SocketAddress::v4({127, 0, 0, 1}, 0));
  lunatic_message_create_data(1, 0);
  lunatic_message_push_udp_socket(socket.value().id());
  lunatic_message_send(target.id().value);
  std::printf("the message with a socket was sent\n");
}

void resource() {
  auto target = lunatic::spawn_on(worker_node(), &waits).value();
  auto sender = lunatic::spawn(&resource_sender, Process<int>(target.id())).value();
  sender.monitor();
  const auto event = Mailbox<int>().receive(10s);
  std::printf("the sender: %s\n", event ? "sent a message back" : event.error().message.c_str());
  target.kill();
}

void kill_remote() {
  const NodeId node = worker_node();
  auto child = lunatic::spawn_on(node, &waits).value();
  child.kill();
  // The kill travels on its own; sends to the id fail once that node has said it is gone.
  std::uint32_t result = 0;
  for (int i = 0; i < 200 && result == 0; ++i) {
    lunatic_message_create_data(0, 0);
    result = lunatic_distributed_send(node.value, child.id().value);
    lunatic::sleep(10ms);
  }
  std::printf("send to the killed process: %u\n", result);
}

// ---------------------------------------------------------------------------------------------
// A rolling restart under steady traffic ("rolling"). Three worker nodes, tagged slot=0, 1 and 2,
// are restarted one at a time by the test while sessions exchange numbered messages: for each
// slot, one between this node and the slot's node, and one between the slot's node and the next
// slot's (a ring). A session is a client, which sends 1, 2, 3, ..., kWindow of them at a time,
// and an echo on the other node, which sends each number back. The client checks that every
// reply is the next number: a message lost or reordered in either direction shows as a wrong
// number, or, for the last ones, as a stall (no reply and no signal within kStallAfter). The
// client links and monitors the echo, so a node going down ends the session with a signal;
// this process monitors each client. Sessions are never restarted: a node restarted under its
// name is a new node with a new id, and new sessions start with it.
// ---------------------------------------------------------------------------------------------

constexpr int kSlots = 3;
constexpr std::uint64_t kWindow = 4;
constexpr std::uint64_t kFlowingAfter = 100;  // exchanges before a session says it flows
constexpr auto kStallAfter = std::chrono::milliseconds(5000);
constexpr std::uint64_t kStop = ~0ull;         // to a client: finish; to an echo: end
constexpr std::uint64_t kStopped = ~0ull - 1;  // from an echo: ended, every number answered
constexpr lunatic::Tag kEchoLink = 21;

enum class SessionNews : std::uint32_t {
  kFlowing,       // kFlowingAfter numbers came back in order; it goes on
  kStopped,       // asked to finish: every number came back in order, the echo ended
  kLinkFired,     // the echo's link fired, for the reason in `detail`: `in_flight` lost
  kMonitorFired,  // the echo's monitor fired first
  kOutOfOrder,    // a reply was `detail` instead of exchanged + 1
  kStalled,       // nothing came back within kStallAfter and no signal said why
  kNoEcho,        // the echo could not be spawned (its node went away)
};

struct SessionReport {
  std::uint64_t session = 0;
  SessionNews news = SessionNews::kFlowing;
  std::uint64_t exchanged = 0;  // numbers that came back in order
  std::uint64_t in_flight = 0;  // numbers sent whose reply had not come
  std::uint64_t detail = 0;
};

struct ClientArgs {
  Process<SessionReport> coordinator;
  std::uint64_t session = 0;
  std::uint64_t echo_node = 0;
};

// Sends every number back to the client; kStop ends it.
void rolling_echo(Process<std::uint64_t> client, Mailbox<std::uint64_t> mailbox) {
  for (;;) {
    const std::uint64_t value = mailbox.receive().value();
    if (value == kStop) {
      client.send(kStopped);
      return;
    }
    client.send(value);
  }
}

void rolling_client(ClientArgs args, Mailbox<std::uint64_t> mailbox) {
  lunatic::die_when_link_dies(false);
  std::uint64_t sent = 0;       // numbers 1..sent have gone out
  std::uint64_t exchanged = 0;  // numbers 1..exchanged have come back
  auto report = [&](SessionNews news, std::uint64_t detail = 0) {
    args.coordinator.send(SessionReport{args.session, news, exchanged, sent - exchanged, detail});
  };
  auto echo = lunatic::spawn_on(NodeId{args.echo_node}, &rolling_echo, self_u64());
  if (!echo) return report(SessionNews::kNoEcho);
  echo->link(kEchoLink);
  echo->monitor();
  bool finishing = false;  // the coordinator said kStop: no new numbers
  bool stop_sent = false;
  bool said_flowing = false;
  for (;;) {
    if (!finishing && sent == exchanged) {
      // Steady, not flat out: a window at a time, with a pause between windows that leaves the
      // nodes' other threads (keep-alives, ticks) the CPU they need on a busy machine.
      if (sent != 0) lunatic::sleep(std::chrono::milliseconds(1));
      for (std::uint64_t i = 0; i < kWindow; ++i) echo->send(++sent);
    }
    if (finishing && !stop_sent && sent == exchanged) {
      echo->send(kStop);
      stop_sent = true;
    }
    auto event = mailbox.receive_event(kStallAfter);
    if (!event) return report(SessionNews::kStalled);
    if (const auto* died = std::get_if<lunatic::LinkDied>(&*event)) {
      return report(SessionNews::kLinkFired, static_cast<std::uint64_t>(died->reason));
    }
    if (std::holds_alternative<lunatic::ProcessDied>(*event)) {
      return report(SessionNews::kMonitorFired);
    }
    const std::uint64_t value = std::get<0>(*event);
    if (value == kStop) {
      finishing = true;
    } else if (value == kStopped && stop_sent) {
      return report(SessionNews::kStopped);
    } else if (value != exchanged + 1) {
      return report(SessionNews::kOutOfOrder, value);
    } else {
      ++exchanged;
      if (!said_flowing && exchanged >= kFlowingAfter) {
        said_flowing = true;
        report(SessionNews::kFlowing);
      }
    }
  }
}

struct Session {
  std::uint64_t id = 0;
  std::uint64_t client_node = 0;
  std::uint64_t echo_node = 0;
  Process<std::uint64_t> client;
  bool flowing = false;
  bool ended = false;
};

void print_session(const Session& s, const std::string& what) {
  std::printf("session %llu: node %llu -> node %llu %s\n", static_cast<unsigned long long>(s.id),
              static_cast<unsigned long long>(s.client_node),
              static_cast<unsigned long long>(s.echo_node), what.c_str());
}

std::string ended_because(const SessionReport& r) {
  const std::string counts = " after " + std::to_string(r.exchanged) + " in order, " +
                             std::to_string(r.in_flight) + " in flight";
  switch (r.news) {
    case SessionNews::kStopped:
      return "ended: stopped" + counts;
    case SessionNews::kLinkFired:
      return std::string("ended: lost its echo (link, ") +
             (r.detail == static_cast<std::uint64_t>(lunatic::LinkDiedReason::kNodeDown)
                  ? "node down"
                  : "reason " + std::to_string(r.detail)) +
             ")" + counts;
    case SessionNews::kMonitorFired:
      return "ended: lost its echo (monitor)" + counts;
    case SessionNews::kOutOfOrder:
      return "ended: OUT OF ORDER, got " + std::to_string(r.detail) + counts;
    case SessionNews::kStalled:
      return "ended: STALLED, nothing within 5 s and no signal" + counts;
    case SessionNews::kNoEcho:
      return "ended: could not spawn its echo";
    case SessionNews::kFlowing:
      break;
  }
  return "flowing";
}

// The coordinator: keeps the sessions of the slots' current nodes going, prints each session's
// start and end, and "all flowing: ..." each time the sessions of a new set of nodes all flow.
// Once every slot has come back as a new node and all flows, it stops every session cleanly.
void rolling() {
  Mailbox<SessionReport> mailbox;
  const Process<SessionReport> self(lunatic::this_process_id());
  const std::uint64_t here = lunatic::this_node().value;
  std::vector<Session> sessions;
  std::vector<std::vector<std::uint64_t>> seen(kSlots);  // the nodes each slot has had
  std::string last_flowing;
  const std::uint64_t start = now_us();
  auto find = [&](std::uint64_t client_node, std::uint64_t echo_node) -> Session* {
    for (auto& s : sessions) {
      if (s.client_node == client_node && s.echo_node == echo_node) return &s;
    }
    return nullptr;
  };
  auto start_session = [&](std::uint64_t client_node, std::uint64_t echo_node) {
    Session s{sessions.size() + 1, client_node, echo_node, {}, false, false};
    const ClientArgs args{self, s.id, echo_node};
    auto client = client_node == here
                      ? lunatic::spawn(&rolling_client, args)
                      : lunatic::spawn_on(NodeId{client_node}, &rolling_client, args);
    if (client) {
      s.client = *client;
      s.client.monitor();
      print_session(s, "started");
    } else {
      s.ended = true;
      print_session(s, "ended: could not spawn its client: " + client.error().message);
    }
    sessions.push_back(s);
  };
  // A client's report, or its end (a client that ends without reporting went down with its
  // node).
  auto take = [&](const lunatic::Event<SessionReport>& event) {
    if (const auto* r = std::get_if<SessionReport>(&event)) {
      if (r->session < 1 || r->session > sessions.size()) return;
      Session& s = sessions[r->session - 1];
      if (r->news == SessionNews::kFlowing) {
        s.flowing = true;
        print_session(s, "flowing");
      } else if (!s.ended) {
        s.ended = true;
        print_session(s, ended_because(*r));
      }
    } else if (const auto* died = std::get_if<lunatic::ProcessDied>(&event)) {
      for (auto& s : sessions) {
        if (s.client.id() == died->process && !s.ended) {
          s.ended = true;
          print_session(s, "ended: lost its client (monitor)");
        }
      }
    }
  };
  for (;;) {
    std::uint64_t slot[kSlots] = {};
    for (int i = 0; i < kSlots; ++i) {
      // The newest node of the slot: a restarted node's old incarnation may linger a moment.
      for (const NodeId node : lunatic::lookup_nodes("slot=" + std::to_string(i)).value()) {
        slot[i] = std::max(slot[i], node.value);
      }
      if (slot[i] != 0 && std::find(seen[i].begin(), seen[i].end(), slot[i]) == seen[i].end()) {
        seen[i].push_back(slot[i]);
      }
    }
    bool all_flowing = true;
    for (int i = 0; i < kSlots; ++i) {
      const std::uint64_t next = slot[(i + 1) % kSlots];
      const std::pair<std::uint64_t, std::uint64_t> wanted[] = {{here, slot[i]}, {slot[i], next}};
      for (const auto& [client_node, echo_node] : wanted) {
        if (client_node == 0 || echo_node == 0) {
          all_flowing = false;
          continue;
        }
        const Session* s = find(client_node, echo_node);
        if (s == nullptr) start_session(client_node, echo_node);
        s = find(client_node, echo_node);
        all_flowing = all_flowing && s->flowing && !s->ended;
      }
    }
    bool all_restarted = true;
    for (const auto& nodes : seen) all_restarted = all_restarted && nodes.size() >= 2;
    if (all_flowing) {
      std::string line = "all flowing:";
      for (int i = 0; i < kSlots; ++i)
        line += " " + std::to_string(i) + "=" + std::to_string(slot[i]);
      if (line != last_flowing) std::printf("%s\n", line.c_str());
      last_flowing = line;
      if (all_restarted) break;
    }
    if (now_us() - start > 120'000'000) {
      std::printf("gave up: not every slot came back within 120 s\n");
      break;
    }
    for (auto event = mailbox.receive_event(std::chrono::milliseconds(100)); event;
         event = mailbox.receive_event(std::chrono::milliseconds(0))) {
      take(*event);
    }
  }
  // Finish: every live session stops after all its numbers came back.
  for (auto& s : sessions) {
    if (!s.ended) s.client.send(kStop);
  }
  const std::uint64_t finishing = now_us();
  auto running = [&] {
    return std::count_if(sessions.begin(), sessions.end(),
                         [](const Session& s) { return !s.ended; });
  };
  while (running() > 0 && now_us() - finishing < 10'000'000) {
    if (auto event = mailbox.receive_event(std::chrono::milliseconds(100))) take(*event);
  }
  std::printf("rolling restart done: %zu sessions, %ld still running\n", sessions.size(),
              static_cast<long>(running()));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "info")
    info();
  else if (mode == "spawn")
    spawn();
  else if (mode == "ordered")
    ordered(argc > 2 ? std::atoll(argv[2]) : 100'000);
  else if (mode == "big")
    big();
  else if (mode == "unknown_node")
    unknown_node();
  else if (mode == "request")
    request_remote();
  else if (mode == "links")
    links();
  else if (mode == "node_down")
    node_down();
  else if (mode == "node_back")
    node_back(false);
  else if (mode == "node_back_after_lease")
    node_back(true);
  else if (mode == "global")
    global_names();
  else if (mode == "global_node_down")
    global_node_down();
  else if (mode == "supervised")
    supervised();
  else if (mode == "unreachable")
    unreachable();
  else if (mode == "kill")
    kill_remote();
  else if (mode == "resource")
    resource();
  else if (mode == "rolling")
    rolling();
  else {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  return 0;
}
