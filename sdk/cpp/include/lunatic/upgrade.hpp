// Hot code upgrade for C++ guests (docs/hot-upgrade.md): processes move to a new version of
// their module's code at a message boundary, keeping their id, mailbox, links and resources.
//
// Each version names itself once, in one source file of the module:
//   LUNATIC_CODE_VERSION("chat-v2");
// A Server whose state type declares `static constexpr const char* kUpgradeKind = "..."` hands
// its state (MessagePack of the type) over; the new version takes it over with
//   LUNATIC_UPGRADABLE_SERVER(State);
// where State may convert the old state with
//   static Result<State> code_change(std::string_view old_version,
//                                    std::span<const std::uint8_t> old_state);
// (without it, the old state must decode as State). Any other process says how it hands over
// with upgrade::on_save, and the new code takes it over with upgrade::add_takeover. A process
// that waits elsewhere than in a receive (a socket read) reaches a boundary with checkpoint().
//
// Including this header defines the module's three upgrade exports.
#pragma once

#include <lunatic/abi.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/detail/upgrade_registry.hpp>
#include <lunatic/module.hpp>
#include <lunatic/msgpack.hpp>
#include <lunatic/process.hpp>
#include <lunatic/server.hpp>
#include <lunatic/supervisor.hpp>
#include <optional>
#include <utility>

// This module's name for its version: what the next version's code_change gets as old_version.
extern "C" const char* lunatic_sdk_code_version();
#define LUNATIC_CODE_VERSION(name) \
  extern "C" const char* lunatic_sdk_code_version() { return name; }

namespace lunatic::upgrade {

// A message boundary for a process that waits elsewhere than in a receive: when an upgrade is
// asked for, the process moves to the new code here and this never returns. False when one was
// asked for and failed (the old code goes on).
inline bool checkpoint() { return lunatic_upgrade_checkpoint() == 0; }

struct Options {
  bool purge = false;    // kill processes still on the oldest version when this is a third
  bool restart = false;  // kill processes that cannot hand over, for their supervisors
  std::optional<Milliseconds> timeout = Milliseconds(10000);
};

struct Report {
  std::uint64_t upgraded = 0;
  std::uint64_t failed = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t restarted = 0;
  std::uint64_t purged = 0;
  std::string first_failure;  // why the first failed one kept its code
};

namespace detail {
inline std::uint32_t flags_of(const Options& options) {
  return (options.purge ? LUNATIC_UPGRADE_PURGE : 0u) |
         (options.restart ? LUNATIC_UPGRADE_RESTART : 0u);
}
}  // namespace detail

// Moves one process of this node to `to` and waits until it has. kNoProcess, kTimeout (it did
// not reach a message boundary in time; it keeps its code), or kHost with the reason.
inline Result<void> upgrade_process(ProcessId process, const Module& to,
                                    const Options& options = {}) {
  std::uint64_t error = 0;
  const std::uint32_t status = lunatic_upgrade_process(
      process.value, to.id(), detail::flags_of(options),
      lunatic::detail::timeout_ms(options.timeout), lunatic::detail::address(&error));
  if (status == 0) return {};
  if (status == 1) return Error{ErrorKind::kNoProcess, "no such process"};
  if (status == 3) return Error{ErrorKind::kTimeout, "it did not reach a message boundary in time"};
  return Error{ErrorKind::kHost, lunatic::detail::take_host_error(error)};
}

// Moves every other process of this node that runs `from` (nullptr: this process's module) to
// `to`. An Error only when the upgrade was refused as a whole; partial results are a Report.
inline Result<Report> upgrade_module(const Module* from, const Module& to,
                                     const Options& options = {}) {
  std::uint64_t results[6] = {};
  const std::uint32_t status = lunatic_upgrade_module(
      from != nullptr ? from->id() : UINT64_MAX, to.id(), detail::flags_of(options),
      lunatic::detail::timeout_ms(options.timeout), lunatic::detail::address(results));
  std::string reason;
  if (results[5] != UINT64_MAX) reason = lunatic::detail::take_host_error(results[5]);
  if (status == 2) return Error{ErrorKind::kHost, reason};
  return Report{results[0], results[1], results[2], results[3], results[4], std::move(reason)};
}

// Moves a supervisor's children to `to` one at a time, in start order, each upgrade waiting for
// the one before (as Erlang's release handler goes through a supervision tree). Stops at the
// first child that keeps its old code; the Report says how far it got and why. Children that a
// `restart` kills are started again by the supervisor with its own start functions, from its
// own code.
inline Result<Report> upgrade_children(const Process<SupervisorRequest>& supervisor,
                                       const Module& to, const Options& options = {}) {
  Result<std::vector<ChildInfo>> children = supervisor_children(supervisor, Milliseconds(5000));
  if (!children) return children.error();
  Report report;
  for (const ChildInfo& child : *children) {
    Result<void> moved = upgrade_process(child.process, to, options);
    if (moved) {
      ++report.upgraded;  // or, with `restart`, killed for the supervisor to start again
      continue;
    }
    if (moved.error().kind == ErrorKind::kNoProcess) continue;  // ended: the supervisor's
    ++(moved.error().kind == ErrorKind::kTimeout ? report.timed_out : report.failed);
    report.first_failure = child.name + ": " + moved.error().message;
    break;
  }
  return report;
}

namespace detail {

// The envelope every SDK process hands over: its kind and its state.
using Envelope = std::pair<std::string, std::vector<std::uint8_t>>;

// Where a taken-over state waits between load and resume: on the heap, never destroyed (see
// upgrade_registry.hpp).
template <class State>
State*& kept_state() {
  static State* kept = nullptr;
  return kept;
}

template <class State>
Result<State> convert(std::string_view old_version, std::span<const std::uint8_t> state) {
  if constexpr (requires { State::code_change(old_version, state); }) {
    return State::code_change(old_version, state);
  } else {
    return msgpack::from_bytes<State>(state);
  }
}

}  // namespace detail

// This code takes over processes of `kind` whose state is a State (converted by
// State::code_change when it has one), and goes on as each with Resume(state).
template <class State, void (*Resume)(State&)>
Takeover takeover(const char* kind) {
  return Takeover{
      kind,
      [](std::string_view old_version, std::span<const std::uint8_t> state) -> Result<void> {
        Result<State> converted = detail::convert<State>(old_version, state);
        if (!converted) return converted.error();
        detail::kept_state<State>() = new State(std::move(converted).value());
        return {};
      },
      [] { Resume(*detail::kept_state<State>()); }};
}

namespace detail {

template <class State>
void resume_server(State& state) {
  lunatic::detail::serve<State>(state, Mailbox<lunatic::detail::ServerEnvelope<State>>());
}

// The takeover of a Server of State.
template <class State>
Takeover server_takeover() {
  static_assert(
      requires { State::kUpgradeKind; }, "LUNATIC_UPGRADABLE_SERVER needs State::kUpgradeKind");
  return takeover<State, &resume_server<State>>(State::kUpgradeKind);
}

}  // namespace detail
}  // namespace lunatic::upgrade

