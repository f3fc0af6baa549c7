// What a host function receives as its first argument: the calling process's context.
//
// The engine passes one HostContext pointer to every import module of an instance, so each
// namespace reaches its own state through it; there is no global guest state.
#pragma once

#include "engine/guest_memory.hpp"

namespace lunatic::engine {
class Instance;
}
namespace lunatic::runtime {
class Blocking;
}
namespace lunatic::wasi {
class WasiContext;
}

namespace lunatic::host {

struct HostContext {
  engine::Instance* instance = nullptr;
  runtime::Blocking* blocking = nullptr;  // suspends the calling process, never the thread
  wasi::WasiContext* wasi = nullptr;

  // The guest's memory as it is now (re-read on every call: memory.grow may move it).
  engine::GuestMemory memory() const;
};

}  // namespace lunatic::host
