// lunatic::message: building, sending and receiving messages, as Lunatic 0.13 defines them.
// A process works on one message at a time, in its scratch area (HostContext::scratch).
#include "host/message_api.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include "cluster/process_id.hpp"
#include "common/byte_size.hpp"
#include "host/code_change.hpp"
#include "host/distributed_node.hpp"
#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "host/return_codes.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

// The failures are out of line, so that the checks inline into every message call.
[[noreturn, gnu::noinline, gnu::cold]] void fail_no_scratch() {
  fail("no message in the scratch area");
}

[[noreturn, gnu::noinline, gnu::cold]] void fail_signal_scratch() {
  fail("the message in the scratch area is a signal, not data");
}

runtime::Message& scratch_of(HostContext& context) {
  if (!context.scratch) [[unlikely]]
    fail_no_scratch();
  return *context.scratch;
}

runtime::Message& data_scratch_of(HostContext& context) {
  runtime::Message& message = scratch_of(context);
  if (message.kind != runtime::Message::Kind::kData) [[unlikely]]
    fail_signal_scratch();
  return message;
}

// Counts the scratch message's memory against the calling process's budget, as guest memory.
// Traps: the budget refuses (the message would pass a guest memory limit).
void hold_message(HostContext& context, runtime::Message& message, std::size_t capacity) {
  // In a conversation the message is reused with the same size and budget: hold() then costs
  // no atomic operation.
  const std::uint64_t bytes = capacity + sizeof(runtime::Message);
  if (auto held = message.charge.hold(context.budget, bytes, privilege_of(context)); !held)
      [[unlikely]] {
    fail(fmt::format("a message of {}: {}", human_bytes(bytes), held.error().message));
  }
}

// create_data(tag: i64, capacity: i64): replaces the scratch message with an empty one.
void create_data(HostContext& context, std::uint64_t tag, std::uint64_t capacity) {
  // The message just received is usually done with: it becomes the new one, buffer and all,
  // which saves an allocation and a free per message in request/reply loops. A large buffer
  // is not kept, so one big message does not pin its memory.
  constexpr std::size_t kKeptCapacity = 64 * 1024;
  std::unique_ptr<runtime::Message>& message = context.scratch;
  if (message && message->data.capacity() <= kKeptCapacity) {
    message->kind = runtime::Message::Kind::kData;
    message->process_id = 0;
    message->data.clear();
    message->read_position = 0;
    message->resources.clear();
  } else {
    message = std::make_unique<runtime::Message>();
  }
  message->tag = static_cast<std::int64_t>(tag);
  message->data.reserve(std::min<std::uint64_t>(capacity, 1 << 20));  // only a hint
  hold_message(context, *message, message->data.capacity());
}

// A large copy goes in pieces of this size, each counted against the caller's time slice.
constexpr std::size_t kCopyPiece = 4u << 20;

// write_data(ptr: i32, len: i32) -> i32: appends to the buffer; returns len.
std::uint32_t write_data(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  runtime::Message& message = data_scratch_of(context);
  auto bytes = context.memory().try_bytes(ptr, len);
  if (!bytes) fail("buffer out of bounds");
  // Room for all of it, counted before it is allocated (and at once: growing piece by piece
  // would copy the buffer again and again).
  const std::size_t needed = message.data.size() + bytes->size();
  if (message.data.capacity() < needed) [[unlikely]] {
    const std::size_t capacity = std::max(needed, 2 * message.data.capacity());
    hold_message(context, message, capacity);
    message.data.reserve(capacity);
  }
  if (bytes->size() < runtime::kSliceChargeBytes) [[likely]] {
    message.data.insert(message.data.end(), bytes->begin(), bytes->end());
    return len;
  }
  // The span and the scratch message stay valid while this process is suspended between
  // pieces: only it could grow its memory or replace its scratch message.
  for (std::size_t done = 0; done < bytes->size(); done += kCopyPiece) {
    const auto piece = bytes->subspan(done, std::min(kCopyPiece, bytes->size() - done));
    message.data.insert(message.data.end(), piece.begin(), piece.end());
    runtime::charge_transfer(context.blocking, piece.size());
  }
  return len;
}

// read_data(ptr: i32, len: i32) -> i32: copies from the read position; returns the bytes read.
// Traps: the position was sought past the end.
std::uint32_t read_data(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  runtime::Message& message = data_scratch_of(context);
  auto bytes = context.memory().try_bytes(ptr, len);
  if (!bytes) fail("buffer out of bounds");
  if (message.read_position > message.data.size()) {
    fail("reading outside the message buffer");
  }
  const std::size_t available = message.data.size() - message.read_position;
  const std::size_t count = std::min<std::size_t>(available, len);
  for (std::size_t done = 0; done < count; done += kCopyPiece) {  // as write_data
    const std::size_t piece = std::min(kCopyPiece, count - done);
    std::memcpy(bytes->data() + done, message.data.data() + message.read_position, piece);
    message.read_position += piece;
    runtime::charge_transfer(context.blocking, piece);
  }
  return static_cast<std::uint32_t>(count);
}

