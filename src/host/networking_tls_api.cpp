// lunatic::networking TLS: listeners with a PEM certificate and key, accepted connections that
// shake hands in the process serving them, and client connections verified against given CA
// certificates or the system's (net/tls.hpp).
#include <vector>

#include "host/networking_api.hpp"
#include "host/networking_context.hpp"
#include "host/networking_guest_address.hpp"
#include "host/networking_guest_io.hpp"
#include "net/socket_service.hpp"
#include "net/tls.hpp"

namespace lunatic::host {
namespace {

net::TlsListener& tls_listener_of(HostContext& context, std::uint64_t id) {
  return resource_of(context.tls_listeners, id, "tls listener");
}

std::shared_ptr<net::TlsStream> tls_stream_of(HostContext& context, std::uint64_t id) {
  return resource_of(context.tls_streams, id, "tls stream");
}

std::uint32_t store_tls_result(HostContext& context, const net::TlsResult& result,
                               std::uint32_t opaque_ptr) {
  if (result.timed_out) return kTimedOut;
  if (!result.error.empty()) return store_net_error(context, opaque_ptr, result.error);
  store_u64(context, opaque_ptr, static_cast<std::uint64_t>(result.value));
  return kOk;
}

// tls_bind(addr..., id_ptr, cert_ptr, cert_len, key_ptr, key_len) -> i32: a listener serving the
// PEM certificate (and any chain after it) with the PEM private key: 0 with its id, 1 with an
// error id (the address, or a certificate or key that does not load or match).
std::uint32_t tls_bind(HostContext& context, std::uint32_t type, std::uint32_t address_ptr,
                       std::uint32_t port, std::uint32_t flow_info, std::uint32_t scope_id,
                       std::uint32_t id_ptr, std::uint32_t cert_ptr, std::uint32_t cert_len,
                       std::uint32_t key_ptr, std::uint32_t key_len) {
  const auto address =
      guest_socket_address(context.memory(), type, address_ptr, port, flow_info, scope_id);
  auto tls_context = net::server_context(guest_buffer(context, cert_ptr, cert_len),
                                         guest_buffer(context, key_ptr, key_len));
  if (!tls_context) return store_net_error(context, id_ptr, tls_context.error().message);
  auto socket = bound_socket(context, address, net::tcp_listen, id_ptr);
  if (!socket) return kFailed;
  store_u64(
      context, id_ptr,
      context.tls_listeners.add(net::TlsListener{std::move(socket), std::move(*tls_context)}));
  return kOk;
}

void drop_tls_listener(HostContext& context, std::uint64_t id) {
  drop_resource(context.tls_listeners, id, "tls listener");
}

std::uint32_t tls_local_addr(HostContext& context, std::uint64_t id, std::uint32_t id_ptr) {
  const auto& socket = *tls_listener_of(context, id).socket;
  return store_address_result(context, net::local_address(socket), id_ptr);
}

// tls_accept(listener, id_ptr, peer_ptr) -> i32: waits for a connection: 0 with the stream id and
// the peer's address. The handshake happens on the stream's first read or write, in whichever
// process uses it; a client that fails it gets an error there, not a trap.
std::uint32_t tls_accept(HostContext& context, std::uint64_t listener_id, std::uint32_t id_ptr,
                         std::uint32_t peer_ptr) {
  net::TlsListener& listener = tls_listener_of(context, listener_id);
  auto listening = listener.socket;
  auto tls_context = listener.context;
  auto socket = accept_socket(context, *listening, id_ptr, peer_ptr);
  if (!socket) return kFailed;
  auto stream = net::TlsStream::accepted(std::move(socket), tls_context);
  if (!stream) return store_net_error(context, id_ptr, "cannot make a TLS connection");
  store_u64(context, id_ptr, context.tls_streams.add(std::move(stream)));
  return kOk;
}

// tls_connect(host_ptr, host_len, port, timeout_ms, id_ptr, certs_ptr, certs_len) -> i32: resolves
// the host, connects to its first address that answers, and shakes hands, verifying the server's
// certificate for the host against the PEM CA certificates of the (ptr, len) array, or the
// system's roots when it is empty. 0 with the stream id, 1 with an error id (refused
// certificates included), 9027 when the timeout passed first.
std::uint32_t tls_connect(HostContext& context, std::uint32_t host_ptr, std::uint32_t host_len,
                          std::uint32_t port, std::uint64_t timeout_ms, std::uint32_t id_ptr,
                          std::uint32_t certs_ptr, std::uint32_t certs_len) {
  const std::string host = guest_utf8(context, host_ptr, host_len);
  std::vector<std::string> ca_pems;
  for (auto pem : guest_iovecs(context, certs_ptr, certs_len)) {
    ca_pems.emplace_back(reinterpret_cast<const char*>(pem.data()), pem.size());
  }
  auto tls_context = net::client_context(ca_pems);
  if (!tls_context) return store_net_error(context, id_ptr, tls_context.error().message);
  const auto deadline = deadline_after(timeout_ms);
  const std::string bare_host = host.size() > 2 && host.front() == '[' && host.back() == ']'
                                    ? host.substr(1, host.size() - 2)
                                    : host;
  const auto resolved =
      resolve_waiting(context, bare_host, std::to_string(port & 0xFFFF), deadline);
  if (resolved.timed_out) return kTimedOut;
  if (!resolved.error.empty()) {
    return store_net_error(context, id_ptr, resolved.error);
  }
  if (resolved.addresses.empty()) {
    return store_net_error(context, id_ptr, "no address for " + host);
  }
  auto permitted = [&](const net::SocketAddress& address) {
    return network_permits(context, net::NetworkAccess::kConnect, address);
  };
  auto& reactor = reactor_of(context);
  net::TlsResult failure;
  auto stream =
      net::TlsStream::connect_first(reactor, blocking_of(context), resolved.addresses, permitted,
                                    *tls_context, bare_host, deadline, failure);
  if (failure.timed_out) return kTimedOut;
  if (!stream) return store_net_error(context, id_ptr, failure.error);
  store_u64(context, id_ptr, context.tls_streams.add(std::move(stream)));
  return kOk;
}

void drop_tls_stream(HostContext& context, std::uint64_t id) {
  drop_resource(context.tls_streams, id, "tls stream");
}

std::uint64_t clone_tls_stream(HostContext& context, std::uint64_t id) {
  return context.tls_streams.add(tls_stream_of(context, id));
}

// tls_write_vectored(stream, ciovecs, ciovecs_len, opaque_ptr) -> i32: 0 with the bytes written,
// 1 with an error id, 9027 after the write timeout.
std::uint32_t tls_write_vectored(HostContext& context, std::uint64_t stream_id,
                                 std::uint32_t iovecs_ptr, std::uint32_t iovecs_len,
                                 std::uint32_t opaque_ptr) {
  const auto buffers = guest_iovecs(context, iovecs_ptr, iovecs_len);
  auto stream = tls_stream_of(context, stream_id);
  const net::TlsResult written =
      stream->write(blocking_of(context), buffers, deadline_after(stream->write_timeout_ms.load()));
  return store_tls_result(context, written, opaque_ptr);
}

// tls_read(stream, buf, len, opaque_ptr) -> i32: 0 with the bytes read (0: the peer closed), 1
// with an error id (a failed handshake included), 9027 after the read timeout.
std::uint32_t tls_read(HostContext& context, std::uint64_t stream_id, std::uint32_t buffer_ptr,
                       std::uint32_t buffer_len, std::uint32_t opaque_ptr) {
  auto stream = tls_stream_of(context, stream_id);
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len);
  const net::TlsResult read =
      stream->read(blocking_of(context), buffer, deadline_after(stream->read_timeout_ms.load()));
  return store_tls_result(context, read, opaque_ptr);
}

std::uint32_t tls_flush(HostContext& context, std::uint64_t stream_id, std::uint32_t error_id_ptr) {
  tls_stream_of(context, stream_id);
  store_u64(context, error_id_ptr, 0);
  return kOk;
}

template <std::atomic<std::uint64_t> net::TlsStream::*Timeout>
void set_timeout(HostContext& context, std::uint64_t stream_id, std::uint64_t millis) {
  (*tls_stream_of(context, stream_id).*Timeout).store(millis);
}
template <std::atomic<std::uint64_t> net::TlsStream::*Timeout>
std::uint64_t get_timeout(HostContext& context, std::uint64_t stream_id) {
  return (*tls_stream_of(context, stream_id).*Timeout).load();
}

}  // namespace

