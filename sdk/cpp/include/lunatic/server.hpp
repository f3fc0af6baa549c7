// A server: a process that owns a state and serves messages and requests one at a time, as
// Lunatic's AbstractProcess (and Erlang's gen_server) do. The state is a user class:
//
//   struct Counter {
//     using Arg = int;                         // what start() passes to init
//     using Message = Add;                     // optional: fire-and-forget messages
//     using Request = Get;                     // optional, with Response: request/reply
//     using Response = int;
//     static Counter init(int start);          // or Result<Counter>: an Error fails start()
//     void handle_message(const Add&);
//     int handle_request(const Get&);
//     void terminate();                        // optional: runs on stop()
//     void handle_link_died(lunatic::Tag);     // optional: then linked failures do not kill it
//     static constexpr const char* kUpgradeKind = "counter";  // optional: hot upgrade, see
//   };                                                        // lunatic/upgrade.hpp
//   auto counter = lunatic::start_server<Counter>(5).value();
//   counter.send(Add{2});
//   int now = counter.request(Get{}, 100ms).value();
//
// start_server returns once init has run. A message whose bytes do not decode is logged on
// stderr and dropped: a bad sender cannot take a server down.
#pragma once

#include <lunatic/abi.h>

#include <cstdio>
#include <cstdlib>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/detail/upgrade_registry.hpp>
#include <lunatic/mailbox.hpp>
#include <lunatic/process.hpp>
#include <lunatic/request.hpp>
#include <lunatic/result.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace lunatic {

namespace detail {

template <class Impl>
concept HasMessage = requires {
  typename Impl::Message;
};
template <class Impl>
concept HasRequest = requires {
  typename Impl::Request;
  typename Impl::Response;
};

template <class Impl>
struct ServerTypes {
  using Message = std::monostate;
  using Request = std::monostate;
  using Response = std::monostate;
};
template <class Impl>
requires HasMessage<Impl> &&(!HasRequest<Impl>)struct ServerTypes<Impl> {
  using Message = typename Impl::Message;
  using Request = std::monostate;
  using Response = std::monostate;
};
template <class Impl>
requires HasRequest<Impl> &&(!HasMessage<Impl>)struct ServerTypes<Impl> {
  using Message = std::monostate;
  using Request = typename Impl::Request;
  using Response = typename Impl::Response;
};
template <class Impl>
requires HasMessage<Impl> && HasRequest<Impl>
struct ServerTypes<Impl> {
  using Message = typename Impl::Message;
  using Request = typename Impl::Request;
  using Response = typename Impl::Response;
};

template <class Request>
struct ServerCall {
  ProcessId from;
  Tag reply_tag = 0;
  Request body;
};
struct ServerStop {
  ProcessId from;
  Tag reply_tag = 0;
};

// Everything a server's mailbox receives.
template <class Impl>
using ServerEnvelope = std::variant<typename ServerTypes<Impl>::Message,
                                    ServerCall<typename ServerTypes<Impl>::Request>, ServerStop>;

template <class Impl>
struct ServerStart {
  ProcessId parent;
  Tag ack_tag = 0;
  typename Impl::Arg arg;
};

// init's answer to start_server: empty when it succeeded, else the reason.
using InitAck = std::optional<std::string>;

template <class Impl>
Result<Impl> run_init(typename Impl::Arg&& arg) {
  if constexpr (std::is_same_v<decltype(Impl::init(std::move(arg))), Result<Impl>>) {
    return Impl::init(std::move(arg));
  } else {
    return Result<Impl>(Impl::init(std::move(arg)));
  }
}

// Serves messages and requests with `state` until a stop. A state type that declares
// kUpgradeKind can hand itself over to a new version of the code (lunatic/upgrade.hpp).
template <class Impl>
void serve(Impl& state, Mailbox<ServerEnvelope<Impl>> mailbox) {
  constexpr bool kTrapsLinks = requires(Impl & impl) { impl.handle_link_died(Tag{}); };
  if constexpr (requires { Impl::kUpgradeKind; }) upgrade::hand_over(Impl::kUpgradeKind, state);
  for (;;) {
    Result<Event<ServerEnvelope<Impl>>> event = mailbox.receive_event();
    if (!event) {
      std::fprintf(stderr, "lunatic: server %llu dropped a message: %s\n",
                   static_cast<unsigned long long>(lunatic_process_id()),
                   event.error().message.c_str());
      continue;
    }
    if (auto* link = std::get_if<1>(&*event)) {
      if constexpr (kTrapsLinks) state.handle_link_died(link->tag);
      continue;
    }
    if (std::get_if<2>(&*event)) continue;  // a monitor's signal the state did not ask for
    auto& envelope = std::get<0>(*event);
    if (auto* message = std::get_if<0>(&envelope)) {
      if constexpr (HasMessage<Impl>) state.handle_message(*message);
    } else if (auto* call = std::get_if<1>(&envelope)) {
      if constexpr (HasRequest<Impl>) {
        send_value(call->from.value, call->reply_tag, state.handle_request(call->body));
      }
    } else {
      const ServerStop& stop = std::get<2>(envelope);
      if constexpr (requires { state.terminate(); }) state.terminate();
      send_value(stop.from.value, stop.reply_tag, true);
      return;
    }
  }
}

template <class Impl>
void server_main(ServerStart<Impl> start, Mailbox<ServerEnvelope<Impl>> mailbox) {
  constexpr bool kTrapsLinks = requires(Impl & impl) { impl.handle_link_died(Tag{}); };
  if constexpr (kTrapsLinks) die_when_link_dies(false);
  Result<Impl> initialized = run_init<Impl>(std::move(start.arg));
  if (!initialized) {
    send_value(start.parent.value, start.ack_tag, InitAck(initialized.error().message));
    std::fprintf(stderr, "lunatic: server init failed: %s\n", initialized.error().message.c_str());
    std::_Exit(1);  // a failure: links hear it
  }
  send_value(start.parent.value, start.ack_tag, InitAck());
  serve(initialized.value(), mailbox);
}

}  // namespace detail

