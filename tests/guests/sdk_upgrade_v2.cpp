// sdk_upgrade_v2.wasm: version 2 of sdk_upgrade's Counter, loaded by sdk_upgrade.wasm. Its state
// is the history of the values; code_change starts it from version 1's value, and refuses 13.
#include <lunatic/lunatic.hpp>
#include <lunatic/upgrade.hpp>
#include <string>
#include <vector>

#include "sdk_upgrade_counter.h"

LUNATIC_CODE_VERSION("counter-v2");

struct CounterV1 {  // version 1's state, as it hands it over
  std::int64_t value;
};

struct Counter {
  using Arg = std::int64_t;
  using Message = Add;
  using Request = Show;
  using Response = std::string;
  static constexpr const char* kUpgradeKind = "counter";
  std::vector<std::int64_t> history;

  static Counter init(std::int64_t start) { return Counter{{start}}; }
  static lunatic::Result<Counter> code_change(std::string_view old_version,
                                              std::span<const std::uint8_t> old_state) {
    if (old_version != "counter-v1") {
      return lunatic::Error{lunatic::ErrorKind::kInvalidInput, "unknown version"};
    }
    auto old = lunatic::msgpack::from_bytes<CounterV1>(old_state);
    if (!old) return old.error();
    if (old->value == 13) return lunatic::Error{lunatic::ErrorKind::kInvalidInput, "unlucky"};
    return Counter{{old->value}};
  }
  void handle_message(const Add& add) { history.push_back(history.back() + add.amount); }
  std::string handle_request(const Show&) {
    std::string text = "v2 history=";
    for (std::int64_t value : history) text += std::to_string(value) + ",";
    return text;
  }
};

LUNATIC_UPGRADABLE_SERVER(Counter);

int main() { return 2; }
