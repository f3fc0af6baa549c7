#include "cluster/peer_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "cluster/tls_identity.hpp"

namespace lunatic::cluster {
namespace {

std::string os_error(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// The kernel holds at most this much written but unsent; the rest waits in the transport's
// queues, where a small message can still overtake the rest of a large one. Without it the
// socket buffer takes megabytes, and a small message waits for all of them to go out.
constexpr int kUnsentInKernel = 64 * 1024;

// Frames are small and latency matters more than packet count: no Nagle delay.
void set_socket_options(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &kUnsentInKernel, sizeof kUnsentInKernel);
}

}  // namespace

PeerConnection::PeerConnection(UniqueFd fd, const net::SocketAddress& remote, bool dialer, SSL* ssl,
                               DecoderLimits limits)
    : fd_(std::move(fd)),
      remote_(remote),
      dialer_(dialer),
      ssl_(ssl),
      stage_(dialer ? Stage::kConnecting : Stage::kHandshaking),
      decoder_(limits) {}

PeerConnection::~PeerConnection() { SSL_free(ssl_); }  // before fd_ closes

Expected<std::unique_ptr<PeerConnection>> PeerConnection::dial(const net::SocketAddress& address,
                                                               SSL_CTX* context,
                                                               DecoderLimits limits) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error(Errc::kIo, os_error("socket", errno));
  set_socket_options(fd.get());
  if (::connect(fd.get(), address.get(), address.length) != 0 && errno != EINPROGRESS)
    return make_error(Errc::kIo, os_error("connect", errno));
  ERR_clear_error();
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr) return make_error(Errc::kIo, take_openssl_errors("SSL_new failed"));
  SSL_set_fd(ssl, fd.get());
  SSL_set_connect_state(ssl);
  return std::unique_ptr<PeerConnection>(
      new PeerConnection(std::move(fd), address, true, ssl, limits));
}

Expected<std::unique_ptr<PeerConnection>> PeerConnection::accepted(UniqueFd fd,
                                                                   const net::SocketAddress& remote,
                                                                   SSL_CTX* context,
                                                                   DecoderLimits limits) {
  set_socket_options(fd.get());
  ERR_clear_error();
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr) return make_error(Errc::kIo, take_openssl_errors("SSL_new failed"));
  SSL_set_fd(ssl, fd.get());
  SSL_set_accept_state(ssl);
  return std::unique_ptr<PeerConnection>(
      new PeerConnection(std::move(fd), remote, false, ssl, limits));
}

std::string PeerConnection::ssl_failure(int result, const char* operation) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return {};
    case SSL_ERROR_WANT_WRITE:
      ssl_wants_write_ = true;
      return {};
    case SSL_ERROR_ZERO_RETURN:
      return "the peer closed the connection";
    case SSL_ERROR_SYSCALL:
      if (saved_errno != 0) return os_error(operation, saved_errno);
      return take_openssl_errors("the peer closed the connection");
    default:
      return std::string(operation) + ": " + take_openssl_errors("TLS error");
  }
}

Expected<bool> PeerConnection::handshake() {
  ssl_wants_write_ = false;
  if (stage_ == Stage::kConnecting) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return make_error(Errc::kIo, os_error("connect", error));
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
      if (errno == ENOTCONN) return false;  // still connecting
      return make_error(Errc::kIo, os_error("connect", errno));
    }
    stage_ = Stage::kHandshaking;
  }
  if (stage_ != Stage::kHandshaking) return true;
  ERR_clear_error();
  errno = 0;
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    stage_ = Stage::kHello;
    last_received = Clock::now();
    return true;
  }
  std::string reason = ssl_failure(result, "TLS handshake");
  if (reason.empty()) return false;
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    reason = std::string("the peer's certificate was refused (") +
             X509_verify_cert_error_string(verify) + "): " + reason;
  }
  return make_error(Errc::kIo, reason);
}

Expected<bool> PeerConnection::receive(std::vector<DecodedFrame>& frames, std::size_t budget) {
  ssl_wants_write_ = false;
  std::size_t total = 0;
  // One TLS record (at most 16 KiB) per read: a larger buffer would not be filled.
  std::uint8_t buffer[16 * 1024];
  for (;;) {
    ERR_clear_error();
    errno = 0;
    std::size_t got = 0;
    const int result = SSL_read_ex(ssl_, buffer, sizeof buffer, &got);
    if (result != 1) {
      std::string reason = ssl_failure(result, "read");
      if (reason.empty()) return false;
      return make_error(Errc::kIo, reason);
    }
    last_received = Clock::now();
    if (auto fed = decoder_.feed({buffer, got}, frames); !fed) {
      return make_error(fed.error().code, "the peer sent a bad frame: " + fed.error().message);
    }
    total += got;
    if (total >= budget) return true;
  }
}

Status PeerConnection::flush() {
  ssl_wants_write_ = false;
  while (written_ < output_.size()) {
    ERR_clear_error();
    errno = 0;
    std::size_t wrote = 0;
    const int result =
        SSL_write_ex(ssl_, output_.data() + written_, output_.size() - written_, &wrote);
    if (result != 1) {
      std::string reason = ssl_failure(result, "write");
      if (reason.empty()) return Ok{};
      return make_error(Errc::kIo, reason);
    }
    written_ += wrote;
    last_sent = Clock::now();
  }
  output_.clear();
  written_ = 0;
  return Ok{};
}

std::string PeerConnection::peer_name() const { return peer_common_name(ssl_); }

}  // namespace lunatic::cluster