// A handle to a running server of state type Impl.
template <class Impl>
class ServerRef {
  using Types = detail::ServerTypes<Impl>;
  using Envelope = detail::ServerEnvelope<Impl>;

 public:
  ServerRef() = default;
  explicit ServerRef(Process<Envelope> process) : process_(process) {}
  explicit ServerRef(ProcessId id) : process_(id) {}

  ProcessId id() const { return process_.id(); }
  const Process<Envelope>& process() const { return process_; }
  bool alive() const { return process_.alive(); }

  void send(const typename Types::Message& message) const requires detail::HasMessage<Impl> {
    process_.send(Envelope(std::in_place_index<0>, message));
  }

  Result<typename Types::Response> request(
      const typename Types::Request& body,
      Milliseconds timeout) const requires detail::HasRequest<Impl> {
    const Tag tag = detail::next_reply_tag();
    detail::build_message(
        0, Envelope(std::in_place_index<1>,
                    detail::ServerCall<typename Types::Request>{this_process_id(), tag, body}));
    return detail::send_and_await_reply<typename Types::Response>(id(), tag, timeout);
  }

  // Runs terminate() in the server and waits until it has ended.
  Result<void> stop(Milliseconds timeout) const {
    const Tag tag = detail::next_reply_tag();
    detail::build_message(
        0, Envelope(std::in_place_index<2>, detail::ServerStop{this_process_id(), tag}));
    Result<bool> done = detail::send_and_await_reply<bool>(id(), tag, timeout);
    if (!done) return done.error();
    return {};
  }

  static std::optional<ServerRef> lookup(std::string_view name) {
    auto process = Process<Envelope>::lookup(name);
    if (!process) return std::nullopt;
    return ServerRef(*process);
  }

 private:
  Process<Envelope> process_;
};

struct ServerOptions {
  // Register the server under this name. If a live process already holds the name, start_server
  // returns it instead of starting another (atomically, through get_or_spawn).
  std::optional<std::string> name;
  std::optional<Tag> link;  // link to the caller with this (non-zero) tag
  const Config* config = nullptr;
  Milliseconds init_timeout{5000};
};

namespace detail {

template <class Impl>
Result<ProcessId> spawn_server(const ServerOptions& options, bool& spawned) {
  Launcher launcher = &launch_with_argument<ServerEnvelope<Impl>, ServerStart<Impl>>;
  const std::int32_t entry = table_index(&server_main<Impl>);
  spawned = true;
  if (!options.name) {
    return spawn_entry(launcher, entry, SpawnOptions{options.link, options.config});
  }
  const EntryCall call(launcher, entry);
  const std::string& name = *options.name;
  for (;;) {
    std::uint64_t node = 0;
    std::uint64_t id = 0;
    const std::uint32_t status = lunatic_get_or_spawn(
        address(name.data()), static_cast<std::uint32_t>(name.size()), options.link.value_or(0),
        Config::id_of(options.config), -1, call.name(), call.name_size(), call.records(),
        call.records_size(), address(&node), address(&id));
    if (status == 0) return ProcessId{id};
    if (status != 2) return Error{ErrorKind::kHost, take_host_error(id)};
    if (lunatic_exists(id) == 1) {
      spawned = false;
      return ProcessId{id};
    }
    // The name outlived its process (Lunatic never expires names): free it and try again.
    unregister(name);
  }
}

// Waits for init's answer, noticing a server that died before giving one.
inline Result<void> await_init(ProcessId server, Tag tag, Milliseconds timeout) {
  const Tag tags[] = {tag};
  constexpr std::int64_t kPollMillis = 10;
  for (std::int64_t waited = 0;; waited += kPollMillis) {
    if (lunatic_message_receive(address(tags), 1, kPollMillis) == LUNATIC_MESSAGE_DATA) {
      Result<InitAck> ack = read_message<InitAck>();
      if (!ack) return ack.error();
      if (*ack) return Error{ErrorKind::kHost, "init failed: " + **ack};
      return {};
    }
    if (lunatic_exists(server.value) != 1) {
      return Error{ErrorKind::kNoProcess, "the server died in init"};
    }
    if (waited >= timeout.count()) return Error{ErrorKind::kTimeout, "init did not finish in time"};
  }
}

}  // namespace detail

template <class Impl>
Result<ServerRef<Impl>> start_server(typename Impl::Arg arg, const ServerOptions& options = {}) {
  bool spawned = false;
  Result<ProcessId> id = detail::spawn_server<Impl>(options, spawned);
  if (!id) return id.error();
  ServerRef<Impl> server(*id);
  if (!spawned) return server;
  const Tag ack_tag = detail::next_reply_tag();
  detail::send_value(id->value, detail::kSpawnArgumentTag,
                     detail::ServerStart<Impl>{this_process_id(), ack_tag, std::move(arg)});
  Result<void> ready = detail::await_init(*id, ack_tag, options.init_timeout);
  if (!ready) return ready.error();
  return server;
}

}  // namespace lunatic
