#include "cluster/transport.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <unordered_set>

#include "cluster/node_address.hpp"
#include "cluster/peer_connection.hpp"
#include "cluster/process_id.hpp"
#include "common/sigpipe_guard.hpp"

namespace lunatic::cluster {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t kListenerKey = 0;
constexpr std::uint64_t kWakeKey = 1;
// What one connection may read or write before the others get their turn.
constexpr std::size_t kTurnBytes = 4 * 1024 * 1024;
// Frames are gathered into one write up to this: large enough for few calls into OpenSSL, small
// enough that a chunk of another stream queued meanwhile is not held up long.
constexpr std::size_t kWriteBatch = 128 * 1024;

std::string ms_text(milliseconds duration) { return std::to_string(duration.count()) + " ms"; }

// The clock a ping carries and its pong brings back: the same node reads it both times.
std::uint64_t steady_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

epoll_event make_event(std::uint32_t events, std::uint64_t key) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = key;
  return event;
}

std::span<const std::uint8_t> text_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()),
          std::min(text.size(), kMaxControlPayload)};
}

}  // namespace

// The I/O thread's state: every connection and what it knows of each peer. Lives on the I/O
// thread's stack; touches the transport's shared state only under its mutex.
struct NodeTransport::Connections {
  struct Peer {
    bool member = false;
    std::optional<net::SocketAddress> address;
    std::uint64_t up = 0;       // the connection whose hellos were exchanged
    std::uint64_t dialing = 0;  // our dial, not yet up
    SendQueue queue;
    std::size_t released = 0;  // bytes framed since senders' accounting was last told
    bool dial_scheduled = false;
    Clock::time_point next_dial{};
    milliseconds backoff{0};
  };

  explicit Connections(NodeTransport& transport)
      : t(transport),
        limits{transport.options_.max_message, transport.options_.max_partial_bytes},
        housekeeping_period(
            std::clamp(transport.options_.tick_interval / 4, milliseconds(5), milliseconds(250))) {}

  void loop();

 private:
  PeerConnection* find(std::uint64_t key) {
    const auto found = conns.find(key);
    return found == conns.end() ? nullptr : found->second.get();
  }
  Peer& peer(std::uint64_t id) {
    const auto found = peers.find(id);
    if (found != peers.end()) return found->second;
    Peer fresh;
    fresh.queue = SendQueue(t.options_.chunk_size, t.options_.max_partial_bytes);
    return peers.emplace(id, std::move(fresh)).first->second;
  }
  void wait_while_paused();
  void accept_all();
  std::uint64_t add(std::unique_ptr<PeerConnection> connection);
  void service(std::uint64_t key);
  bool handle_frame(PeerConnection& c, DecodedFrame& frame);
  bool handle_hello(PeerConnection& c, const Hello& hello);
  bool send_hello(PeerConnection& c);
  void become_up(PeerConnection& c, const Hello& hello);
  bool write_some(PeerConnection& c);
  void update_events(PeerConnection& c);
  void take_shared();
  void apply(const Command& command);
  void begin_incarnation(std::uint64_t incarnation);
  void dial(std::uint64_t id, Peer& p);
  void schedule_dial(Peer& p);
  void housekeeping();
  // Ends a connection that was up: on_peer_down, the peer's queue discarded, a redial if it
  // is a member.
  void drop(PeerConnection& c, const std::string& reason, bool say_goodbye = false);
  // Ends a connection that never came up: on_connection_failed, a later redial if it was ours.
  void fail(PeerConnection& c, const std::string& reason);
  // Says why in a goodbye, then fails the connection.
  void refuse(PeerConnection& c, const std::string& reason);
  void close(PeerConnection& c);
  void goodbye(PeerConnection& c, const std::string& reason);
  void forget_if_unused(std::uint64_t id);

  NodeTransport& t;
  DecoderLimits limits;
  milliseconds housekeeping_period;
  std::unordered_map<std::uint64_t, std::unique_ptr<PeerConnection>> conns;
  std::unordered_map<std::uint64_t, Peer> peers;
  std::uint64_t next_key = 2;
  std::vector<DecodedFrame> frames;
  std::unordered_set<std::uint64_t> again;  // more to read or write with no event to say so
  bool listener_resting = false;            // out of epoll after accept4 failed
  std::minstd_rand jitter_source{static_cast<std::uint_fast32_t>(t.options_.node_id)};
  Clock::time_point next_housekeeping = Clock::now();
};

