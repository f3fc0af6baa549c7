// The node-to-node transport: one TLS 1.3 connection per pair of nodes, mutually authenticated
// by the cluster's CA (TlsIdentity), carrying framed messages (frame.hpp) for the layer above.
//
// - One I/O thread of its own runs every connection: epoll, nonblocking sockets, nonblocking
//   OpenSSL. Callers (the runtime's workers) only queue under a short lock and wake it through an
//   eventfd; send() never blocks and never does I/O.
// - Messages are (channel, stream, bytes). They arrive in order per stream (a sender-receiver
//   pair, named by a 64-bit key of the caller's), with no acknowledgement per message. A message
//   travels as chunks of at most 64 KiB and the streams with something to send take turns, chunk
//   by chunk, so a large message delays a small one on another stream by about one chunk per
//   busy stream, not by its own transfer time.
// - Each side sends a tick when it has sent nothing for tick_interval; a peer from which nothing
//   has come for tick_timeout is declared down and its connection closed.
// - Each side pings the other every ping_interval; the pong echoes the ping's clock reading,
//   which gives the round trip per peer (traffic()).
//
// Connections. add_peer() makes a node a member; the transport dials it at once and keeps a
// connection to it while it is a member, redialing with exponential backoff (reconnect_min to
// reconnect_max) after a failure or a drop. A node that is not (yet) a member may dial in, as
// membership lags: it becomes a peer, reachable by send(), until its connection drops (it is
// never dialed). When both nodes dial at once, the connection dialed by the lower node id is
// kept; a node already connected with the same incarnation refuses a second connection, and one
// from a newer incarnation (the peer restarted) replaces it.
//
// Handshake. After TLS (which refuses a peer without a certificate from the CA), the dialer sends
// its hello and the acceptor answers with its own, or with a goodbye saying why it refuses:
// another cluster name, a node name other than the certificate's common name, the node's own id,
// a crossed dial. The dialer also refuses an answer from another node than the one it dialed.
// No data frame is read before both hellos.
//
// Delivery. Messages sent to a member that is not connected wait for its connection (within
// max_queued_bytes). When a connection that was up drops, everything still queued for the peer
// is discarded and on_peer_down is called: what was sent before on_peer_down may or may not have
// arrived; a message sent after it is sent on the next connection. Nothing is retransmitted.
//
// Callbacks run on the I/O thread, one at a time, and must not block (hand the work on) nor call
// stop(); they may call send(), add_peer(), remove_peer() and connected().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/cluster.hpp"
#include "cluster/send_queue.hpp"
#include "cluster/tls_identity.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "net/socket_address.hpp"

namespace lunatic::cluster {

struct NodeTransportOptions {
  std::uint64_t node_id = 0;  // 1 to kMaxNodeId (process_id.hpp)
  // Must be the common name of identity's certificate (peers check the hello against it).
  std::string node_name;
  std::string cluster_name;
  // A node that restarts or rejoins the membership comes back with a larger one
  // (set_incarnation).
  std::uint64_t incarnation = 0;
  std::string bind_address = "127.0.0.1:0";
  std::shared_ptr<const TlsIdentity> identity;
  std::chrono::milliseconds tick_interval{1000};
  std::chrono::milliseconds tick_timeout{4000};
  // Each connection pings its peer this often; the pongs give PeerTraffic's round trips.
  std::chrono::milliseconds ping_interval{2000};
  // A connection not up (TCP, TLS and hellos) within this is closed.
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  std::size_t max_message = 64 * 1024 * 1024;
  std::size_t max_queued_bytes = 256 * 1024 * 1024;  // per peer, not yet written
  // Partly received messages on one connection together (at least max_message). The sender
  // keeps within it, so it must be the same on every node, as max_message must.
  std::size_t max_partial_bytes = 256 * 1024 * 1024;
  std::size_t chunk_size = kMaxChunk;
};

struct NodeTransportCallbacks {
  // A whole message from `peer`.
  std::function<void(std::uint64_t peer, std::uint8_t channel, std::uint64_t stream,
                     std::vector<std::uint8_t> bytes)>
      on_message;
  std::function<void(std::uint64_t peer)> on_peer_up;
  // A connection that was up is gone: closed, failed, silent for tick_timeout, replaced, or the
  // peer was removed. Not called by stop().
  std::function<void(std::uint64_t peer, const std::string& reason)> on_peer_down;
  // A connection that never came up: a dial that failed, a handshake or hello refused (either
  // way). `peer` is the node dialed or the one the hello named, 0 when unknown. For logs.
  std::function<void(std::uint64_t peer, const std::string& address, const std::string& reason)>
      on_connection_failed;
  // Asked on the I/O thread of every hello, dialed or accepted, once its node id, cluster and
  // certificate are checked: a reason to refuse the peer's incarnation (one the membership
  // knows to be over), or nothing to let it in. May be empty (every incarnation is let in).
  std::function<std::optional<std::string>(std::uint64_t peer, std::uint64_t incarnation)>
      refuse_incarnation;
};

// Thread: every public function may be called from any thread, except as noted.
class NodeTransport {
 public:
  NodeTransport(NodeTransportOptions options, NodeTransportCallbacks callbacks);
  ~NodeTransport();  // stop()
  NodeTransport(const NodeTransport&) = delete;
  NodeTransport& operator=(const NodeTransport&) = delete;

