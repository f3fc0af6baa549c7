// A plugin: a separate module that dynamic_module.wasm loads at run time and spawns from.
#include <cstdint>
#include <lunatic/lunatic.hpp>

// Sends x * x to `reply_to` as a typed message.
extern "C" __attribute__((export_name("square"))) void square(std::int64_t reply_to,
                                                              std::int64_t x) {
  lunatic::Process<std::int64_t>(lunatic::ProcessId{static_cast<std::uint64_t>(reply_to)})
      .send(x * x);
}

int main() { return 0; }
