// Processes: typed handles (Process<Msg>), spawning a function with an argument, links,
// monitors, kill, timers and the registry.
//
// spawn(entry, argument) starts a new instance of this module at the export `lunatic_sdk_entry`
// with two table indices: a launcher instantiated for the entry's types, and the entry itself.
// The argument follows as the child's first message (tag kSpawnArgumentTag), as Lunatic's Rust
// library sends it, so any MessagePack-encodable value can be passed.
#pragma once

#include <lunatic/abi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <lunatic/config.hpp>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/msgpack.hpp>
#include <lunatic/result.hpp>
#include <optional>
#include <string_view>

namespace lunatic {

using Tag = std::int64_t;
using Milliseconds = std::chrono::milliseconds;

struct ProcessId {
  std::uint64_t value = 0;
  friend bool operator==(ProcessId, ProcessId) = default;
};

inline ProcessId this_process_id() { return ProcessId{lunatic_process_id()}; }

namespace detail {
// A duration as the ABI's milliseconds (negative: 0), and an optional one with none as u64::MAX.
inline std::uint64_t milliseconds(Milliseconds duration) {
  return static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count());
}
inline std::uint64_t timeout_ms(std::optional<Milliseconds> timeout) {
  return timeout ? milliseconds(*timeout) : LUNATIC_NO_TIMEOUT;
}
}  // namespace detail

inline void sleep(Milliseconds duration) { lunatic_sleep_ms(detail::milliseconds(duration)); }

// With `trap` false, a linked process's failure arrives as a LinkDied event instead of killing
// this process too (Lunatic's die_when_link_dies).
inline void die_when_link_dies(bool trap) { lunatic_die_when_link_dies(trap ? 1 : 0); }

// A pending delayed message (Process::send_after).
class Timer {
 public:
  explicit Timer(std::uint64_t id) : id_(id) {}
  // True when the timer was pending and now never fires.
  bool cancel() const { return lunatic_cancel_timer(id_) == 1; }
  std::uint64_t id() const { return id_; }

 private:
  std::uint64_t id_;
};

template <class Msg>
class Mailbox;

// A process that accepts messages of type Msg. A plain value: copying it copies the id.
template <class Msg>
class Process {
 public:
  Process() = default;
  explicit Process(ProcessId id) : id_(id) {}

  ProcessId id() const { return id_; }
  friend bool operator==(const Process& a, const Process& b) { return a.id_ == b.id_; }

  // A message to a process that has died is dropped, as in Lunatic.
  LUNATIC_INLINE void send(const Msg& message) const { detail::send_value(id_.value, 0, message); }
  void send_tagged(const Msg& message, Tag tag) const {
    detail::send_value(id_.value, tag, message);
  }
  Timer send_after(const Msg& message, Milliseconds delay, Tag tag = 0) const {
    detail::build_message(tag, message);
    return Timer(lunatic_send_after(id_.value, static_cast<std::uint64_t>(delay.count())));
  }

  // Both ways. A link to a process that is already dead acts at once as its failure.
  void link(Tag tag = 0) const { lunatic_link(tag, id_.value); }
  void unlink() const { lunatic_unlink(id_.value); }
  // Every death of the process (normal or not) arrives as a ProcessDied event.
  void monitor() const { lunatic_monitor(id_.value); }
  void stop_monitoring() const { lunatic_stop_monitoring(id_.value); }
  void kill() const { lunatic_kill(id_.value); }
  bool alive() const { return lunatic_exists(id_.value) == 1; }

  // Registers this process under `name` (replacing any process registered there).
  void register_as(std::string_view name) const {
    lunatic_registry_put(detail::address(name.data()), static_cast<std::uint32_t>(name.size()), 0,
                         id_.value);
  }
  static std::optional<Process> lookup(std::string_view name) {
    std::uint64_t node = 0;
    std::uint64_t id = 0;
    if (lunatic_registry_get(detail::address(name.data()), static_cast<std::uint32_t>(name.size()),
                             detail::address(&node), detail::address(&id)) != 0) {
      return std::nullopt;
    }
    return Process(ProcessId{id});
  }

 private:
  ProcessId id_;
};

inline void unregister(std::string_view name) {
  lunatic_registry_remove(detail::address(name.data()), static_cast<std::uint32_t>(name.size()));
}

// How a process is spawned. `link`: link to the parent with this tag (non-zero) before the child
// runs. `config`: the config the child gets (nullptr: the parent's).
struct SpawnOptions {
  std::optional<Tag> link;
  const Config* config = nullptr;
};

namespace detail {

// stdout line-buffered in every process of a program that uses the SDK (as Rust's stdout is), so
// lines of different processes interleave whole and none waits in a buffer when the main process
// ends the program. A dynamic initializer: it runs when each instance starts.
inline const bool kStdoutLineBuffered = std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ) == 0;

// A unique non-zero link tag for spawn_link.
inline Tag next_link_tag() {
  static Tag next = 0x4C554E0200000000;
  return next++;
}

using Launcher = void (*)(std::int32_t entry);

template <class T>
std::int32_t table_index(T* function) {
  return static_cast<std::int32_t>(reinterpret_cast<std::uintptr_t>(function));
}