  // Binds the listening socket and starts the I/O thread. Fails on bad options (no identity,
  // node id 0 or too large, a node name other than the certificate's, tick_timeout not above
  // tick_interval, an unusable bind address) or when the address cannot be bound.
  Status start();
  // Says goodbye on every connection, closes them and joins the I/O thread. Prompt (does not
  // wait for queued messages); idempotent. Not from a callback.
  void stop();

  // Where start() bound ("127.0.0.1:41234"); the port is the one the OS chose for port 0.
  net::SocketAddress bound_address() const { return bound_; }

  // Makes `id` a member at `address` ("ip:port", "[ipv6]:port") and dials it. A member's address
  // may change by adding it again. Fails for this node's own id, id 0, or a bad address.
  Status add_peer(std::uint64_t id, const std::string& address);
  // No longer a member: its connection closes (on_peer_down if it was up), its queue is
  // discarded, and send() to it fails.
  void remove_peer(std::uint64_t id);

  // This node came back as a new incarnation (its lease ended behind its back and it joined
  // again): every connection of the old one is closed (on_peer_down for those that were up),
  // everything queued is discarded, and members are dialed again with the new incarnation in
  // the hello, so nothing of the old life reaches a peer on a connection of the new one.
  void set_incarnation(std::uint64_t incarnation);

  // Queues `bytes` for `peer`. Never blocks. Fails (Errc::kInvalidArgument) for a peer that is
  // neither a member nor connected, (Errc::kLimitReached) for a message over max_message or when
  // the peer's queue would pass max_queued_bytes, (Errc::kCancelled) once stopped. `bytes` is
  // taken only when it is queued: after a failure the caller still has it.
  Status send(std::uint64_t peer, std::uint8_t channel, std::uint64_t stream,
              std::vector<std::uint8_t>&& bytes);

  // Whether a connection to `peer` is up (hellos exchanged).
  bool connected(std::uint64_t peer) const;
  // What was sent to (queued by send()) and received from each peer so far, by peer id.
  std::vector<PeerTraffic> traffic() const;

  // Testing: a paused transport's I/O thread does nothing at all (reads, writes, ticks,
  // timeouts) until resumed, as a hung node would; its sockets stay open.
  void pause_for_testing(bool paused);

 private:
  struct Connections;  // the I/O thread's state (transport.cpp)

  // Shared between callers and the I/O thread, under mutex_.
  struct PeerShared {
    bool member = false;
    bool connected = false;
    std::vector<OutgoingMessage> pending;  // not yet taken by the I/O thread
    std::size_t queued_bytes = 0;          // accepted by send() and not yet framed
  };
  struct Command {
    enum class Kind { kAdd, kRemove, kNewIncarnation } kind;
    std::uint64_t peer;  // the incarnation for kNewIncarnation
    net::SocketAddress address;
  };

  void run();
  void wake();
  void count_received(std::uint64_t peer, std::size_t bytes);   // on the I/O thread
  void count_round_trip(std::uint64_t peer, std::uint64_t ns);  // on the I/O thread

  // Completed by start(), then read-only but for incarnation, which only the I/O thread reads
  // and writes once started.
  NodeTransportOptions options_;
  const NodeTransportCallbacks callbacks_;
  net::SocketAddress bound_;
  UniqueFd listener_;
  UniqueFd epoll_;
  UniqueFd wake_fd_;  // eventfd: callers -> I/O thread
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, PeerShared> peers_;
  // Kept when a peer leaves, so that its counters do not go back to zero if it comes back.
  std::unordered_map<std::uint64_t, PeerTraffic> traffic_;
  std::vector<std::uint64_t> dirty_;  // peers with pending messages
  std::vector<Command> commands_;
  bool wake_pending_ = false;

  std::mutex pause_mutex_;
  std::condition_variable pause_changed_;
  bool paused_ = false;
};

}  // namespace lunatic::cluster
