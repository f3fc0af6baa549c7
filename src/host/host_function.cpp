#include "host/host_function.hpp"

#include <exception>
#include <new>

#include <fmt/core.h>

namespace lunatic::host::detail {

void unwind_short_of_stack() {
  engine::record_unwind(engine::TrapKind::kStackExhausted, "host call: not enough stack left");
  engine::unwind_guest();
}

void record_current_failure(std::string_view module, std::string_view name) noexcept {
  // Turns every failure (a refusal, GuestTrap, GuestExit, any exception) into the reason the
  // guest unwinds.
  const auto named = [&](std::string_view what) {
    return fmt::format("{}::{}: {}", module, name, what);
  };
  try {
    throw;
  } catch (const CallRefused& refused) {
    engine::record_unwind(engine::TrapKind::kHostError, named(refused.what));
  } catch (const engine::GuestTrap& trap) {
    engine::record_unwind(trap.kind, trap.message);
  } catch (const engine::GuestExit& exit) {
    engine::record_unwind(engine::TrapKind::kExit, {}, exit.code);
  } catch (const std::bad_alloc&) {
    engine::record_unwind(engine::TrapKind::kHostError, named("out of memory"));
  } catch (const std::exception& error) {
    engine::record_unwind(engine::TrapKind::kHostError, named(error.what()));
  } catch (...) {
    engine::record_unwind(engine::TrapKind::kHostError, named("unknown failure"));
  }
}

}  // namespace lunatic::host::detail