void NodeTransport::Connections::loop() {
  epoll_event listen_event = make_event(EPOLLIN, kListenerKey);
  epoll_event wake_event = make_event(EPOLLIN, kWakeKey);
  ::epoll_ctl(t.epoll_.get(), EPOLL_CTL_ADD, t.listener_.get(), &listen_event);
  ::epoll_ctl(t.epoll_.get(), EPOLL_CTL_ADD, t.wake_fd_.get(), &wake_event);
  epoll_event events[64];
  while (!t.stopping_.load()) {
    wait_while_paused();
    if (t.stopping_.load()) break;
    int timeout = 0;
    if (again.empty()) {
      const auto left = std::chrono::ceil<milliseconds>(next_housekeeping - Clock::now());
      timeout = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    }
    const int count =
        ::epoll_wait(t.epoll_.get(), events, static_cast<int>(std::size(events)), timeout);
    for (int i = 0; i < count; ++i) {
      const std::uint64_t key = events[i].data.u64;
      if (key == kListenerKey) {
        accept_all();
      } else if (key == kWakeKey) {
        std::uint64_t ignored;
        while (::read(t.wake_fd_.get(), &ignored, sizeof ignored) > 0) {
        }
      } else {
        again.erase(key);
        service(key);
      }
    }
    take_shared();
    for (const std::uint64_t key : std::vector(again.begin(), again.end())) {
      again.erase(key);
      service(key);
    }
    if (Clock::now() >= next_housekeeping) {
      housekeeping();
      next_housekeeping = Clock::now() + housekeeping_period;
    }
  }
  for (auto& [key, c] : conns) {
    if (c->stage() == PeerConnection::Stage::kUp) goodbye(*c, "the node is stopping");
  }
  conns.clear();
  std::lock_guard lock(t.mutex_);
  for (auto& [id, shared] : t.peers_) shared.connected = false;
}

void NodeTransport::Connections::wait_while_paused() {
  std::unique_lock lock(t.pause_mutex_);
  t.pause_changed_.wait(lock, [&] { return !t.paused_ || t.stopping_.load(); });
}

void NodeTransport::Connections::accept_all() {
  for (;;) {
    sockaddr_storage from{};
    socklen_t length = sizeof from;
    const int fd = ::accept4(t.listener_.get(), reinterpret_cast<sockaddr*>(&from), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // Out of descriptors (EMFILE) or memory: the listener would stay ready and spin the
        // loop, so it sits out until the next housekeeping.
        ::epoll_ctl(t.epoll_.get(), EPOLL_CTL_DEL, t.listener_.get(), nullptr);
        listener_resting = true;
      }
      return;
    }
    const net::SocketAddress remote =
        net::SocketAddress::from(reinterpret_cast<sockaddr*>(&from), length);
    auto connection = PeerConnection::accepted(UniqueFd(fd), remote,
                                               t.options_.identity->server_context(), limits);
    if (!connection) {
      if (t.callbacks_.on_connection_failed)
        t.callbacks_.on_connection_failed(0, remote.to_string(), connection.error().message);
      continue;
    }
    add(std::move(*connection));
  }
}

std::uint64_t NodeTransport::Connections::add(std::unique_ptr<PeerConnection> connection) {
  PeerConnection& c = *connection;
  c.id = next_key++;
  c.epoll_events = EPOLLIN | (c.wants_write() ? std::uint32_t{EPOLLOUT} : 0);
  epoll_event event = make_event(c.epoll_events, c.id);
  ::epoll_ctl(t.epoll_.get(), EPOLL_CTL_ADD, c.fd(), &event);
  conns.emplace(c.id, std::move(connection));
  return c.id;
}

void NodeTransport::Connections::service(std::uint64_t key) {
  PeerConnection* c = find(key);
  if (c == nullptr) return;  // closed earlier in this turn
  if (c->stage() == PeerConnection::Stage::kConnecting ||
      c->stage() == PeerConnection::Stage::kHandshaking) {
    auto done = c->handshake();
    if (!done) return fail(*c, done.error().message);
    if (!*done) return update_events(*c);
    if (c->is_dialer() && !send_hello(*c)) return;
  }
  auto more = c->receive(frames, kTurnBytes);
  for (DecodedFrame& frame : frames) {
    if (!handle_frame(*c, frame)) {
      frames.clear();
      return;
    }
  }
  frames.clear();
  if (!more) {
    if (c->stage() == PeerConnection::Stage::kUp) return drop(*c, more.error().message);
    return fail(*c, more.error().message);
  }
  if (*more) again.insert(key);
  if (write_some(*c)) update_events(*c);
}

