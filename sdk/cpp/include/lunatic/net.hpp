// Networking for C++ guests over lunatic::networking: addresses and DNS, TCP, UDP and TLS.
// Calls look blocking; the runtime suspends only the calling process. Sockets are move-only
// owners of their ids (dropped on destruction). A socket in a message, or as a spawned
// function's argument, is shared: the receiver gets its own handle to the same connection.
//
//   auto listener = lunatic::net::TcpListener::bind(lunatic::net::SocketAddress::v4({127, 0, 0, 1},
//   8080)).value(); for (;;) lunatic::spawn(&serve, listener.accept().value().stream);
#pragma once

#include <lunatic/abi.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/msgpack.hpp>
#include <lunatic/process.hpp>
#include <lunatic/result.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lunatic::net {

struct SocketAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // the first 4 for IPv4
  std::uint16_t port = 0;
  std::uint32_t flow_info = 0;
  std::uint32_t scope_id = 0;

  static SocketAddress v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) {
    SocketAddress a;
    std::memcpy(a.bytes.data(), ip.data(), 4);
    a.port = port;
    return a;
  }
  static SocketAddress ipv6(std::array<std::uint8_t, 16> ip, std::uint16_t port) {
    SocketAddress a;
    a.v6 = true;
    a.bytes = ip;
    a.port = port;
    return a;
  }
  std::uint32_t type() const { return v6 ? 6 : 4; }
  std::uint32_t address() const { return detail::address(bytes.data()); }

  // "127.0.0.1:8080"; IPv6 as "[v6]:port" with the groups in hex.
  std::string to_string() const {
    std::string out;
    if (!v6) {
      for (int i = 0; i < 4; ++i) out += (i ? "." : "") + std::to_string(bytes[i]);
      return out + ":" + std::to_string(port);
    }
    static const char kHex[] = "0123456789abcdef";
    out = "[";
    for (int i = 0; i < 16; i += 2) {
      if (i) out += ':';
      const unsigned group = (unsigned{bytes[i]} << 8) | bytes[i + 1];
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned digit = (group >> shift) & 0xF;
        if (digit || started || shift == 0) {
          out += kHex[digit];
          started = true;
        }
      }
    }
    return out + "]:" + std::to_string(port);
  }
};

