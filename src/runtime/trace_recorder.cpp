#include "runtime/trace_recorder.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <limits>
#include <new>
#include <thread>

#include "common/os_pages.hpp"
#include "runtime/message.hpp"

namespace lunatic::runtime {

void TraceRing::Unmap::operator()(Slot* slots) const { ::munmap(slots, bytes); }

TraceRing::TraceRing(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      slots_(nullptr, Unmap{round_to_os_pages(capacity_ * sizeof(Slot))}) {
  // Mapped rather than allocated: an allocator may clear the block, touching every page of a
  // ring that a short run never fills.
  void* mapped = ::mmap(nullptr, slots_.get_deleter().bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  // SAFETY: Slot is an implicit-lifetime aggregate of integers, so the zeroed, page-aligned
  // mapping holds `capacity_` of them; they are only reached through std::atomic_ref.
  slots_.reset(static_cast<Slot*>(mapped));
}

void TraceRing::push(const TraceEvent& event) noexcept {
  const std::uint64_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
  Slot& slot = slots_[ticket % capacity_];
  std::atomic_ref<std::uint64_t> sequence(slot.sequence);
  // The push one lap before must have finished with the slot (0: it was never written).
  const std::uint64_t previous = ticket < capacity_ ? 0 : 2 * (ticket - capacity_) + 2;
  while (sequence.load(std::memory_order_acquire) != previous) std::this_thread::yield();
  sequence.store(2 * ticket + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // the odd mark before the words
  const auto words = std::bit_cast<std::array<std::uint64_t, kWords>>(event);
  for (std::size_t i = 0; i < kWords; ++i) {
    std::atomic_ref<std::uint64_t>(slot.words[i]).store(words[i], std::memory_order_relaxed);
  }
  sequence.store(2 * ticket + 2, std::memory_order_release);
}

std::vector<TraceEvent> TraceRing::snapshot() const {
  const std::uint64_t end = pushed();
  const std::uint64_t begin = end > capacity_ ? end - capacity_ : 0;
  std::vector<TraceEvent> events;
  events.reserve(end - begin);
  for (std::uint64_t ticket = begin; ticket < end; ++ticket) {
    Slot& slot = slots_[ticket % capacity_];
    std::atomic_ref<std::uint64_t> sequence(slot.sequence);
    const std::uint64_t written = 2 * ticket + 2;
    if (sequence.load(std::memory_order_acquire) != written) continue;
    std::array<std::uint64_t, kWords> words;
    for (std::size_t i = 0; i < kWords; ++i) {
      words[i] = std::atomic_ref<std::uint64_t>(slot.words[i]).load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);  // the words before the re-check
    if (sequence.load(std::memory_order_relaxed) != written) continue;  // rewritten meanwhile
    events.push_back(std::bit_cast<TraceEvent>(words));
  }
  return events;
}

TraceStrings::TraceStrings() { texts_ = {"", "(more texts than the trace keeps)"}; }

std::uint32_t TraceStrings::intern(std::string_view text) {
  if (text.empty()) return kEmpty;
  text = text.substr(0, kMaxLength);
  std::lock_guard guard(mutex_);
  if (const auto found = ids_.find(std::string(text)); found != ids_.end()) return found->second;
  if (texts_.size() >= kMaxStrings) return kOverflow;
  const auto id = static_cast<std::uint32_t>(texts_.size());
  texts_.emplace_back(text);
  ids_.emplace(texts_.back(), id);
  return id;
}

std::vector<std::string> TraceStrings::all() const {
  std::lock_guard guard(mutex_);
  return texts_;
}

std::int64_t TraceRecorder::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void TraceRecorder::spawned(std::uint64_t child, std::uint64_t parent, std::string_view function) {
  push({.kind = TraceKind::kSpawn,
        .process = child,
        .peer = parent,
        .key = strings_.intern(function)});
}

void TraceRecorder::exited(std::uint64_t process, engine::TrapKind outcome, std::int64_t exit_code,
                           std::string_view message) {
  push({.kind = TraceKind::kExit,
        .detail = static_cast<std::uint8_t>(outcome),
        .process = process,
        .key = strings_.intern(message),
        .value = exit_code});
}

void TraceRecorder::killed(std::uint64_t process, std::uint64_t killer, std::string_view reason) {
  push({.kind = TraceKind::kKill,
        .process = process,
        .peer = killer,
        .key = strings_.intern(reason)});
}

namespace {
std::uint32_t saturated_size(const Message& message) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(message.data.size(), std::numeric_limits<std::uint32_t>::max()));
}
}  // namespace

void TraceRecorder::sent(std::uint64_t from, std::uint64_t to, const Message& message) {
  push({.kind = TraceKind::kSend,
        .detail = static_cast<std::uint8_t>(message.kind),
        .size = saturated_size(message),
        .process = from,
        .peer = to,
        .key = reinterpret_cast<std::uintptr_t>(&message),
        .value = message.tag});
}

void TraceRecorder::sent_remote(std::uint64_t from, std::uint64_t node, std::uint64_t to,
                                const Message& message) {
  push({.kind = TraceKind::kSendRemote,
        .detail = static_cast<std::uint8_t>(message.kind),
        .size = saturated_size(message),
        .process = from,
        .peer = to,
        .key = node,
        .value = message.tag});
}

void TraceRecorder::received(std::uint64_t process, const Message& message) {
  push({.kind = TraceKind::kReceive,
        .detail = static_cast<std::uint8_t>(message.kind),
        .size = saturated_size(message),
        .process = process,
        .key = reinterpret_cast<std::uintptr_t>(&message),
        .value = message.tag});
}

void TraceRecorder::slice_began(std::uint64_t process) {
  push({.kind = TraceKind::kRun, .process = process});
}

void TraceRecorder::slice_ended(std::uint64_t process, bool parked) {
  push({.kind = TraceKind::kSuspend,
        .detail = parked ? std::uint8_t{1} : std::uint8_t{0},
        .process = process});
}

void TraceRecorder::named(std::uint64_t process, std::string_view name) {
  push({.kind = TraceKind::kName, .process = process, .key = strings_.intern(name)});
}

}  // namespace lunatic::runtime
