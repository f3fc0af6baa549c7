#include "net/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "net/network_policy.hpp"
#include "net/socket_service.hpp"
#include "runtime/runtime_counters.hpp"

namespace lunatic::net {
namespace {

// The queued OpenSSL errors as one line (and the queue cleared), or `fallback` when empty.
std::string openssl_errors(const std::string& fallback) {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? fallback : text;
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Bio memory_bio(std::span<const std::uint8_t> bytes) {
  return Bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), &BIO_free);
}

SslContext new_context(const SSL_METHOD* method) {
  SSL_CTX* context = SSL_CTX_new(method);
  if (context == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  // Nonblocking writes: a retry may pass the same bytes from a moved buffer, and a write may
  // report part of its buffer done.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A peer that closes without close_notify ends the stream (0 bytes), as a TCP close does.
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
  return SslContext(context, &SSL_CTX_free);
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Expected<SslContext> server_context(std::span<const std::uint8_t> certificate_pem,
                                    std::span<const std::uint8_t> key_pem) {
  ERR_clear_error();
  SslContext context = new_context(TLS_server_method());
  if (!context)
    return make_error(Errc::kInvalidArgument, openssl_errors("cannot make a TLS context"));
  Bio certificates = memory_bio(certificate_pem);
  X509* leaf = PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(context.get(), leaf) != 1) {
    X509_free(leaf);
    return make_error(Errc::kInvalidArgument, "the certificate is not a PEM certificate: " +
                                                  openssl_errors("no certificate found"));
  }
  X509_free(leaf);
  while (X509* chain = PEM_read_bio_X509(certificates.get(), nullptr, nullptr, nullptr)) {
    SSL_CTX_add0_chain_cert(context.get(), chain);  // takes ownership
  }
  ERR_clear_error();  // the end of the PEM data
  Bio key_bio = memory_bio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr || SSL_CTX_use_PrivateKey(context.get(), key) != 1) {
    EVP_PKEY_free(key);
    return make_error(Errc::kInvalidArgument,
                      "the key is not a PEM private key: " + openssl_errors("no key found"));
  }
  EVP_PKEY_free(key);
  if (SSL_CTX_check_private_key(context.get()) != 1) {
    return make_error(Errc::kInvalidArgument,
                      "the key does not match the certificate: " + openssl_errors("mismatch"));
  }
  return context;
}

Expected<SslContext> client_context(const std::vector<std::string>& ca_pems) {
  if (ca_pems.empty()) {
    // Reading the system's roots takes about 20 ms, on the worker of the process that asks:
    // done once and shared (an SSL_CTX serves any number of connections, on any thread).
    static const Expected<SslContext> system_roots = []() -> Expected<SslContext> {
      ERR_clear_error();
      SslContext context = new_context(TLS_client_method());
      if (!context)
        return make_error(Errc::kInvalidArgument, openssl_errors("cannot make a TLS context"));
      SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
      SSL_CTX_set_default_verify_paths(context.get());
      return context;
    }();
    return system_roots;
  }
  ERR_clear_error();
  SslContext context = new_context(TLS_client_method());
  if (!context)
    return make_error(Errc::kInvalidArgument, openssl_errors("cannot make a TLS context"));
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  X509_STORE* store = SSL_CTX_get_cert_store(context.get());
  for (const std::string& pem : ca_pems) {
    Bio bio = memory_bio({reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()});
    int added = 0;
    while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      added += X509_STORE_add_cert(store, certificate) == 1;
      X509_free(certificate);
    }
    ERR_clear_error();
    if (added == 0)
      return make_error(Errc::kInvalidArgument, "a CA certificate is not a PEM certificate");
  }
  return context;
}

std::shared_ptr<TlsStream> TlsStream::accepted(std::shared_ptr<Socket> socket,
                                               const SslContext& context) {
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, socket->fd());
  SSL_set_accept_state(ssl);  // the handshake runs inside the first read or write
  return std::shared_ptr<TlsStream>(new TlsStream(std::move(socket), ssl));
}

std::shared_ptr<TlsStream> TlsStream::connected(runtime::Blocking& blocking,
                                                std::shared_ptr<Socket> socket,
                                                const SslContext& context, const std::string& host,
                                                std::optional<runtime::Clock::time_point> deadline,
                                                TlsResult& error) {
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) {
    error.error = openssl_errors("cannot make a TLS connection");
    return nullptr;
  }
  SSL_set_fd(ssl, socket->fd());
  if (is_ip_address(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
  SSL_set_connect_state(ssl);
  std::shared_ptr<TlsStream> stream(new TlsStream(std::move(socket), ssl));
  error = stream->drive(blocking, deadline, [&] { return SSL_do_handshake(ssl); });
  if (!error.ok()) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK && !error.timed_out) {
      error.error = std::string("the server's certificate was refused: ") +
                    X509_verify_cert_error_string(verify);
    }
    return nullptr;
  }
  return stream;
}