bool NodeTransport::Connections::handle_frame(PeerConnection& c, DecodedFrame& frame) {
  if (c.stage() != PeerConnection::Stage::kUp) {
    if (frame.kind == FrameKind::kGoodbye) {
      fail(c, "refused by the peer: " + std::string(frame.payload.begin(), frame.payload.end()));
      return false;
    }
    if (frame.kind != FrameKind::kHello) {
      fail(c, "the peer's first frame is not a hello");
      return false;
    }
    auto hello = decode_hello(frame.payload);
    if (!hello) {
      refuse(c, hello.error().message);
      return false;
    }
    return handle_hello(c, *hello);
  }
  switch (frame.kind) {
    case FrameKind::kData:
      t.count_received(c.peer, frame.payload.size());
      if (t.callbacks_.on_message)
        t.callbacks_.on_message(c.peer, frame.channel, frame.stream, std::move(frame.payload));
      return true;
    case FrameKind::kTick:
      return true;
    case FrameKind::kPing:
      append_control_frame(c.output(), FrameKind::kPong, frame.payload);
      return true;
    case FrameKind::kPong: {
      // The payload is our own clock when we pinged (the decoder checked its size).
      std::uint64_t sent_ns = 0;
      std::memcpy(&sent_ns, frame.payload.data(), sizeof sent_ns);
      const std::uint64_t now_ns = steady_ns();
      if (sent_ns != 0 && sent_ns <= now_ns) t.count_round_trip(c.peer, now_ns - sent_ns);
      return true;
    }
    case FrameKind::kGoodbye:
      drop(c, "the peer said goodbye: " + std::string(frame.payload.begin(), frame.payload.end()));
      return false;
    default:
      drop(c, "the peer sent a second hello");
      return false;
  }
}

bool NodeTransport::Connections::handle_hello(PeerConnection& c, const Hello& hello) {
  const NodeTransportOptions& own = t.options_;
  if (c.is_dialer() && hello.node_id != c.peer) {
    refuse(c, "dialed node " + std::to_string(c.peer) + " but node " +
                  std::to_string(hello.node_id) + " answered");
    return false;
  }
  c.peer = hello.node_id;
  if (hello.cluster_name != own.cluster_name) {
    refuse(c, "cluster \"" + hello.cluster_name + "\" is not cluster \"" + own.cluster_name + "\"");
    return false;
  }
  if (const std::string certified = c.peer_name(); hello.node_name != certified) {
    refuse(c,
           "node name \"" + hello.node_name + "\" is not its certificate's \"" + certified + "\"");
    return false;
  }
  if (hello.node_id == 0 || hello.node_id > kMaxNodeId || hello.node_id == own.node_id) {
    refuse(c, "node id " + std::to_string(hello.node_id) + " is not another node's");
    return false;
  }
  if (t.callbacks_.refuse_incarnation) {
    if (auto refusal = t.callbacks_.refuse_incarnation(hello.node_id, hello.incarnation)) {
      refuse(c, *refusal);
      return false;
    }
  }
  if (const std::uint64_t up = peer(hello.node_id).up; up != 0) {
    PeerConnection& old = *find(up);
    if (c.is_dialer() || hello.incarnation <= old.incarnation) {
      refuse(c, "already connected");
      return false;
    }
    drop(old, "replaced by a connection from a newer incarnation", true);
  }
  if (!c.is_dialer()) {
    Peer& current = peer(hello.node_id);  // drop() may have forgotten a non-member
    if (current.dialing != 0) {
      // Both dialed: the connection dialed by the lower id stays, on both sides.
      if (own.node_id < hello.node_id) {
        refuse(c, "crossed dials: the one from the lower node id stays");
        return false;
      }
      close(*find(current.dialing));
      current.dialing = 0;
    }
    if (!send_hello(c)) return false;
  }
  become_up(c, hello);
  return true;
}