void seek_data(HostContext& context, std::uint64_t index) {
  data_scratch_of(context).read_position = static_cast<std::size_t>(index);
}

std::uint64_t get_tag(HostContext& context) {
  return static_cast<std::uint64_t>(scratch_of(context).tag);
}

std::uint64_t get_process_id(HostContext& context) {
  const runtime::Message& message = scratch_of(context);
  return message.kind == runtime::Message::Kind::kProcessDied ? message.process_id : 0;
}

// Beyond Lunatic: why the linked process of a link-died message ended (docs/abi.md).
std::uint32_t link_died_reason(HostContext& context) {
  const runtime::Message& message = scratch_of(context);
  if (message.kind != runtime::Message::Kind::kLinkDied) return 0;
  switch (message.link_reason) {
    case runtime::DeathReason::kNoProcess:
      return 2;
    case runtime::DeathReason::kNodeDown:
      return 3;
    case runtime::DeathReason::kNormal:
    case runtime::DeathReason::kFailure:
      break;
  }
  return 1;
}

std::uint64_t data_size(HostContext& context) { return data_scratch_of(context).data.size(); }

// push_module(id: i64) -> i64: the module goes with the message (the process keeps it too);
// returns its index in the message.
std::uint64_t push_module(HostContext& context, std::uint64_t module_id) {
  auto* module = context.modules.get(module_id);
  if (module == nullptr) fail(fmt::format("module id {} does not exist", module_id));
  runtime::Message& message = data_scratch_of(context);
  message.resources.emplace_back(*module);
  return message.resources.size() - 1;
}

// push_tcp_stream / push_udp_socket(id: i64) -> i64: the resource leaves the process and goes
// with the message; returns its index in it.
template <class T>
std::uint64_t push_resource(HostContext& context, ResourceTable<std::shared_ptr<T>>& table,
                            std::uint64_t id, const char* what) {
  runtime::Message& message = data_scratch_of(context);
  auto resource = table.remove(id);
  if (!resource) fail(fmt::format("{} id {} does not exist", what, id));
  message.resources.emplace_back(std::move(*resource));
  return message.resources.size() - 1;
}

// take_*(index: i64) -> i64: moves the resource at `index` of the message in the scratch area
// into the process's resources and returns its new id. Traps: no such index, taken already, or
// a resource of another kind there.
template <class T>
T take_resource(HostContext& context, std::uint64_t index, const char* what) {
  runtime::Message& message = data_scratch_of(context);
  if (index >= message.resources.size() || !message.resources[index]) {
    fail(fmt::format("no resource at index {}", index));
  }
  T* resource = std::get_if<T>(&*message.resources[index]);
  if (resource == nullptr) fail(fmt::format("the resource at index {} is not a {}", index, what));
  T taken = std::move(*resource);
  message.resources[index].reset();
  return taken;
}

std::uint64_t take_module(HostContext& context, std::uint64_t index) {
  return context.modules.add(
      take_resource<std::shared_ptr<const engine::Module>>(context, index, "module"));
}

std::uint64_t push_tcp_stream(HostContext& context, std::uint64_t id) {
  return push_resource(context, context.tcp_streams, id, "tcp stream");
}
std::uint64_t take_tcp_stream(HostContext& context, std::uint64_t index) {
  return context.tcp_streams.add(
      take_resource<std::shared_ptr<net::TcpStream>>(context, index, "tcp stream"));
}
std::uint64_t push_udp_socket(HostContext& context, std::uint64_t id) {
  return push_resource(context, context.udp_sockets, id, "udp socket");
}
std::uint64_t take_udp_socket(HostContext& context, std::uint64_t index) {
  return context.udp_sockets.add(
      take_resource<std::shared_ptr<net::UdpSocket>>(context, index, "udp socket"));
}
std::uint64_t push_tls_stream(HostContext& context, std::uint64_t id) {
  return push_resource(context, context.tls_streams, id, "tls stream");
}
std::uint64_t take_tls_stream(HostContext& context, std::uint64_t index) {
  return context.tls_streams.add(
      take_resource<std::shared_ptr<net::TlsStream>>(context, index, "tls stream"));
}

// Returns: true, or false when the receiver's mailbox is full and the message was dropped.
bool deliver(HostContext& context, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (!context.scratch) fail("no message to send");
  std::unique_ptr<runtime::Message> message = std::move(context.scratch);
  if (DistributedNode* node = environment.distributed(); node && node->is_remote(process_id)) {
    // An id of another node's process: sent there. As for a local one, a process that does
    // not exist is not the sender's error here.
    if (!message->resources.empty()) fail("cannot send resources to a process of another node");
    node->send(cluster::node_of(process_id), context.process->id(), process_id, *message);
    return true;
  }
  std::shared_ptr<runtime::Process>& receiver = context.last_receiver;
  if (receiver == nullptr || receiver->id() != process_id) {
    receiver = environment.scheduler().find(process_id);
  }
  if (receiver == nullptr) return true;
  switch (receiver->send(std::move(message))) {
    case runtime::Process::Delivery::kQueued:
      return true;
    case runtime::Process::Delivery::kDead:
      break;  // dropped, as Lunatic drops it
    case runtime::Process::Delivery::kMailboxFull:
      return false;
  }
  receiver.reset();
  return true;
}

