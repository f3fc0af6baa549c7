// lunatic::networking TCP: listeners, connections, reads and writes with timeouts. Every
// operation that would block suspends the calling process only (net::Socket).
#include <vector>

#include "host/networking_api.hpp"
#include "host/networking_context.hpp"
#include "host/networking_guest_address.hpp"
#include "host/networking_guest_io.hpp"
#include "net/socket_service.hpp"

namespace lunatic::host {
namespace {

net::TcpListener& listener_of(HostContext& context, std::uint64_t id) {
  return resource_of(context.tcp_listeners, id, "tcp listener");
}

// tcp_bind(addr_type, addr_ptr, port, flow_info, scope_id, id_ptr) -> i32: 0 with the listener
// id at id_ptr, 1 with an error id.
std::uint32_t tcp_bind(HostContext& context, std::uint32_t type, std::uint32_t address_ptr,
                       std::uint32_t port, std::uint32_t flow_info, std::uint32_t scope_id,
                       std::uint32_t id_ptr) {
  const auto address =
      guest_socket_address(context.memory(), type, address_ptr, port, flow_info, scope_id);
  auto socket = bound_socket(context, address, net::tcp_listen, id_ptr);
  if (!socket) return kFailed;
  store_u64(context, id_ptr, context.tcp_listeners.add(net::TcpListener{std::move(socket)}));
  return kOk;
}

void drop_tcp_listener(HostContext& context, std::uint64_t id) {
  drop_resource(context.tcp_listeners, id, "tcp listener");
}

// tcp_local_addr(listener, id_ptr) -> i32: the bound address as a DNS iterator.
std::uint32_t tcp_local_addr(HostContext& context, std::uint64_t listener_id,
                             std::uint32_t id_ptr) {
  const auto& socket = *listener_of(context, listener_id).socket;
  return store_address_result(context, net::local_address(socket), id_ptr);
}

// tcp_accept(listener, id_ptr, peer_ptr) -> i32: waits for a connection; 0 with the stream id
// and a DNS iterator of the peer's address, 1 with an error id (and 0 at peer_ptr).
std::uint32_t tcp_accept(HostContext& context, std::uint64_t listener_id, std::uint32_t id_ptr,
                         std::uint32_t peer_ptr) {
  auto listening = listener_of(context, listener_id).socket;
  auto socket = accept_socket(context, *listening, id_ptr, peer_ptr);
  if (!socket) return kFailed;
  store_u64(context, id_ptr,
            context.tcp_streams.add(std::make_shared<net::TcpStream>(std::move(socket))));
  return kOk;
}

// tcp_connect(addr_type, addr_ptr, port, flow_info, scope_id, timeout_ms, id_ptr) -> i32: 0 with
// the stream id, 1 with an error id, 9027 when the timeout passed first.
std::uint32_t tcp_connect(HostContext& context, std::uint32_t type, std::uint32_t address_ptr,
                          std::uint32_t port, std::uint32_t flow_info, std::uint32_t scope_id,
                          std::uint64_t timeout_ms, std::uint32_t id_ptr) {
  const auto address =
      guest_socket_address(context.memory(), type, address_ptr, port, flow_info, scope_id);
  if (!check_network_access(context, net::NetworkAccess::kConnect, address, id_ptr)) {
    return kFailed;
  }
  const auto deadline = deadline_after(timeout_ms);
  auto& reactor = reactor_of(context);
  auto connected = net::tcp_connect(reactor, blocking_of(context), address, deadline);
  if (connected.timed_out) return kTimedOut;
  if (!connected.ok()) return store_os_error(context, id_ptr, connected.error);
  store_u64(context, id_ptr,
            context.tcp_streams.add(std::make_shared<net::TcpStream>(std::move(connected.value))));
  return kOk;
}

void drop_tcp_stream(HostContext& context, std::uint64_t id) {
  drop_resource(context.tcp_streams, id, "tcp stream");
}

// clone_tcp_stream(id) -> i64: a second id for the same connection.
std::uint64_t clone_tcp_stream(HostContext& context, std::uint64_t id) {
  return context.tcp_streams.add(tcp_stream_of(context, id));
}

std::uint32_t tcp_peer_addr(HostContext& context, std::uint64_t stream_id, std::uint32_t id_ptr) {
  const auto stream = tcp_stream_of(context, stream_id);
  return store_address_result(context, net::peer_address(*stream->socket), id_ptr);
}

// tcp_write_vectored(stream, ciovecs_ptr, ciovecs_len, opaque_ptr) -> i32: writes what the socket
// takes of the buffers (ptr u32, len u32 pairs); 0 with the bytes written, 1 with an error id,
// 9027 when the write timeout passed first.
std::uint32_t tcp_write_vectored(HostContext& context, std::uint64_t stream_id,
                                 std::uint32_t iovecs_ptr, std::uint32_t iovecs_len,
                                 std::uint32_t opaque_ptr) {
  const auto buffers = guest_iovecs(context, iovecs_ptr, iovecs_len);
  auto stream = tcp_stream_of(context, stream_id);
  const net::IoResult written = net::tcp_send(blocking_of(context), *stream->socket, buffers,
                                              deadline_after(stream->write_timeout_ms.load()));
  return store_io_result(context, written, opaque_ptr);
}

// Reads (or peeks, leaving the bytes in the socket) into the guest's buffer: 0 with the bytes
// read (0: the peer closed its side), 1 with an error id, 9027 when the timeout passed first.
std::uint32_t receive(HostContext& context, std::uint64_t stream_id, std::uint32_t buffer_ptr,
                      std::uint32_t buffer_len, std::uint32_t opaque_ptr, bool peek) {
  auto stream = tcp_stream_of(context, stream_id);
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len);
  const auto deadline =
      deadline_after((peek ? stream->peek_timeout_ms : stream->read_timeout_ms).load());
  auto& blocking = blocking_of(context);
  const net::IoResult read = peek ? net::tcp_peek(blocking, *stream->socket, buffer, deadline)
                                  : net::tcp_receive(blocking, *stream->socket, buffer, deadline);
  return store_io_result(context, read, opaque_ptr);
}

std::uint32_t tcp_read(HostContext& context, std::uint64_t stream_id, std::uint32_t buffer_ptr,
                       std::uint32_t buffer_len, std::uint32_t opaque_ptr) {
  return receive(context, stream_id, buffer_ptr, buffer_len, opaque_ptr, false);
}

std::uint32_t tcp_peek(HostContext& context, std::uint64_t stream_id, std::uint32_t buffer_ptr,
                       std::uint32_t buffer_len, std::uint32_t opaque_ptr) {
  return receive(context, stream_id, buffer_ptr, buffer_len, opaque_ptr, true);
}

// tcp_flush(stream, error_id_ptr) -> i32: 0 (writes go straight to the kernel; nothing is
// buffered here), with 0 stored at error_id_ptr as Lunatic does.
std::uint32_t tcp_flush(HostContext& context, std::uint64_t stream_id, std::uint32_t error_id_ptr) {
  tcp_stream_of(context, stream_id);
  store_u64(context, error_id_ptr, 0);
  return kOk;
}

// Timeouts in milliseconds; u64::MAX sets and reads back as "none".
template <std::atomic<std::uint64_t> net::TcpStream::*Timeout>
void set_timeout(HostContext& context, std::uint64_t stream_id, std::uint64_t millis) {
  (*tcp_stream_of(context, stream_id).*Timeout).store(millis);
}
template <std::atomic<std::uint64_t> net::TcpStream::*Timeout>
std::uint64_t get_timeout(HostContext& context, std::uint64_t stream_id) {
  return (*tcp_stream_of(context, stream_id).*Timeout).load();
}

}  // namespace