bool NodeTransport::Connections::send_hello(PeerConnection& c) {
  const NodeTransportOptions& own = t.options_;
  append_control_frame(c.output(), FrameKind::kHello,
                       encode_hello({kProtocolVersion, own.node_id, own.incarnation, own.node_name,
                                     own.cluster_name}));
  if (auto flushed = c.flush(); !flushed) {
    fail(c, flushed.error().message);
    return false;
  }
  return true;
}

void NodeTransport::Connections::become_up(PeerConnection& c, const Hello& hello) {
  c.incarnation = hello.incarnation;
  c.set_up();
  Peer& p = peer(c.peer);
  p.up = c.id;
  if (p.dialing == c.id) p.dialing = 0;
  p.dial_scheduled = false;
  p.backoff = milliseconds(0);
  {
    std::lock_guard lock(t.mutex_);
    t.peers_[c.peer].connected = true;
  }
  if (t.callbacks_.on_peer_up) t.callbacks_.on_peer_up(c.peer);
}

bool NodeTransport::Connections::write_some(PeerConnection& c) {
  const bool up = c.stage() == PeerConnection::Stage::kUp;
  Peer* p = up ? &peer(c.peer) : nullptr;
  std::size_t written = 0;
  for (;;) {
    if (!c.has_output()) {
      if (p == nullptr || p->queue.empty()) break;
      while (c.output().size() < kWriteBatch && !p->queue.empty())
        p->released += p->queue.append_next_chunk(c.output());
    }
    const std::size_t batch = c.output().size();
    if (auto flushed = c.flush(); !flushed) {
      if (up) {
        drop(c, flushed.error().message);
      } else {
        fail(c, flushed.error().message);
      }
      return false;
    }
    if (c.has_output()) break;  // the socket is full: EPOLLOUT resumes
    written += batch;
    if (written >= kTurnBytes) {
      again.insert(c.id);
      break;
    }
  }
  return true;
}

void NodeTransport::Connections::update_events(PeerConnection& c) {
  const std::uint32_t wanted = EPOLLIN | (c.wants_write() ? std::uint32_t{EPOLLOUT} : 0);
  if (wanted == c.epoll_events) return;
  c.epoll_events = wanted;
  epoll_event event = make_event(wanted, c.id);
  ::epoll_ctl(t.epoll_.get(), EPOLL_CTL_MOD, c.fd(), &event);
}

void NodeTransport::Connections::take_shared() {
  std::vector<Command> commands;
  std::vector<std::pair<std::uint64_t, std::vector<OutgoingMessage>>> batches;
  {
    std::lock_guard lock(t.mutex_);
    commands.swap(t.commands_);
    for (const std::uint64_t id : t.dirty_) {
      const auto found = t.peers_.find(id);
      if (found == t.peers_.end() || found->second.pending.empty()) continue;
      batches.emplace_back(id, std::move(found->second.pending));
      found->second.pending.clear();
    }
    t.dirty_.clear();
    for (auto& [id, p] : peers) {
      if (p.released == 0) continue;
      if (const auto found = t.peers_.find(id); found != t.peers_.end())
        found->second.queued_bytes -= std::min(found->second.queued_bytes, p.released);
      p.released = 0;
    }
    t.wake_pending_ = false;
  }
  for (const Command& command : commands) apply(command);
  for (auto& [id, messages] : batches) {
    const auto found = peers.find(id);
    if (found == peers.end()) continue;  // removed meanwhile
    for (OutgoingMessage& message : messages) found->second.queue.push(std::move(message));
    if (found->second.up == 0) continue;
    PeerConnection& c = *find(found->second.up);
    if (write_some(c)) update_events(c);
  }
}

void NodeTransport::Connections::apply(const Command& command) {
  if (command.kind == Command::Kind::kNewIncarnation) return begin_incarnation(command.peer);
  if (command.kind == Command::Kind::kAdd) {
    Peer& p = peer(command.peer);
    p.member = true;
    p.address = command.address;
    if (p.up == 0 && p.dialing == 0) {
      p.backoff = milliseconds(0);
      dial(command.peer, p);
    }
    return;
  }
  const auto found = peers.find(command.peer);
  if (found == peers.end()) return;
  Peer& p = found->second;
  p.member = false;
  p.dial_scheduled = false;
  if (p.dialing != 0) {
    close(*find(p.dialing));
    p.dialing = 0;
  }
  if (p.up != 0) return drop(*find(p.up), "removed from the membership", true);
  forget_if_unused(command.peer);
}

