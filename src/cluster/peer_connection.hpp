// One TLS connection between two nodes on a nonblocking socket: the TCP connect of a dial, the
// TLS handshake, reading frames through a FrameDecoder, and writing a buffer of whole frames.
// What the frames mean (hellos, ticks, who the peer is) is the transport's business.
//
// Thread: the transport's I/O thread only. Nothing here blocks: an operation the socket is not
// ready for returns, and wants_write() tells what to wait for.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/frame.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "net/socket_address.hpp"

namespace lunatic::cluster {

class PeerConnection {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Stage {
    kConnecting,   // a dial's TCP connect is under way
    kHandshaking,  // TLS handshake
    kHello,        // TLS is up; hellos are being exchanged
    kUp,           // the peer is known and data flows
  };

  // Starts a nonblocking connect to `address`. Fails when the connect fails at once.
  static Expected<std::unique_ptr<PeerConnection>> dial(const net::SocketAddress& address,
                                                        SSL_CTX* context, DecoderLimits limits);
  // Wraps an accepted (nonblocking) socket; the handshake runs in handshake().
  static Expected<std::unique_ptr<PeerConnection>> accepted(UniqueFd fd,
                                                            const net::SocketAddress& remote,
                                                            SSL_CTX* context, DecoderLimits limits);
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  int fd() const { return fd_.get(); }
  bool is_dialer() const { return dialer_; }
  const net::SocketAddress& remote() const { return remote_; }
  Stage stage() const { return stage_; }
  void set_up() { stage_ = Stage::kUp; }

  // Advances the connect and the handshake as far as the socket allows. Returns true once TLS is
  // established (the stage is then kHello). A refused certificate fails with the reason.
  Expected<bool> handshake();

  // Reads what the socket has, at most about `budget` bytes, appending the frames they complete
  // to `frames`. Returns true when it stopped at the budget (more may be waiting, and epoll may
  // not say so: OpenSSL can hold decrypted bytes). The peer's close is an error ("closed").
  Expected<bool> receive(std::vector<DecodedFrame>& frames, std::size_t budget);

  // Frames to write: append only when has_output() is false, since a write the socket did not
  // take must be retried with the same bytes.
  std::vector<std::uint8_t>& output() { return output_; }
  bool has_output() const { return written_ < output_.size(); }
  // Writes what it can of the output.
  Status flush();

  // Whether the connection waits for the socket to be writable: a connect, a handshake or a
  // read that needs to write, or output the socket did not take.
  bool wants_write() const {
    return stage_ == Stage::kConnecting || ssl_wants_write_ || has_output();
  }

  // The common name of the peer's certificate (after the handshake).
  std::string peer_name() const;

  // The transport's bookkeeping.
  std::uint64_t id = 0;            // the transport's handle for this connection
  std::uint64_t peer = 0;          // the node: the one dialed, or the one a hello named
  std::uint64_t incarnation = 0;   // the peer's, from its hello
  std::uint32_t epoll_events = 0;  // what epoll waits for on fd()
  Clock::time_point started = Clock::now();
  Clock::time_point last_received = started;
  Clock::time_point last_sent = started;
  Clock::time_point last_ping{};  // never yet: the first housekeeping once up pings

 private:
  PeerConnection(UniqueFd fd, const net::SocketAddress& remote, bool dialer, SSL* ssl,
                 DecoderLimits limits);
  // The reason an SSL call failed (`result` <= 0), or an empty string for "retry later", which
  // also records which direction it waits for.
  std::string ssl_failure(int result, const char* operation);

  UniqueFd fd_;
  net::SocketAddress remote_;
  bool dialer_;
  SSL* ssl_;
  Stage stage_;
  FrameDecoder decoder_;
  std::vector<std::uint8_t> output_;
  std::size_t written_ = 0;
  bool ssl_wants_write_ = false;  // the last OpenSSL call waits for the socket to take bytes
};

}  // namespace lunatic::cluster
