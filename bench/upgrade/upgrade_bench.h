/* What the "upgrade" benchmark guests share (upgrade_v1.c, upgrade_v2.c, bystander.c): message
 * tags, the 1 KiB state an idle process holds and hands over, and small helpers on the raw ABI
 * (sdk/cpp/include/lunatic/abi.h).
 *
 * The state is 256 u32 words: word 0 is the process's seed (its index), word i the pattern
 * pattern_word(seed, i). Version 2 recomputes the pattern from the seed, so a state that lost or
 * changed any byte on the way is refused, and sums it (state_checksum), which main checks
 * against its own sum of the same pattern. */
#ifndef UPGRADE_BENCH_H
#define UPGRADE_BENCH_H

#include <lunatic/abi.h>
#include <stdint.h>
#include <string.h>
#include <wasi/api.h>

#define EXPORT(name) __attribute__((export_name(name), used))

enum {
  TAG_READY = 1,     /* idle -> main: filled its state, about to wait */
  TAG_STOP = 2,      /* main -> idle: [main pid]; reply TAG_DONE and end */
  TAG_DONE = 3,      /* idle -> main: [seed, checksum, version] */
  TAG_START = 4,     /* main -> bystander: start measuring; reply TAG_MEASURING */
  TAG_MEASURING = 5, /* bystander -> main: about to begin its first sleep */
  TAG_END = 6,       /* main -> bystander: stop measuring, reply TAG_LATENESS; -> spinner: end */
  TAG_LATENESS = 7,  /* bystander -> main: [wake-ups, max late ns, sum late ns] */
};

#define STATE_WORDS 256 /* 1 KiB */
#define V1_VERSION "idle-v1"

static inline uint32_t pattern_word(uint32_t seed, uint32_t i) {
  uint32_t x = seed * 0x9E3779B1u + i * 0x85EBCA77u;
  x ^= x >> 15;
  x *= 0x2C1B3C6Du;
  x ^= x >> 12;
  return x;
}

static inline void fill_state(uint32_t* words, uint32_t seed) {
  words[0] = seed;
  for (uint32_t i = 1; i < STATE_WORDS; i++) words[i] = pattern_word(seed, i);
}

/* FNV-1a over the words. */
static inline uint64_t state_checksum(const uint32_t* words) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (uint32_t i = 0; i < STATE_WORDS; i++) {
    h ^= words[i];
    h *= 0x100000001B3ull;
  }
  return h;
}

static inline uint64_t now_ns(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}

static inline void send_u64s(uint64_t to, int64_t tag, const uint64_t* values, uint32_t n) {
  lunatic_message_create_data(tag, (uint64_t)n * 8);
  if (n > 0) lunatic_message_write_data(LUNATIC_PTR(values), n * 8);
  lunatic_message_send(to);
}

static inline uint32_t receive_tag(int64_t tag, uint64_t timeout_ms) {
  return lunatic_message_receive(LUNATIC_PTR(&tag), 1, timeout_ms);
}

/* Reads up to n u64 from the data message just received; how many were read. */
static inline uint32_t read_u64s(uint64_t* values, uint32_t n) {
  return lunatic_message_read_data(LUNATIC_PTR(values), n * 8) / 8;
}

#endif