namespace detail {

using lunatic::detail::timeout_ms;

// The outcome of a networking call: 0 success, 1 an error id in `value`, 9027 a timeout.
[[gnu::cold]] inline Error network_error(std::uint32_t code, std::uint64_t error_id) {
  if (code == LUNATIC_TIMEOUT) return Error{ErrorKind::kTimeout, "timed out"};
  std::string text = lunatic::detail::take_host_error(error_id);
  const bool denied = text.rfind("Permission denied", 0) == 0;
  return Error{denied ? ErrorKind::kPermission : ErrorKind::kHost, std::move(text)};
}

inline Result<std::size_t> count_or_error(std::uint32_t code, std::uint64_t value) {
  if (code == 0) return static_cast<std::size_t>(value);
  return network_error(code, value);
}

// Every address of a DNS iterator, which is dropped.
inline std::vector<SocketAddress> drain(std::uint64_t iterator) {
  std::vector<SocketAddress> out;
  for (;;) {
    SocketAddress a;
    std::uint32_t type = 0;
    if (lunatic_net_resolve_next(iterator, lunatic::detail::address(&type), a.address(),
                                 lunatic::detail::address(&a.port),
                                 lunatic::detail::address(&a.flow_info),
                                 lunatic::detail::address(&a.scope_id)) != 0) {
      break;
    }
    a.v6 = type == 6;
    out.push_back(a);
  }
  lunatic_net_drop_dns_iterator(iterator);
  return out;
}

// The single address an "address of" call returns as a DNS iterator.
inline Result<SocketAddress> one_address(std::uint32_t code, std::uint64_t value) {
  if (code != 0) return network_error(code, value);
  std::vector<SocketAddress> all = drain(value);
  if (all.empty()) return Error{ErrorKind::kHost, "no address"};
  return all.front();
}

// A move-only owner of one resource id, dropped with `Drop` on destruction.
template <void (*Drop)(std::uint64_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(std::uint64_t id) : id_(id), owned_(true) {}
  Handle(Handle&& other) noexcept : id_(other.id_), owned_(std::exchange(other.owned_, false)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      owned_ = std::exchange(other.owned_, false);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  // An empty handle (default-constructed or moved from) has no id the runtime knows: using it
  // traps with "id ... does not exist" rather than reaching another socket.
  std::uint64_t id() const { return owned_ ? id_ : UINT64_MAX; }
  bool valid() const { return owned_; }
  void reset() {
    if (std::exchange(owned_, false)) Drop(id_);
  }

 private:
  std::uint64_t id_ = 0;
  bool owned_ = false;
};

struct Ciovec {
  std::uint32_t ptr, len;
};

using ReadFn = std::uint32_t (*)(std::uint64_t, std::uint32_t, std::uint32_t, std::uint32_t);
using TimeoutFn = void (*)(std::uint64_t, std::uint64_t);

// What TCP and TLS streams share: reading, writing and timeouts through their own imports.
template <ReadFn Read, ReadFn WriteVectored, TimeoutFn SetReadTimeout, TimeoutFn SetWriteTimeout,
          void (*Drop)(std::uint64_t)>
class ByteStream {
 public:
  ByteStream() = default;
  explicit ByteStream(std::uint64_t id) : handle_(id) {}

  // Some bytes: 0 when the peer has closed its side.
  Result<std::size_t> read(std::span<std::uint8_t> buffer) const {
    std::uint64_t n = 0;
    return count_or_error(
        Read(id(), lunatic::detail::address(buffer.data()),
             static_cast<std::uint32_t>(buffer.size()), lunatic::detail::address(&n)),
        n);
  }
  // Some of the bytes (as many as the connection takes).
  Result<std::size_t> write(std::span<const std::uint8_t> bytes) const {
    Ciovec iov{lunatic::detail::address(bytes.data()), static_cast<std::uint32_t>(bytes.size())};
    std::uint64_t n = 0;
    return count_or_error(
        WriteVectored(id(), lunatic::detail::address(&iov), 1, lunatic::detail::address(&n)), n);
  }
  Result<void> write_all(std::span<const std::uint8_t> bytes) const {
    while (!bytes.empty()) {
      Result<std::size_t> n = write(bytes);
      if (!n) return n.error();
      bytes = bytes.subspan(*n);
    }
    return {};
  }
  Result<void> write_all(std::string_view text) const {
    return write_all(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  // nullopt: none. Shared by every handle to the connection.
  void set_read_timeout(std::optional<Milliseconds> timeout) const {
    SetReadTimeout(id(), timeout_ms(timeout));
  }
  void set_write_timeout(std::optional<Milliseconds> timeout) const {
    SetWriteTimeout(id(), timeout_ms(timeout));
  }

  std::uint64_t id() const { return handle_.id(); }
  bool valid() const { return handle_.valid(); }

 private:
  Handle<Drop> handle_;
};

}  // namespace detail

// resolve("example.com:80"): every address, or an error (no port, an unknown name), or kTimeout.
inline Result<std::vector<SocketAddress>> resolve(std::string_view name,
                                                  std::optional<Milliseconds> timeout = {}) {
  std::uint64_t id = 0;
  const std::uint32_t code = lunatic_net_resolve(
      lunatic::detail::address(name.data()), static_cast<std::uint32_t>(name.size()),
      detail::timeout_ms(timeout), lunatic::detail::address(&id));
  if (code != 0) return detail::network_error(code, id);
  return detail::drain(id);
}

class TcpStream
    : public detail::ByteStream<&lunatic_net_tcp_read, &lunatic_net_tcp_write_vectored,
                                &lunatic_net_set_read_timeout, &lunatic_net_set_write_timeout,
                                &lunatic_net_drop_tcp_stream> {
 public:
  using ByteStream::ByteStream;

  static Result<TcpStream> connect(const SocketAddress& to,
                                   std::optional<Milliseconds> timeout = {}) {
    std::uint64_t id = 0;
    const std::uint32_t code =
        lunatic_net_tcp_connect(to.type(), to.address(), to.port, to.flow_info, to.scope_id,
                                detail::timeout_ms(timeout), lunatic::detail::address(&id));
    if (code != 0) return detail::network_error(code, id);
    return TcpStream(id);
  }
  // Resolves "host:port" and connects to the first address that answers.
  static Result<TcpStream> connect(std::string_view host_port,
                                   std::optional<Milliseconds> timeout = {}) {
    Result<std::vector<SocketAddress>> addresses = resolve(host_port, timeout);
    if (!addresses) return addresses.error();
    Error last{ErrorKind::kHost, "no address for " + std::string(host_port)};
    for (const SocketAddress& address : *addresses) {
      Result<TcpStream> stream = connect(address, timeout);
      if (stream) return stream;
      last = stream.error();
    }
    return last;
  }

  // As read, but the bytes stay to be read again.
  Result<std::size_t> peek(std::span<std::uint8_t> buffer) const {
    std::uint64_t n = 0;
    return detail::count_or_error(
        lunatic_net_tcp_peek(id(), lunatic::detail::address(buffer.data()),
                             static_cast<std::uint32_t>(buffer.size()),
                             lunatic::detail::address(&n)),
        n);
  }
  Result<SocketAddress> peer_address() const {
    std::uint64_t id_out = 0;
    return detail::one_address(lunatic_net_tcp_peer_addr(id(), lunatic::detail::address(&id_out)),
                               id_out);
  }
  // Another handle to the same connection (a reader and a writer in different processes).
  TcpStream clone() const { return TcpStream(lunatic_net_clone_tcp_stream(id())); }
};

struct Accepted;

class TcpListener {
 public:
  explicit TcpListener(std::uint64_t id) : handle_(id) {}
  // Port 0 picks a free port (see local_address()).
  static Result<TcpListener> bind(const SocketAddress& at) {
    std::uint64_t id = 0;
    const std::uint32_t code = lunatic_net_tcp_bind(at.type(), at.address(), at.port, at.flow_info,
                                                    at.scope_id, lunatic::detail::address(&id));
    if (code != 0) return detail::network_error(code, id);
    return TcpListener(id);
  }
  // Waits for the next connection.
  Result<Accepted> accept() const;
  Result<SocketAddress> local_address() const {
    std::uint64_t id_out = 0;
    return detail::one_address(
        lunatic_net_tcp_local_addr(handle_.id(), lunatic::detail::address(&id_out)), id_out);
  }

 private:
  detail::Handle<&lunatic_net_drop_tcp_listener> handle_;
};

struct Accepted {
  TcpStream stream;
  SocketAddress peer;
};

inline Result<Accepted> TcpListener::accept() const {
  std::uint64_t stream = 0, peer = 0;
  const std::uint32_t code = lunatic_net_tcp_accept(handle_.id(), lunatic::detail::address(&stream),
                                                    lunatic::detail::address(&peer));
  if (code != 0) return detail::network_error(code, stream);
  std::vector<SocketAddress> peers = detail::drain(peer);
  return Accepted{TcpStream(stream), peers.empty() ? SocketAddress{} : peers.front()};
}

struct Datagram {
  std::size_t size;
  SocketAddress from;
};

class UdpSocket {
 public:
  UdpSocket() = default;
  explicit UdpSocket(std::uint64_t id) : handle_(id) {}
  static Result<UdpSocket> bind(const SocketAddress& at) {
    std::uint64_t id = 0;
    const std::uint32_t code = lunatic_net_udp_bind(at.type(), at.address(), at.port, at.flow_info,
                                                    at.scope_id, lunatic::detail::address(&id));
    if (code != 0) return detail::network_error(code, id);
    return UdpSocket(id);
  }
  // The peer of send() and the only sender receive() hears.
  Result<void> connect(const SocketAddress& to) const {
    std::uint64_t error = 0;
    const std::uint32_t code =
        lunatic_net_udp_connect(id(), to.type(), to.address(), to.port, to.flow_info, to.scope_id,
                                LUNATIC_NO_TIMEOUT, lunatic::detail::address(&error));
    if (code != 0) return detail::network_error(code, error);
    return {};
  }
  Result<std::size_t> send(std::span<const std::uint8_t> bytes) const {
    std::uint64_t n = 0;
    return detail::count_or_error(lunatic_net_udp_send(id(), lunatic::detail::address(bytes.data()),
                                                       static_cast<std::uint32_t>(bytes.size()),
                                                       lunatic::detail::address(&n)),
                                  n);
  }
  Result<std::size_t> send_to(std::span<const std::uint8_t> bytes, const SocketAddress& to) const {
    std::uint64_t n = 0;
    return detail::count_or_error(
        lunatic_net_udp_send_to(id(), lunatic::detail::address(bytes.data()),
                                static_cast<std::uint32_t>(bytes.size()), to.type(), to.address(),
                                to.port, to.flow_info, to.scope_id, lunatic::detail::address(&n)),
        n);
  }
  // One datagram, cut to the buffer.
  Result<std::size_t> receive(std::span<std::uint8_t> buffer) const {
    std::uint64_t n = 0;
    return detail::count_or_error(
        lunatic_net_udp_receive(id(), lunatic::detail::address(buffer.data()),
                                static_cast<std::uint32_t>(buffer.size()),
                                lunatic::detail::address(&n)),
        n);
  }
  Result<Datagram> receive_from(std::span<std::uint8_t> buffer) const {
    std::uint64_t n = 0, from = 0;
    const std::uint32_t code = lunatic_net_udp_receive_from(
        id(), lunatic::detail::address(buffer.data()), static_cast<std::uint32_t>(buffer.size()),
        lunatic::detail::address(&n), lunatic::detail::address(&from));
    if (code != 0) return detail::network_error(code, n);
    std::vector<SocketAddress> senders = detail::drain(from);
    return Datagram{static_cast<std::size_t>(n),
                    senders.empty() ? SocketAddress{} : senders.front()};
  }
  Result<SocketAddress> local_address() const {
    std::uint64_t id_out = 0;
    return detail::one_address(lunatic_net_udp_local_addr(id(), lunatic::detail::address(&id_out)),
                               id_out);
  }
  void set_broadcast(bool on) const { lunatic_net_set_udp_socket_broadcast(id(), on ? 1 : 0); }
  bool broadcast() const { return lunatic_net_get_udp_socket_broadcast(id()) != 0; }
  void set_ttl(std::uint32_t ttl) const { lunatic_net_set_udp_socket_ttl(id(), ttl); }
  std::uint32_t ttl() const { return lunatic_net_get_udp_socket_ttl(id()); }
  UdpSocket clone() const { return UdpSocket(lunatic_net_clone_udp_socket(id())); }

  std::uint64_t id() const { return handle_.id(); }
  bool valid() const { return handle_.valid(); }

 private:
  detail::Handle<&lunatic_net_drop_udp_socket> handle_;
};

class TlsStream
    : public detail::ByteStream<&lunatic_net_tls_read, &lunatic_net_tls_write_vectored,
                                &lunatic_net_set_tls_read_timeout,
                                &lunatic_net_set_tls_write_timeout, &lunatic_net_drop_tls_stream> {
 public:
  using ByteStream::ByteStream;

  // Connects to host:port and verifies the server's certificate for `host` against the PEM
  // certificates in `ca_pems`, or the system's roots when there are none.
  static Result<TlsStream> connect(std::string_view host, std::uint16_t port,
                                   std::span<const std::string> ca_pems = {},
                                   std::optional<Milliseconds> timeout = {}) {
    std::vector<detail::Ciovec> cas;
    for (const std::string& pem : ca_pems) {
      cas.push_back({lunatic::detail::address(pem.data()), static_cast<std::uint32_t>(pem.size())});
    }
    std::uint64_t id = 0;
    const std::uint32_t code = lunatic_net_tls_connect(
        lunatic::detail::address(host.data()), static_cast<std::uint32_t>(host.size()), port,
        detail::timeout_ms(timeout), lunatic::detail::address(&id),
        lunatic::detail::address(cas.data()), static_cast<std::uint32_t>(cas.size()));
    if (code != 0) return detail::network_error(code, id);
    return TlsStream(id);
  }
  TlsStream clone() const { return TlsStream(lunatic_net_clone_tls_stream(id())); }
};

struct TlsAccepted {
  TlsStream stream;
  SocketAddress peer;
};

class TlsListener {
 public:
  explicit TlsListener(std::uint64_t id) : handle_(id) {}
  // Serves the PEM certificate (and any chain after it) with the PEM private key.
  static Result<TlsListener> bind(const SocketAddress& at, std::string_view certificate_pem,
                                  std::string_view key_pem) {
    std::uint64_t id = 0;
    const std::uint32_t code = lunatic_net_tls_bind(
        at.type(), at.address(), at.port, at.flow_info, at.scope_id, lunatic::detail::address(&id),
        lunatic::detail::address(certificate_pem.data()),
        static_cast<std::uint32_t>(certificate_pem.size()),
        lunatic::detail::address(key_pem.data()), static_cast<std::uint32_t>(key_pem.size()));
    if (code != 0) return detail::network_error(code, id);
    return TlsListener(id);
  }
  // The handshake runs on the stream's first read or write.
  Result<TlsAccepted> accept() const {
    std::uint64_t stream = 0, peer = 0;
    const std::uint32_t code = lunatic_net_tls_accept(
        handle_.id(), lunatic::detail::address(&stream), lunatic::detail::address(&peer));
    if (code != 0) return detail::network_error(code, stream);
    std::vector<SocketAddress> peers = detail::drain(peer);
    return TlsAccepted{TlsStream(stream), peers.empty() ? SocketAddress{} : peers.front()};
  }
  Result<SocketAddress> local_address() const {
    std::uint64_t id_out = 0;
    return detail::one_address(
        lunatic_net_tls_local_addr(handle_.id(), lunatic::detail::address(&id_out)), id_out);
  }

 private:
  detail::Handle<&lunatic_net_drop_tls_listener> handle_;
};

}  // namespace lunatic::net

namespace lunatic::msgpack {

// Sockets travel as resources of the message being built or read: encoding pushes another
// handle to the same socket into the message (the sender keeps its own) and writes its index;
// decoding takes it out. They encode only inside a message (send, spawn's argument).
template <>
struct Codec<net::SocketAddress> {
  static void encode(Writer& w, const net::SocketAddress& a) {
    w.array_header(5);
    w.boolean(a.v6);
    w.bin(std::span<const std::uint8_t>(a.bytes.data(), a.v6 ? 16 : 4));
    w.unsigned_integer(a.port);
    w.unsigned_integer(a.flow_info);
    w.unsigned_integer(a.scope_id);
  }
  static Result<net::SocketAddress> decode(Reader& r) {
    Result<std::tuple<bool, std::vector<std::uint8_t>, std::uint16_t, std::uint32_t, std::uint32_t>>
        fields = detail::decode_fields<bool, std::vector<std::uint8_t>, std::uint16_t,
                                       std::uint32_t, std::uint32_t>(r);
    if (!fields) return fields.error();
    auto& [v6, bytes, port, flow_info, scope_id] = *fields;
    if (bytes.size() != (v6 ? 16u : 4u)) return r.fail("an address of the wrong length");
    net::SocketAddress a;
    a.v6 = v6;
    std::memcpy(a.bytes.data(), bytes.data(), bytes.size());
    a.port = port;
    a.flow_info = flow_info;
    a.scope_id = scope_id;
    return a;
  }
};

template <class Stream, std::uint64_t (*Clone)(std::uint64_t), std::uint64_t (*Push)(std::uint64_t),
          std::uint64_t (*Take)(std::uint64_t)>
struct SocketCodec {
  static void encode(Writer& w, const Stream& s) { w.unsigned_integer(Push(Clone(s.id()))); }
  static Result<Stream> decode(Reader& r) {
    Result<std::uint64_t> index = r.unsigned_integer();
    if (!index) return index.error();
    return Stream(Take(*index));
  }
};

template <>
struct Codec<net::TcpStream>
    : SocketCodec<net::TcpStream, &lunatic_net_clone_tcp_stream, &lunatic_message_push_tcp_stream,
                  &lunatic_message_take_tcp_stream> {};
template <>
struct Codec<net::UdpSocket>
    : SocketCodec<net::UdpSocket, &lunatic_net_clone_udp_socket, &lunatic_message_push_udp_socket,
                  &lunatic_message_take_udp_socket> {};
template <>
struct Codec<net::TlsStream>
    : SocketCodec<net::TlsStream, &lunatic_net_clone_tls_stream, &lunatic_message_push_tls_stream,
                  &lunatic_message_take_tls_stream> {};

}  // namespace lunatic::msgpack
