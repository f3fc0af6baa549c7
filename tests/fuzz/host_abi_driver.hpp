// The host ABI fuzz target's guest and its input format, shared by the target and the seed
// maker.
//
// The driver is a WebAssembly module generated from the host registry: it imports every host
// function and exports
//   dispatch(index: i32, a0..a11: i64) -> i64   calls import `index` with the arguments
//                                               converted to its parameter types
//   main()                                      receives a script (the first message in its
//                                               mailbox), copies its memory image to address 0
//                                               and makes the script's calls through dispatch
//   _lunatic_catch_trap(index: i32, args: i32)  what lunatic::trap::catch calls: dispatch with
//                                               the 12 arguments stored at `args`
//   c(index: i32, arg: i64)                     dispatch with every argument `arg`, for children
// and its memory (4 pages). A few arguments are fixed in the driver itself, for every caller,
// children included: timeouts of blocking calls are clamped to a few milliseconds (except -1,
// "forever"), and config_preopen_dir always names a directory that does not exist, so that no
// process the fuzzer makes can reach the file system.
//
// Fuzzer input (what the seed maker writes, and what script_from_input reads):
//   u16 image length, the image (the first bytes of guest memory), then calls until the input
//   ends: a selector (one byte, two when the registry has more than 256 functions) naming the
//   function (selector % function count), then one value per parameter. A value is a tag byte
//   t: t % 4 == 0 is the value t / 4 (0..63); 1, 2, 3 are a u16, u32 or u64 that follows.
//   Missing bytes read as zero.
// Script (the message main receives): u32 image length, the image, then records of
// u32 index and 12 u64 arguments.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lunatic::engine {
class ImportTable;
struct ImportFunction;
}  // namespace lunatic::engine

namespace lunatic::fuzz {

inline constexpr std::uint32_t kDriverArgs = 12;
inline constexpr std::uint32_t kRecordSize = 4 + 8 * kDriverArgs;
inline constexpr std::uint32_t kMemoryPages = 4;
inline constexpr std::uint32_t kImageMax = 64 * 1024;        // guest memory [0, 64 KiB)
inline constexpr std::uint32_t kScriptAddress = 128 * 1024;  // the script: [128, 256) KiB
inline constexpr std::uint32_t kScriptMax = 128 * 1024 - 256;
inline constexpr std::size_t kMaxCalls = 64;
// Longest wait a clamped timeout allows, in milliseconds.
inline constexpr std::uint64_t kClampedTimeoutMs = 3;
// What config_preopen_dir is always given.
inline constexpr std::string_view kNoSuchDirectory = "/nonexistent/lunatic-fuzz";

struct DriverFunction {
  const engine::ImportFunction* host = nullptr;
  std::string params;  // one letter per parameter: i (i32), I (i64), f (f32), F (f64)
  char result = 0;     // the same letters, 0 for none
};

// Every function of the registry, in registry order (the order of the driver's imports).
// Throws std::runtime_error on a signature the driver cannot call.
std::vector<DriverFunction> driver_functions(const engine::ImportTable& registry);

// The driver module in WebAssembly text.
std::string driver_wat(const std::vector<DriverFunction>& functions);

// The script main receives, from a fuzzer input.
std::string script_from_input(std::span<const std::uint8_t> input,
                              const std::vector<DriverFunction>& functions);

// A call for a seed input, by name.
struct SeedCall {
  std::string module;
  std::string name;
  std::vector<std::uint64_t> args;
};

// The fuzzer input that decodes to `image` and `calls`. Throws std::runtime_error on an
// unknown function.
std::string encode_input(std::string_view image, const std::vector<SeedCall>& calls,
                         const std::vector<DriverFunction>& functions);

}  // namespace lunatic::fuzz