void NodeTransport::Connections::begin_incarnation(std::uint64_t incarnation) {
  t.options_.incarnation = incarnation;
  std::vector<std::uint64_t> keys;
  for (const auto& [key, connection] : conns) keys.push_back(key);
  for (const std::uint64_t key : keys) {
    PeerConnection* c = find(key);
    if (c == nullptr) continue;
    const auto owner = peers.find(c->peer);
    if (owner != peers.end() && owner->second.up == key) {
      drop(*c, "this node came back as a new incarnation", true);
    } else {
      fail(*c, "this node came back as a new incarnation");
    }
  }
}

void NodeTransport::Connections::dial(std::uint64_t id, Peer& p) {
  p.dial_scheduled = false;
  auto connection = PeerConnection::dial(*p.address, t.options_.identity->client_context(), limits);
  if (!connection) {
    schedule_dial(p);
    if (t.callbacks_.on_connection_failed)
      t.callbacks_.on_connection_failed(id, p.address->to_string(), connection.error().message);
    return;
  }
  (*connection)->peer = id;
  p.dialing = add(std::move(*connection));
}

void NodeTransport::Connections::schedule_dial(Peer& p) {
  const NodeTransportOptions& own = t.options_;
  p.backoff =
      p.backoff.count() == 0 ? own.reconnect_min : std::min(p.backoff * 2, own.reconnect_max);
  // Up to a quarter early or late, so that nodes that lost each other at the same moment do
  // not keep dialing each other at the same moments.
  const auto quarter = p.backoff.count() / 4;
  const auto jitter =
      static_cast<std::int64_t>(jitter_source() % static_cast<unsigned>(2 * quarter + 1));
  p.next_dial = Clock::now() + p.backoff + milliseconds(jitter - quarter);
  p.dial_scheduled = true;
}

void NodeTransport::Connections::housekeeping() {
  const NodeTransportOptions& own = t.options_;
  const Clock::time_point now = Clock::now();
  if (listener_resting) {
    epoll_event event = make_event(EPOLLIN, kListenerKey);
    ::epoll_ctl(t.epoll_.get(), EPOLL_CTL_ADD, t.listener_.get(), &event);
    listener_resting = false;
  }
  std::vector<std::uint64_t> keys;
  keys.reserve(conns.size());
  for (const auto& [key, c] : conns) keys.push_back(key);
  for (const std::uint64_t key : keys) {
    PeerConnection* c = find(key);
    if (c == nullptr) continue;
    if (c->stage() != PeerConnection::Stage::kUp) {
      if (now - c->started > own.handshake_timeout)
        fail(*c, "not connected within " + ms_text(own.handshake_timeout));
      continue;
    }
    if (now - c->last_received > own.tick_timeout) {
      drop(*c, "nothing received for " + ms_text(own.tick_timeout));
      continue;
    }
    if (now - c->last_ping >= own.ping_interval) {  // a round trip, for metrics
      c->last_ping = now;
      std::uint8_t payload[kPingPayload];
      const std::uint64_t now_ns = steady_ns();
      std::memcpy(payload, &now_ns, sizeof payload);
      append_control_frame(c->output(), FrameKind::kPing, payload);
      if (write_some(*c)) update_events(*c);
    }
    if (now - c->last_sent >= own.tick_interval && !c->has_output()) {
      append_control_frame(c->output(), FrameKind::kTick, {});
      if (write_some(*c)) update_events(*c);
    }
  }
  for (auto& [id, p] : peers) {
    if (p.dial_scheduled && now >= p.next_dial && p.member && p.up == 0 && p.dialing == 0)
      dial(id, p);
  }
}

void NodeTransport::Connections::drop(PeerConnection& c, const std::string& reason,
                                      bool say_goodbye) {
  const std::uint64_t id = c.peer;
  if (say_goodbye) goodbye(c, reason);
  close(c);
  Peer& p = peer(id);
  p.up = 0;
  p.queue.clear();
  p.released = 0;
  {
    std::lock_guard lock(t.mutex_);
    if (const auto found = t.peers_.find(id); found != t.peers_.end()) {
      found->second.connected = false;
      found->second.pending.clear();
      found->second.queued_bytes = 0;
      if (!found->second.member) t.peers_.erase(found);
    }
  }
  if (p.member) {
    schedule_dial(p);
  } else {
    forget_if_unused(id);
  }
  if (t.callbacks_.on_peer_down) t.callbacks_.on_peer_down(id, reason);
}

