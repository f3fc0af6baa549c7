// `lunatic run --trace`: what processes do, recorded as fixed-size events in a bounded ring
// (TraceRing) that keeps the newest ones, for host/chrome_trace_writer to turn into a file.
//
// Off by default: every hook in the runtime and the host is `if (auto* trace =
// trace_recorder())`, one load of a global pointer and a branch that is never taken. On, an
// event costs a clock read, one atomic add on the ring's counter and a 64-byte store.
//
// Messages are not numbered (a Message must not grow): a message in flight is known by its
// address, since it stays alive from the send until it is received, and the writer pairs a
// send with the next receive of that address in time order.
//
// Thread: every method may be called from any thread, at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/execution/trap.hpp"

namespace lunatic::runtime {

struct Message;

enum class TraceKind : std::uint8_t {
  kSpawn,  // process; peer: the parent (0: none); text: the function it runs
  kExit,   // process; detail: engine::TrapKind of its outcome; value: exit code; text: message
  kKill,   // process: the killed one; peer: the killer (0: the runtime); text: the reason
  // process: the sender (0: none); peer: the receiver; key, size, value (tag), detail
  // (Message::Kind): the message
  kSend,
  // process: the sender; peer: the receiver, on node `key`; size, value, detail: the message.
  // Its receive is in the other node's trace, so no flow starts here.
  kSendRemote,
  kReceive,  // process; key, size, value, detail: the message taken
  kRun,      // process: a slice of it begins on this thread
  kSuspend,  // process: its slice ends; detail: 1 when it parks (waits), 0 when it yields or ends
  kName,     // process; text: a name it was registered under
};

struct TraceEvent {
  std::int64_t ts_ns = 0;  // steady clock
  TraceKind kind = TraceKind::kRun;
  std::uint8_t detail = 0;
  std::uint32_t size = 0;  // bytes of a message's data (saturated)
  std::uint64_t process = 0;
  std::uint64_t peer = 0;
  std::uint64_t key = 0;   // a message's address, or a TraceStrings id
  std::int64_t value = 0;  // a message's tag, or an exit code
};
static_assert(sizeof(TraceEvent) == 48);

// A ring of the last `capacity` events pushed. A push takes a ticket (one atomic add) and
// writes its slot; a slot still being written by the push one lap before is waited for, which
// happens only when the ring is lapped during a write (tiny rings under contention).
class TraceRing {
 public:
  explicit TraceRing(std::size_t capacity);  // capacity >= 1
  TraceRing(const TraceRing&) = delete;
  TraceRing& operator=(const TraceRing&) = delete;

  void push(const TraceEvent& event) noexcept;
  // The events retained, oldest first (in the order their pushes took tickets). A slot that is
  // being rewritten meanwhile is left out.
  std::vector<TraceEvent> snapshot() const;
  std::uint64_t pushed() const { return next_.load(std::memory_order_acquire); }
  std::size_t capacity() const { return capacity_; }

 private:
  static constexpr std::size_t kWords = sizeof(TraceEvent) / 8;
  // A slot is written by the push holding ticket t: sequence 2t+1 while it writes, 2t+2 after.
  struct alignas(64) Slot {
    std::uint64_t sequence;
    std::uint64_t words[kWords];
  };
  struct Unmap {
    std::size_t bytes;
    void operator()(Slot* slots) const;
  };

  std::size_t capacity_;
  // Its own mapping: a large ring's pages are not touched until events reach them.
  std::unique_ptr<Slot[], Unmap> slots_;
  alignas(64) std::atomic<std::uint64_t> next_{0};
};

// The texts events refer to (function names, exit and kill reasons, registered names), kept
// once each. Bounded, since guests choose them: at most kMaxStrings texts of kMaxLength bytes;
// later new ones all read kOverflow.
class TraceStrings {
 public:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kOverflow = 1;
  static constexpr std::size_t kMaxStrings = 65536;
  static constexpr std::size_t kMaxLength = 256;

  TraceStrings();
  std::uint32_t intern(std::string_view text);
  // Every text by id (a copy: interning may go on meanwhile).
  std::vector<std::string> all() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> texts_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};

class TraceRecorder {
 public:
  explicit TraceRecorder(std::size_t capacity) : ring_(capacity) {}

  // The recorder hooks report to, or nullptr: tracing is off. Installed before the runtime's
  // threads start and removed after they stopped.
  static void install(TraceRecorder* recorder) {
    g_installed.store(recorder, std::memory_order_release);
  }

  void spawned(std::uint64_t child, std::uint64_t parent, std::string_view function);
  void exited(std::uint64_t process, engine::TrapKind outcome, std::int64_t exit_code,
              std::string_view message);
  void killed(std::uint64_t process, std::uint64_t killer, std::string_view reason);
  // Before the message is handed over: from then on the receiver may take and free it.
  void sent(std::uint64_t from, std::uint64_t to, const Message& message);
  void sent_remote(std::uint64_t from, std::uint64_t node, std::uint64_t to,
                   const Message& message);
  void received(std::uint64_t process, const Message& message);
  void slice_began(std::uint64_t process);
  void slice_ended(std::uint64_t process, bool parked);
  void named(std::uint64_t process, std::string_view name);

  const TraceRing& ring() const { return ring_; }
  const TraceStrings& strings() const { return strings_; }

  static std::int64_t now_ns();

 private:
  friend TraceRecorder* trace_recorder();
  static inline std::atomic<TraceRecorder*> g_installed{nullptr};

  void push(TraceEvent event) {
    event.ts_ns = now_ns();
    ring_.push(event);
  }

  TraceRing ring_;
  TraceStrings strings_;
};

// The hook's test: nullptr unless `--trace` installed a recorder.
inline TraceRecorder* trace_recorder() {
  return TraceRecorder::g_installed.load(std::memory_order_acquire);
}

}  // namespace lunatic::runtime
