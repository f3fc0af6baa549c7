// What the trap signal handler must leave alone: a fault outside a guest still crashes.
#include <gtest/gtest.h>

#include "engine/execution/signals.hpp"

namespace lunatic::engine {
namespace {

TEST(SignalHandler, StillCrashesOnAFaultInHostCode) {
  install_trap_handlers();
  EXPECT_DEATH(
      {
        volatile int* nothing = nullptr;
        *nothing = 1;
      },
      "");
}

}  // namespace
}  // namespace lunatic::engine
