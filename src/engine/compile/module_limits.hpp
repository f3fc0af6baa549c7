// Limits on what a module may declare, checked when it is read, before anything costly: each
// keeps a hostile module from making the runtime's own work (reading, translating, compiling,
// instantiating) unbounded. Thread: constants only.
#pragma once

#include <cstdint>

namespace lunatic::engine {

// Entries a table may have, initially or grown: 2^24 entries is already 384 MiB of funcrefs.
inline constexpr std::uint64_t kMaxTableElements = std::uint64_t{1} << 24;

// How deeply blocks, loops, ifs and trys may nest in one function. The IR, the C translation
// and the C compiler all recurse on nesting; 20,000 levels crashed the runtime in libwabt and
// 10,000 loops took it past a GiB. Compilers emit deep nesting for large `switch`es (a block
// per case), so the limit leaves room for thousands of cases.
inline constexpr std::uint32_t kMaxBlockNesting = 4096;

}  // namespace lunatic::engine
