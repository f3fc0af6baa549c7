// What a module's upgrade exports (lunatic/upgrade.hpp) work with: how the running process hands
// its state over, and which entries of this code take over processes of each kind. Separate
// from upgrade.hpp so that Server can register itself without making every program that uses
// Server define the exports and a version name.
#pragma once

#include <cstdint>
#include <functional>
#include <lunatic/msgpack.hpp>
#include <lunatic/result.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lunatic::upgrade {

// A process's state as its code hands it over: `kind` picks the entry of the new code that takes
// it over (the same kind in both versions); `state` is in the code's own format.
struct Handover {
  std::string kind;
  std::vector<std::uint8_t> state;
};

// An entry of this code that takes over processes of one kind from an older version:
// `load` converts the state (an Error refuses: the old code goes on) and keeps it; `resume`
// then goes on as the process with it.
struct Takeover {
  const char* kind;
  Result<void> (*load)(std::string_view old_version, std::span<const std::uint8_t> state);
  void (*resume)();
};

namespace detail {

struct Registry {
  std::function<Handover()> save;   // the running process's; empty: it cannot be upgraded
  std::vector<Takeover> takeovers;  // this module's, one per kind
  std::size_t chosen = 0;           // load picked takeovers[chosen], resume runs it
};

// wasm-ld wraps each export of a command module other than _start in a call of the module's
// constructors before it and of its destructors after it. So this is never destroyed (the
// process goes on after lunatic_upgrade_save), and registering the same kind again (the
// constructors run again at each upgrade export) replaces the entry rather than adding one.
inline Registry& registry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace detail

// The running process says how to hand its state over, replacing what it said before.
inline void on_save(std::function<Handover()> save) { detail::registry().save = std::move(save); }

// The process hands `state` (MessagePack of State) over as `kind` when it moves to new code; it
// must outlive the code that serves with it.
template <class State>
void hand_over(const char* kind, const State& state) {
  on_save([kind, &state] { return Handover{kind, msgpack::to_bytes(state)}; });
}

// This code takes over processes of `takeover.kind`. Returns true, so that a namespace-scope
// `static const bool` can register an entry before any export runs.
inline bool add_takeover(Takeover takeover) {
  std::vector<Takeover>& takeovers = detail::registry().takeovers;
  for (Takeover& known : takeovers) {
    if (std::string_view(known.kind) == takeover.kind) {
      known = takeover;
      return true;
    }
  }
  takeovers.push_back(takeover);
  return true;
}

}  // namespace lunatic::upgrade