std::vector<engine::ImportFunction> tcp_functions() {
  constexpr ImportName m{"lunatic::networking"};
  using net::TcpStream;
  return {
      host_function<&tcp_bind, m, "tcp_bind">(),
      host_function<&drop_tcp_listener, m, "drop_tcp_listener">(),
      host_function<&tcp_local_addr, m, "tcp_local_addr">(),
      host_function<&tcp_accept, m, "tcp_accept">(),
      host_function<&tcp_connect, m, "tcp_connect">(),
      host_function<&drop_tcp_stream, m, "drop_tcp_stream">(),
      host_function<&clone_tcp_stream, m, "clone_tcp_stream">(),
      host_function<&tcp_peer_addr, m, "tcp_peer_addr">(),
      host_function<&tcp_write_vectored, m, "tcp_write_vectored">(),
      host_function<&tcp_read, m, "tcp_read">(),
      host_function<&tcp_peek, m, "tcp_peek">(),
      host_function<&tcp_flush, m, "tcp_flush">(),
      host_function<&set_timeout<&TcpStream::read_timeout_ms>, m, "set_read_timeout">(),
      host_function<&set_timeout<&TcpStream::write_timeout_ms>, m, "set_write_timeout">(),
      host_function<&set_timeout<&TcpStream::peek_timeout_ms>, m, "set_peek_timeout">(),
      host_function<&get_timeout<&TcpStream::read_timeout_ms>, m, "get_read_timeout">(),
      host_function<&get_timeout<&TcpStream::write_timeout_ms>, m, "get_write_timeout">(),
      host_function<&get_timeout<&TcpStream::peek_timeout_ms>, m, "get_peek_timeout">(),
  };
}

}  // namespace lunatic::host