void NodeTransport::Connections::fail(PeerConnection& c, const std::string& reason) {
  const std::uint64_t id = c.peer;
  const std::string address = c.remote().to_string();
  const std::uint64_t key = c.id;
  close(c);
  if (const auto found = peers.find(id); found != peers.end()) {
    Peer& p = found->second;
    if (p.dialing == key) {
      p.dialing = 0;
      if (p.member && p.up == 0) schedule_dial(p);
    }
    forget_if_unused(id);
  }
  if (t.callbacks_.on_connection_failed) t.callbacks_.on_connection_failed(id, address, reason);
}

void NodeTransport::Connections::refuse(PeerConnection& c, const std::string& reason) {
  goodbye(c, reason);
  fail(c, "refused: " + reason);
}

void NodeTransport::Connections::goodbye(PeerConnection& c, const std::string& reason) {
  if (c.has_output()) return;  // mid-write: a frame cannot be added, the close says enough
  append_control_frame(c.output(), FrameKind::kGoodbye, text_bytes(reason));
  (void)c.flush();  // one try: the connection closes next either way
}

void NodeTransport::Connections::close(PeerConnection& c) {
  ::epoll_ctl(t.epoll_.get(), EPOLL_CTL_DEL, c.fd(), nullptr);
  again.erase(c.id);
  conns.erase(c.id);  // c is gone
}

void NodeTransport::Connections::forget_if_unused(std::uint64_t id) {
  const auto found = peers.find(id);
  if (found != peers.end() && !found->second.member && found->second.up == 0 &&
      found->second.dialing == 0) {
    peers.erase(found);
  }
}

NodeTransport::NodeTransport(NodeTransportOptions options, NodeTransportCallbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {}

NodeTransport::~NodeTransport() { stop(); }

Status NodeTransport::start() {
  if (thread_.joinable()) return make_error(Errc::kInvalidArgument, "the transport is running");
  if (!options_.identity)
    return make_error(Errc::kInvalidArgument, "the transport needs a TLS identity");
  if (options_.node_id == 0 || options_.node_id > kMaxNodeId) {
    return make_error(Errc::kInvalidArgument, "node id " + std::to_string(options_.node_id) +
                                                  " is not 1 to " + std::to_string(kMaxNodeId));
  }
  if (options_.node_name.empty()) options_.node_name = options_.identity->name();
  if (options_.node_name != options_.identity->name()) {
    return make_error(Errc::kInvalidArgument, "node name \"" + options_.node_name +
                                                  "\" is not its certificate's \"" +
                                                  options_.identity->name() + "\"");
  }
  if (options_.tick_interval.count() <= 0 || options_.tick_timeout <= options_.tick_interval) {
    return make_error(Errc::kInvalidArgument,
                      "tick_timeout must be longer than tick_interval, which must be positive");
  }
  options_.max_partial_bytes = std::max(options_.max_partial_bytes, options_.max_message);
  auto address = parse_node_address(options_.bind_address);
  if (!address) return address.error();
  const auto os_failure = [&](const char* what) {
    return make_error(
        Errc::kIo, std::string(what) + " " + options_.bind_address + ": " + std::strerror(errno));
  };
  UniqueFd listener(::socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return os_failure("socket for");
  const int on = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(listener.get(), address->get(), address->length) != 0) return os_failure("bind");
  if (::listen(listener.get(), SOMAXCONN) != 0) return os_failure("listen on");
  net::SocketAddress bound;
  bound.length = sizeof bound.storage;
  if (::getsockname(listener.get(), bound.get(), &bound.length) != 0)
    return os_failure("getsockname of");
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epoll.valid() || !wake.valid()) return os_failure("epoll or eventfd for");
  listener_ = std::move(listener);
  epoll_ = std::move(epoll);
  wake_fd_ = std::move(wake);
  bound_ = bound;
  stopping_ = false;
  thread_ = std::thread([this] {
    // A peer's close shows up as EPIPE from OpenSSL's write(), whatever SIGPIPE's disposition.
    block_sigpipe_in_this_thread();
    Connections(*this).loop();
  });
  return Ok{};
}

void NodeTransport::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(pause_mutex_);
    stopping_ = true;
    paused_ = false;
  }
  pause_changed_.notify_all();
  wake();
  thread_.join();
  listener_.reset();  // peers dialing now are refused; the other descriptors close with us
}

