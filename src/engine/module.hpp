// A module as the runtime instantiates it: compiled in one memory mode, or in both (auto), in
// which case each new instance gets the variant that suits the moment.
//
// Guard mode is the faster, but every guard-mode memory reserves 8 GiB + 64 KiB of address
// space, which caps an OS process at about 16k of them. In auto mode a new instance therefore
// gets the guard variant while fewer than `guard_threshold` guard reservations are alive in this
// OS process (live_guard_reservations()), and the bounds variant beyond that. The count is read
// when the variant is picked, so instances created at the same moment may overshoot the
// threshold by their number; it sits far below the ceiling for that reason.
// The threshold is 128 rather than thousands because each guard memory lives in its own
// gigabyte-aligned region, so processes that take turns need separate page-table pages and TLB
// entries: passing a message round a ring of 256 processes took 257 ms per million hops with
// guard memories and 190 ms with bounds blocks (which sit side by side), 462 against 239 ms at
// 512; at 64 they tie. Programs with a few computing processes still get guard mode.
// Thread: immutable after load; share it and call it from any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/compile/native_compiler.hpp"
#include "engine/loaded_module.hpp"

namespace lunatic::engine {

class Module {
 public:
  static constexpr std::uint64_t kDefaultGuardThreshold = 128;

  // At least one variant must be given; each must be of the mode its name says.
  Module(std::shared_ptr<const LoadedModule> guard, std::shared_ptr<const LoadedModule> bounds,
         std::uint64_t guard_threshold = kDefaultGuardThreshold);

  // The variant a new instance should be created from (see above).
  std::shared_ptr<const LoadedModule> variant_for_new_instance() const;

  // The variant of `mode` (kGuard or kBounds), or nullptr when it was not loaded.
  std::shared_ptr<const LoadedModule> variant(MemoryMode mode) const;

  // kGuard or kBounds when there is one variant, kAuto when there are both.
  MemoryMode mode() const;

  // What the module imports, exports and declares; the same in every variant. Invoke an export
  // through the variant of the instance (instance.module().find_export), never another one.
  const ModuleDescription& description() const;

 private:
  std::shared_ptr<const LoadedModule> guard_;
  std::shared_ptr<const LoadedModule> bounds_;
  std::uint64_t guard_threshold_;
};

}  // namespace lunatic::engine