#define LUNATIC_UPGRADE_CONCAT2(a, b) a##b
#define LUNATIC_UPGRADE_CONCAT(a, b) LUNATIC_UPGRADE_CONCAT2(a, b)
// This version takes over the servers of State that older versions hand over.
#define LUNATIC_UPGRADABLE_SERVER(State)                                  \
  static const bool LUNATIC_UPGRADE_CONCAT(lunatic_takeover_, __LINE__) = \
      ::lunatic::upgrade::add_takeover(::lunatic::upgrade::detail::server_takeover<State>())

// ---- The exports (docs/abi.md, "lunatic::upgrade") ----

extern "C" inline __attribute__((export_name("lunatic_upgrade_save"), used)) std::int32_t
lunatic_upgrade_save() {
  auto& registry = lunatic::upgrade::detail::registry();
  if (!registry.save) return 1;  // this process's code gave no way to hand it over
  lunatic::upgrade::Handover handover = registry.save();
  const std::vector<std::uint8_t> bytes = lunatic::msgpack::to_bytes(
      lunatic::upgrade::detail::Envelope(std::move(handover.kind), std::move(handover.state)));
  const char* version = lunatic_sdk_code_version();
  return static_cast<std::int32_t>(lunatic_upgrade_save_state(
      lunatic::detail::address(version), static_cast<std::uint32_t>(std::strlen(version)),
      lunatic::detail::address(bytes.data()), static_cast<std::uint32_t>(bytes.size())));
}

extern "C" inline __attribute__((export_name("lunatic_upgrade_load"), used)) std::int32_t
lunatic_upgrade_load() {
  const std::int64_t state_size = lunatic_upgrade_state_size();
  const std::int64_t version_size = lunatic_upgrade_old_version_size();
  if (state_size < 0 || version_size < 0) return 1;
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(state_size));
  std::string version(static_cast<std::size_t>(version_size), '\0');
  lunatic_upgrade_read_state(lunatic::detail::address(bytes.data()));
  lunatic_upgrade_read_old_version(lunatic::detail::address(version.data()));
  auto envelope = lunatic::msgpack::from_bytes<lunatic::upgrade::detail::Envelope>(bytes);
  if (!envelope) {
    std::fprintf(stderr, "lunatic: upgrade: the state from %s does not decode: %s\n",
                 version.c_str(), envelope.error().message.c_str());
    return 2;
  }
  auto& registry = lunatic::upgrade::detail::registry();
  for (std::size_t i = 0; i < registry.takeovers.size(); ++i) {
    const lunatic::upgrade::Takeover& takeover = registry.takeovers[i];
    if (envelope->first != takeover.kind) continue;
    lunatic::Result<void> loaded = takeover.load(version, envelope->second);
    if (!loaded) {
      std::fprintf(stderr, "lunatic: upgrade: %s from %s refused: %s\n", takeover.kind,
                   version.c_str(), loaded.error().message.c_str());
      return 3;
    }
    registry.chosen = i;
    return 0;
  }
  std::fprintf(stderr, "lunatic: upgrade: this version takes over no process of kind %s\n",
               envelope->first.c_str());
  return 4;
}

extern "C" inline __attribute__((export_name("lunatic_upgrade_resume"), used)) void
lunatic_upgrade_resume() {
  auto& registry = lunatic::upgrade::detail::registry();
  registry.takeovers[registry.chosen].resume();
}