std::vector<engine::ImportFunction> tls_functions() {
  constexpr ImportName m{"lunatic::networking"};
  using net::TlsStream;
  return {
      host_function<&tls_bind, m, "tls_bind">(),
      host_function<&drop_tls_listener, m, "drop_tls_listener">(),
      host_function<&tls_local_addr, m, "tls_local_addr">(),
      host_function<&tls_accept, m, "tls_accept">(),
      host_function<&tls_connect, m, "tls_connect">(),
      host_function<&drop_tls_stream, m, "drop_tls_stream">(),
      host_function<&clone_tls_stream, m, "clone_tls_stream">(),
      host_function<&tls_write_vectored, m, "tls_write_vectored">(),
      host_function<&tls_read, m, "tls_read">(),
      host_function<&tls_flush, m, "tls_flush">(),
      host_function<&set_timeout<&TlsStream::read_timeout_ms>, m, "set_tls_read_timeout">(),
      host_function<&set_timeout<&TlsStream::write_timeout_ms>, m, "set_tls_write_timeout">(),
      host_function<&get_timeout<&TlsStream::read_timeout_ms>, m, "get_tls_read_timeout">(),
      host_function<&get_timeout<&TlsStream::write_timeout_ms>, m, "get_tls_write_timeout">(),
  };
}

}  // namespace lunatic::host
