// TLS over net::Socket with OpenSSL: listeners with a certificate and key in PEM, connections
// verified against given CA certificates or the system's. Every OpenSSL call that would block
// suspends the calling process (the socket is nonblocking), and a stream may be shared by
// processes: one OpenSSL call at a time per connection, never held across a wait.
//
// A server connection does its handshake on its first read or write, in the process that uses
// it, so a client that connects and then says nothing stalls only the process serving it, never
// the acceptor.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "net/resources.hpp"
#include "net/socket.hpp"
#include "net/socket_address.hpp"

namespace lunatic::net {

// An operation's outcome: a count, an error text (OpenSSL's or the OS's), or a timeout.
struct TlsResult {
  ssize_t value = 0;
  std::string error;
  bool timed_out = false;
  bool ok() const { return error.empty() && !timed_out; }
};

using SslContext = std::shared_ptr<SSL_CTX>;

// For tls_bind: the certificate (and any chain after it) and the private key, in PEM.
Expected<SslContext> server_context(std::span<const std::uint8_t> certificate_pem,
                                    std::span<const std::uint8_t> key_pem);
// For tls_connect: trust exactly these PEM certificates, or the system's roots when empty.
Expected<SslContext> client_context(const std::vector<std::string>& ca_pems);

struct TlsListener {
  std::shared_ptr<Socket> socket;
  SslContext context;
};

class TlsStream {
 public:
  // A server connection on an accepted socket; the handshake waits for the first read or write.
  static std::shared_ptr<TlsStream> accepted(std::shared_ptr<Socket> socket,
                                             const SslContext& context);
  // A client connection on a connected socket: the handshake runs now, verifying the server's
  // certificate for `host` (a name, or an IP address). nullptr with the reason in `error`.
  static std::shared_ptr<TlsStream> connected(runtime::Blocking& blocking,
                                              std::shared_ptr<Socket> socket,
                                              const SslContext& context, const std::string& host,
                                              std::optional<runtime::Clock::time_point> deadline,
                                              TlsResult& error);
  // A client connection to the first of `addresses` that `permitted` allows and that accepts a
  // TCP connection, shaking hands as `connected` does; a failed handshake is final (no other
  // address is tried). nullptr with the reason in `error`: the deadline passed, the handshake
  // failed, or no address connected (why the last one did not; denied_text when `permitted`
  // refused it).
  static std::shared_ptr<TlsStream> connect_first(
      runtime::Reactor& reactor, runtime::Blocking& blocking,
      std::span<const SocketAddress> addresses,
      const std::function<bool(const SocketAddress&)>& permitted, const SslContext& context,
      const std::string& host, std::optional<runtime::Clock::time_point> deadline,
      TlsResult& error);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Reads decrypted bytes: a count (0: the peer closed the connection), an error, a timeout.
  TlsResult read(runtime::Blocking& blocking, std::span<std::uint8_t> buffer,
                 std::optional<runtime::Clock::time_point> deadline);
  // Writes some of `data` (all of it unless the deadline passes first).
  TlsResult write(runtime::Blocking& blocking, std::span<const std::uint8_t> data,
                  std::optional<runtime::Clock::time_point> deadline);
  // The same for `buffers`, gathered into one write of at most kMaxGatheredWrite bytes.
  static constexpr std::size_t kMaxGatheredWrite = 256 * 1024;
  TlsResult write(runtime::Blocking& blocking,
                  std::span<const std::span<const std::uint8_t>> buffers,
                  std::optional<runtime::Clock::time_point> deadline);

  const std::shared_ptr<Socket>& socket() const { return socket_; }
  std::atomic<std::uint64_t> read_timeout_ms{kNoTimeout};
  std::atomic<std::uint64_t> write_timeout_ms{kNoTimeout};

 private:
  TlsStream(std::shared_ptr<Socket> socket, SSL* ssl) : socket_(std::move(socket)), ssl_(ssl) {}
  // Runs `call` (an SSL_* function returning > 0 on success) until it succeeds, fails, or the
  // deadline passes, waiting for whichever direction OpenSSL asks for.
  template <class Call>
  TlsResult drive(runtime::Blocking& blocking, std::optional<runtime::Clock::time_point> deadline,
                  Call&& call);

  std::shared_ptr<Socket> socket_;
  std::mutex mutex_;  // one OpenSSL call at a time on ssl_
  SSL* ssl_;
};

}  // namespace lunatic::net
