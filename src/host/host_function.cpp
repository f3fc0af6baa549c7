#include "host/host_function.hpp"

#include <exception>
#include <new>

namespace lunatic::host::detail {

void unwind_short_of_stack() {
  engine::record_unwind(engine::TrapKind::kStackExhausted, "host call: not enough stack left");
  engine::unwind_guest();
}

void record_current_failure() noexcept {
  // Turns every failure (GuestTrap, GuestExit, any exception) into the reason the guest unwinds.
  try {
    throw;
  } catch (const engine::GuestTrap& trap) {
    engine::record_unwind(trap.kind, trap.message);
  } catch (const engine::GuestExit& exit) {
    engine::record_unwind(engine::TrapKind::kExit, {}, exit.code);
  } catch (const std::bad_alloc&) {
    engine::record_unwind(engine::TrapKind::kHostError, "host call: out of memory");
  } catch (const std::exception& error) {
    engine::record_unwind(engine::TrapKind::kHostError, std::string("host call: ") + error.what());
  } catch (...) {
    engine::record_unwind(engine::TrapKind::kHostError, "host call: unknown failure");
  }
}

}  // namespace lunatic::host::detail