std::shared_ptr<TlsStream> TlsStream::connect_first(
    runtime::Reactor& reactor, runtime::Blocking& blocking,
    std::span<const SocketAddress> addresses,
    const std::function<bool(const SocketAddress&)>& permitted, const SslContext& context,
    const std::string& host, std::optional<runtime::Clock::time_point> deadline, TlsResult& error) {
  for (const auto& address : addresses) {
    if (!permitted(address)) {
      error.error = denied_text(NetworkAccess::kConnect, address);
      continue;
    }
    auto connected = tcp_connect(reactor, blocking, address, deadline);
    if (connected.timed_out) {
      error = {-1, {}, true};
      return nullptr;
    }
    if (!connected.ok()) {
      error.error = os_error_text(connected.error);
      continue;
    }
    return TlsStream::connected(blocking, std::move(connected.value), context, host, deadline,
                                error);
  }
  return nullptr;
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

template <class Call>
TlsResult TlsStream::drive(runtime::Blocking& blocking,
                           std::optional<runtime::Clock::time_point> deadline, Call&& call) {
  for (;;) {
    const std::uint64_t seen_read = socket_->readiness(runtime::IoDirection::kRead);
    const std::uint64_t seen_write = socket_->readiness(runtime::IoDirection::kWrite);
    int result, reason;
    int saved_errno;
    std::string errors;
    {
      std::lock_guard guard(mutex_);
      ERR_clear_error();
      errno = 0;
      result = call();
      reason = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, result);
      saved_errno = errno;
      if (reason == SSL_ERROR_SSL || reason == SSL_ERROR_SYSCALL) errors = openssl_errors("");
    }
    switch (reason) {
      case SSL_ERROR_NONE:
        return {result, {}, false};
      case SSL_ERROR_ZERO_RETURN:
        return {0, {}, false};
      case SSL_ERROR_WANT_READ:
        if (!socket_->wait(blocking, runtime::IoDirection::kRead, seen_read, deadline))
          return {-1, {}, true};
        break;
      case SSL_ERROR_WANT_WRITE:
        if (!socket_->wait(blocking, runtime::IoDirection::kWrite, seen_write, deadline))
          return {-1, {}, true};
        break;
      case SSL_ERROR_SYSCALL:
        if (saved_errno != 0) return {-1, os_error_text(saved_errno), false};
        return {-1, errors.empty() ? "the TLS connection ended unexpectedly" : errors, false};
      default:
        return {-1, errors.empty() ? "TLS error" : errors, false};
    }
  }
}

TlsResult TlsStream::read(runtime::Blocking& blocking, std::span<std::uint8_t> buffer,
                          std::optional<runtime::Clock::time_point> deadline) {
  if (buffer.empty()) return {0, {}, false};
  std::size_t got = 0;
  TlsResult result = drive(blocking, deadline,
                           [&] { return SSL_read_ex(ssl_, buffer.data(), buffer.size(), &got); });
  if (result.ok() && result.value > 0) {
    result.value = static_cast<ssize_t>(got);
    runtime::count_on_worker(runtime::Counter::kSocketBytesIn, got);
  }
  return result;
}

TlsResult TlsStream::write(runtime::Blocking& blocking, std::span<const std::uint8_t> data,
                           std::optional<runtime::Clock::time_point> deadline) {
  if (data.empty()) return {0, {}, false};
  std::size_t written = 0;
  TlsResult result = drive(blocking, deadline,
                           [&] { return SSL_write_ex(ssl_, data.data(), data.size(), &written); });
  if (result.ok()) {
    result.value = static_cast<ssize_t>(written);
    runtime::count_on_worker(runtime::Counter::kSocketBytesOut, written);
  }
  return result;
}

TlsResult TlsStream::write(runtime::Blocking& blocking,
                           std::span<const std::span<const std::uint8_t>> buffers,
                           std::optional<runtime::Clock::time_point> deadline) {
  std::vector<std::uint8_t> gathered;
  for (auto buffer : buffers) {
    const std::size_t take = std::min(buffer.size(), kMaxGatheredWrite - gathered.size());
    gathered.insert(gathered.end(), buffer.begin(),
                    buffer.begin() + static_cast<std::ptrdiff_t>(take));
  }
  return write(blocking, gathered, deadline);
}

}  // namespace lunatic::net
