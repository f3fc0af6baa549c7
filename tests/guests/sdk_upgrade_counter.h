// The protocol of sdk_upgrade's Counter server, the same in both versions.
#pragma once

#include <cstdint>

struct Add {
  std::int64_t amount;
};
struct Show {};