// send(process: i64) -> i32: queues the scratch message at the process; 0 (delivery to a
// process that does not exist or has died is silently dropped, as in Lunatic). Beyond Lunatic:
// 2 when the receiver's mailbox is at its config's limit; the message is dropped.
std::uint32_t send(HostContext& context, std::uint64_t process_id) {
  return deliver(context, process_id) ? kOk : kMailboxFull;
}

std::uint32_t receive_into_scratch(HostContext& context, std::span<const std::int64_t> tags,
                                   std::uint64_t timeout_ms, std::size_t skip) {
  const auto deadline = deadline_after(timeout_ms);
  // A receive that accepts any message is a message boundary: a code upgrade asked for comes
  // first (and, when it succeeds, never returns here: the new code goes on).
  const bool boundary = tags.empty() && skip == 0;
  bool upgrade_due = false;
  auto message = context.process->receive(tags, deadline, skip, boundary ? &upgrade_due : nullptr);
  while (upgrade_due) [[unlikely]] {
      run_pending_upgrade(context);
      upgrade_due = false;
      message = context.process->receive(tags, deadline, skip, &upgrade_due);
    }
  if (!message) return kTimedOut;
  const auto kind = static_cast<std::uint32_t>(message->kind);
  context.scratch = std::move(message);
  return kind;
}

// send_receive_skip_search(process: i64, tag: i64, timeout_ms: i64) -> i32: sends, then waits
// for a reply with `tag` among messages that arrive after the send. 0, or 9027 on timeout;
// beyond Lunatic, 2 at once when the receiver's mailbox is full (nothing was sent).
std::uint32_t send_receive_skip_search(HostContext& context, std::uint64_t process_id,
                                       std::uint64_t tag, std::uint64_t timeout_ms) {
  // Counted before the send: the reply may arrive before this process waits for it.
  const std::size_t queued_before = context.process->mailbox_size();
  if (!deliver(context, process_id)) return kMailboxFull;
  const std::int64_t tags[1] = {static_cast<std::int64_t>(tag)};
  const std::uint32_t result = receive_into_scratch(context, tags, timeout_ms, queued_before);
  return result == kTimedOut ? kTimedOut : kOk;
}

// receive(tags: i32, tags_len: i32, timeout_ms: i64) -> i32: 0 data, 1 link died,
// 2 process died, 9027 timed out. Traps: the tag array out of bounds.
std::uint32_t receive(HostContext& context, std::uint32_t tags_ptr, std::uint32_t tags_len,
                      std::uint64_t timeout_ms) {
  environment_of(context);
  if (tags_len == 0) return receive_into_scratch(context, {}, timeout_ms, /*skip=*/0);
  auto bytes = context.memory().try_bytes(tags_ptr, std::uint64_t{tags_len} * 8);
  if (!bytes) fail("tags out of bounds");
  // A copy: the guest may change its array while this process waits.
  std::vector<std::int64_t> tags(tags_len);
  std::memcpy(tags.data(), bytes->data(), bytes->size());
  return receive_into_scratch(context, tags, timeout_ms, /*skip=*/0);
}

}  // namespace

std::uint32_t receive_reply(HostContext& context, std::int64_t tag, std::uint64_t timeout_ms,
                            std::size_t skip) {
  const std::int64_t tags[1] = {tag};
  return receive_into_scratch(context, tags, timeout_ms, skip) == kTimedOut ? kTimedOut : kOk;
}

std::uint32_t distributed_send_receive(HostContext& context, std::uint64_t process_id,
                                       std::uint64_t tag, std::uint64_t timeout_ms) {
  return send_receive_skip_search(context, process_id, tag, timeout_ms);
}

std::vector<engine::ImportFunction> message_functions() {
  constexpr ImportName m{"lunatic::message"};
  return {
      host_function<&create_data, m, "create_data">(),
      host_function<&write_data, m, "write_data">(),
      host_function<&read_data, m, "read_data">(),
      host_function<&seek_data, m, "seek_data">(),
      host_function<&get_tag, m, "get_tag">(),
      host_function<&get_process_id, m, "get_process_id">(),
      host_function<&link_died_reason, m, "link_died_reason">(),
      host_function<&data_size, m, "data_size">(),
      host_function<&push_module, m, "push_module">(),
      host_function<&take_module, m, "take_module">(),
      host_function<&push_tcp_stream, m, "push_tcp_stream">(),
      host_function<&take_tcp_stream, m, "take_tcp_stream">(),
      host_function<&push_udp_socket, m, "push_udp_socket">(),
      host_function<&take_udp_socket, m, "take_udp_socket">(),
      host_function<&push_tls_stream, m, "push_tls_stream">(),
      host_function<&take_tls_stream, m, "take_tls_stream">(),
      host_function<&send, m, "send">(),
      host_function<&send_receive_skip_search, m, "send_receive_skip_search">(),
      host_function<&receive, m, "receive">(),
  };
}

}  // namespace lunatic::host
