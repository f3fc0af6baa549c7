// Polls a condition until it holds or a time limit passes: for effects that travel through
// the store and arrive on another thread.
#pragma once

#include <chrono>
#include <thread>

namespace lunatic::cluster::testing {

template <class Condition>
bool eventually(std::chrono::milliseconds limit, Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace lunatic::cluster::testing