Status NodeTransport::add_peer(std::uint64_t id, const std::string& address) {
  if (id == 0 || id > kMaxNodeId || id == options_.node_id) {
    return make_error(Errc::kInvalidArgument, "node id " + std::to_string(id) +
                                                  " cannot be a peer of node " +
                                                  std::to_string(options_.node_id));
  }
  auto parsed = parse_node_address(address);
  if (!parsed) return parsed.error();
  {
    std::lock_guard lock(mutex_);
    peers_[id].member = true;
    commands_.push_back({Command::Kind::kAdd, id, *parsed});
  }
  wake();
  return Ok{};
}

void NodeTransport::set_incarnation(std::uint64_t incarnation) {
  {
    std::lock_guard lock(mutex_);
    commands_.push_back({Command::Kind::kNewIncarnation, incarnation, {}});
  }
  wake();
}

void NodeTransport::remove_peer(std::uint64_t id) {
  {
    std::lock_guard lock(mutex_);
    peers_.erase(id);
    commands_.push_back({Command::Kind::kRemove, id, {}});
  }
  wake();
}

Status NodeTransport::send(std::uint64_t peer, std::uint8_t channel, std::uint64_t stream,
                           std::vector<std::uint8_t>&& bytes) {
  const std::size_t size = bytes.size();
  if (stopping_.load()) return make_error(Errc::kCancelled, "the transport is stopped");
  if (size > options_.max_message) {
    return make_error(Errc::kLimitReached, "a message of " + std::to_string(size) +
                                               " bytes is over the limit of " +
                                               std::to_string(options_.max_message));
  }
  bool wake_now = false;
  {
    std::lock_guard lock(mutex_);
    const auto found = peers_.find(peer);
    if (found == peers_.end()) {
      return make_error(Errc::kInvalidArgument,
                        "node " + std::to_string(peer) + " is not a known peer");
    }
    PeerShared& shared = found->second;
    if (size >
        options_.max_queued_bytes - std::min(options_.max_queued_bytes, shared.queued_bytes)) {
      return make_error(Errc::kLimitReached, "the queue to node " + std::to_string(peer) +
                                                 " is full (" +
                                                 std::to_string(shared.queued_bytes) + " bytes)");
    }
    if (shared.pending.empty()) dirty_.push_back(peer);
    shared.pending.push_back({channel, stream, std::move(bytes)});
    shared.queued_bytes += size;
    PeerTraffic& traffic = traffic_[peer];
    ++traffic.records_sent;
    traffic.bytes_sent += size;
    wake_now = !wake_pending_;
    wake_pending_ = true;
  }
  if (wake_now) wake();
  return Ok{};
}

bool NodeTransport::connected(std::uint64_t peer) const {
  std::lock_guard lock(mutex_);
  const auto found = peers_.find(peer);
  return found != peers_.end() && found->second.connected;
}

void NodeTransport::count_received(std::uint64_t peer, std::size_t bytes) {
  // One short lock per record, on the I/O thread: it takes this lock anyway for every batch
  // it sends, and workers hold it only to queue.
  std::lock_guard lock(mutex_);
  PeerTraffic& traffic = traffic_[peer];
  ++traffic.records_received;
  traffic.bytes_received += bytes;
}

void NodeTransport::count_round_trip(std::uint64_t peer, std::uint64_t ns) {
  std::lock_guard lock(mutex_);
  PeerTraffic& traffic = traffic_[peer];
  ++traffic.round_trips;
  traffic.round_trip_ns_sum += ns;
  traffic.last_round_trip_ns = ns;
}

std::vector<PeerTraffic> NodeTransport::traffic() const {
  std::vector<PeerTraffic> out;
  {
    std::lock_guard lock(mutex_);
    out.reserve(traffic_.size());
    for (const auto& [id, traffic] : traffic_) {
      out.push_back(traffic);
      out.back().peer = id;
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.peer < b.peer; });
  return out;
}

void NodeTransport::pause_for_testing(bool paused) {
  {
    std::lock_guard lock(pause_mutex_);
    paused_ = paused;
  }
  pause_changed_.notify_all();
  wake();
}

void NodeTransport::wake() {
  const std::uint64_t one = 1;
  if (wake_fd_.valid()) (void)!::write(wake_fd_.get(), &one, sizeof one);
}

}  // namespace lunatic::cluster