template <class Msg>
void launch_without_argument(std::int32_t entry) {
  auto* function = reinterpret_cast<void (*)(Mailbox<Msg>)>(static_cast<std::uintptr_t>(entry));
  function(Mailbox<Msg>());
}

template <class Msg, class Arg>
void launch_with_argument(std::int32_t entry) {
  const std::int64_t tags[] = {kSpawnArgumentTag};
  lunatic_message_receive(address(tags), 1, LUNATIC_NO_TIMEOUT);
  Result<Arg> argument = read_message<Arg>();
  if (!argument) {
    std::fprintf(stderr, "lunatic: the spawn argument does not decode: %s\n",
                 argument.error().message.c_str());
    __builtin_trap();
  }
  auto* function =
      reinterpret_cast<void (*)(Arg, Mailbox<Msg>)>(static_cast<std::uintptr_t>(entry));
  function(std::move(argument).value(), Mailbox<Msg>());
}

// One 17-byte spawn parameter record: [type, 16-byte little-endian value].
inline void write_param(std::uint8_t* record, std::uint8_t type, std::int64_t value) {
  std::memset(record, 0, 17);
  record[0] = type;
  std::memcpy(record + 1, &value, sizeof value);  // wasm32 is little-endian
}

// The export and the two parameter records that start a process at `entry` through `launcher`:
// what spawn and get_or_spawn both pass.
struct EntryCall {
  static constexpr char kExport[] = "lunatic_sdk_entry";
  std::uint8_t params[2 * 17];

  EntryCall(Launcher launcher, std::int32_t entry) {
    write_param(params, LUNATIC_PARAM_I32, table_index(launcher));
    write_param(params + 17, LUNATIC_PARAM_I32, entry);
  }
  std::uint32_t name() const { return address(kExport); }
  static constexpr std::uint32_t name_size() { return sizeof kExport - 1; }
  std::uint32_t records() const { return address(params); }
  static constexpr std::uint32_t records_size() { return sizeof params; }
};

inline Result<ProcessId> spawn_entry(Launcher launcher, std::int32_t entry,
                                     const SpawnOptions& options) {
  const EntryCall call(launcher, entry);
  std::uint64_t id = 0;
  const std::uint32_t status =
      lunatic_spawn(options.link.value_or(0), Config::id_of(options.config), -1, call.name(),
                    call.name_size(), call.records(), call.records_size(), address(&id));
  if (status != 0) return Error{ErrorKind::kHost, take_host_error(id)};
  return ProcessId{id};
}

}  // namespace detail

// Spawns `entry(argument, mailbox)` in a new process.
template <class Msg, class Arg>
Result<Process<Msg>> spawn(void (*entry)(Arg, Mailbox<Msg>), const Arg& argument,
                           const SpawnOptions& options = {}) {
  Result<ProcessId> id = detail::spawn_entry(&detail::launch_with_argument<Msg, Arg>,
                                             detail::table_index(entry), options);
  if (!id) return id.error();
  detail::send_value(id->value, detail::kSpawnArgumentTag, argument);
  return Process<Msg>(*id);
}

// Spawns `entry(mailbox)` in a new process.
template <class Msg>
Result<Process<Msg>> spawn(void (*entry)(Mailbox<Msg>), const SpawnOptions& options = {}) {
  Result<ProcessId> id = detail::spawn_entry(&detail::launch_without_argument<Msg>,
                                             detail::table_index(entry), options);
  if (!id) return id.error();
  return Process<Msg>(*id);
}

// As spawn, linked to the caller with a fresh tag.
template <class Msg, class Arg>
Result<Process<Msg>> spawn_link(void (*entry)(Arg, Mailbox<Msg>), const Arg& argument) {
  return spawn(entry, argument, SpawnOptions{.link = detail::next_link_tag()});
}
template <class Msg>
Result<Process<Msg>> spawn_link(void (*entry)(Mailbox<Msg>)) {
  return spawn(entry, SpawnOptions{.link = detail::next_link_tag()});
}

// ProcessId and Process<Msg> travel in messages as their plain 64-bit id.
namespace msgpack {
template <>
struct Codec<ProcessId> {
  static void encode(Writer& writer, const ProcessId& id) { writer.unsigned_integer(id.value); }
  static Result<ProcessId> decode(Reader& reader) {
    Result<std::uint64_t> value = reader.unsigned_integer();
    if (!value) return value.error();
    return ProcessId{*value};
  }
};
template <class Msg>
struct Codec<Process<Msg>> {
  static void encode(Writer& writer, const Process<Msg>& process) {
    writer.unsigned_integer(process.id().value);
  }
  static Result<Process<Msg>> decode(Reader& reader) {
    Result<std::uint64_t> value = reader.unsigned_integer();
    if (!value) return value.error();
    return Process<Msg>(ProcessId{*value});
  }
};
}  // namespace msgpack

}  // namespace lunatic

// The one entry point of every process the SDK spawns (see the top of this file). Inline and
// `used`: each translation unit that includes this header emits it and the linker keeps one.
extern "C" inline __attribute__((export_name("lunatic_sdk_entry"), used)) void lunatic_sdk_entry(
    std::int32_t launcher, std::int32_t entry) {
  reinterpret_cast<lunatic::detail::Launcher>(static_cast<std::uintptr_t>(launcher))(entry);
}
