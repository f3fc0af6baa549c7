#include "engine/module.hpp"

#include "engine/memory/linear_memory.hpp"

namespace lunatic::engine {

Module::Module(std::shared_ptr<const LoadedModule> guard,
               std::shared_ptr<const LoadedModule> bounds, std::uint64_t guard_threshold)
    : guard_(std::move(guard)), bounds_(std::move(bounds)), guard_threshold_(guard_threshold) {}

std::shared_ptr<const LoadedModule> Module::variant_for_new_instance() const {
  if (guard_ == nullptr) return bounds_;
  if (bounds_ == nullptr) return guard_;
  return live_guard_reservations() < guard_threshold_ ? guard_ : bounds_;
}

std::shared_ptr<const LoadedModule> Module::variant(MemoryMode mode) const {
  switch (mode) {
    case MemoryMode::kGuard:
      return guard_;
    case MemoryMode::kBounds:
      return bounds_;
    case MemoryMode::kAuto:
      return nullptr;
  }
  return nullptr;
}

MemoryMode Module::mode() const {
  if (guard_ != nullptr && bounds_ != nullptr) return MemoryMode::kAuto;
  return guard_ != nullptr ? MemoryMode::kGuard : MemoryMode::kBounds;
}

const ModuleDescription& Module::description() const {
  return (guard_ != nullptr ? guard_ : bounds_)->contract().module;
}

}  // namespace lunatic::engine
