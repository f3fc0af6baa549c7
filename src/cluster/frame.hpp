// The wire format between two nodes, inside their TLS connection: frames, each a fixed 16-byte
// little-endian header and a payload.
//
//   u32 length    bytes of payload after the header (this chunk's, for data)
//   u8  kind      FrameKind
//   u8  flags     kFirstChunk | kLastChunk (data); both for every other kind
//   u8  channel   data: the upper layer's channel (message, spawn, ...); 0 otherwise
//   u8  reserved  0
//   u64 stream    data: the sender-receiver pair the message belongs to; 0 otherwise
//
// A data message of any size up to the limit travels as chunks of at most kMaxChunk bytes, the
// first flagged kFirstChunk, the last kLastChunk (one chunk: both). Chunks of one stream arrive
// in order and a stream's next message starts after its previous one's last chunk; chunks of
// different streams interleave, so a large message does not hold up small ones.
//
// Every length is checked against a limit from the header alone, before any payload is read or
// memory reserved for it: a hostile length ends the connection, never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.hpp"

namespace lunatic::cluster {

inline constexpr std::size_t kFrameHeaderSize = 16;
inline constexpr std::size_t kMaxChunk = 64 * 1024;
// Hello and goodbye carry names and a reason, never more than this.
inline constexpr std::size_t kMaxControlPayload = 4096;
inline constexpr std::uint16_t kProtocolVersion = 2;  // 2: ping and pong

enum class FrameKind : std::uint8_t {
  kHello = 1,    // the first frame each way: who is speaking (Hello)
  kTick = 2,     // "still here", sent after tick_interval with nothing else sent; no payload
  kData = 3,     // a chunk of an upper-layer message
  kGoodbye = 4,  // the connection is being closed on purpose; payload: the reason (text)
  kPing = 5,     // payload: 8 opaque bytes (the sender's clock), which the pong echoes
  kPong = 6,     // the answer to a ping, with its payload
};

// The payload of a ping or a pong.
inline constexpr std::size_t kPingPayload = 8;

enum FrameFlags : std::uint8_t {
  kFirstChunk = 1,
  kLastChunk = 2,
  kWholeMessage = kFirstChunk | kLastChunk,
};

struct FrameHeader {
  std::uint32_t length = 0;
  FrameKind kind = FrameKind::kTick;
  std::uint8_t flags = kWholeMessage;
  std::uint8_t channel = 0;
  std::uint64_t stream = 0;
};

// Appends the header's 16 bytes to `out`.
void append_header(std::vector<std::uint8_t>& out, const FrameHeader& header);
// Appends a whole control frame (hello, tick, goodbye): header and payload.
void append_control_frame(std::vector<std::uint8_t>& out, FrameKind kind,
                          std::span<const std::uint8_t> payload);

// The first frame's payload: u16 version, u64 node id, u64 incarnation, then the node's and the
// cluster's names, each u16 length + bytes.
struct Hello {
  std::uint16_t version = kProtocolVersion;
  std::uint64_t node_id = 0;
  std::uint64_t incarnation = 0;
  std::string node_name;
  std::string cluster_name;
};
std::vector<std::uint8_t> encode_hello(const Hello& hello);
// Fails on a payload that is not exactly one hello (short, trailing bytes, another version).
Expected<Hello> decode_hello(std::span<const std::uint8_t> payload);

// What the decoder hands on: a control frame, or a data message with all its chunks joined.
struct DecodedFrame {
  FrameKind kind = FrameKind::kTick;
  std::uint8_t channel = 0;
  std::uint64_t stream = 0;
  std::vector<std::uint8_t> payload;
};

struct DecoderLimits {
  std::size_t max_message = 64 * 1024 * 1024;  // a data message's whole payload
  // All the partly received messages of a connection together: a peer cannot make us hold
  // max_message on each of many streams.
  std::size_t max_partial_bytes = 256 * 1024 * 1024;
};

// Takes a connection's bytes as they come, in pieces of any size, and gives back whole frames
// and messages in the order they complete. Its first error is final: the connection is to be
// closed (errors are values: Errc::kInvalidArgument for malformed input, kLimitReached for a
// limit). Thread: one thread at a time.
class FrameDecoder {
 public:
  explicit FrameDecoder(DecoderLimits limits = {}) : limits_(limits) {}

  // Decodes what `bytes` completes, appending to `out`.
  Status feed(std::span<const std::uint8_t> bytes, std::vector<DecodedFrame>& out);

  // Bytes held in messages whose last chunk has not arrived.
  std::size_t partial_bytes() const { return partial_bytes_; }

 private:
  Status check_header();
  void finish_frame(std::vector<DecodedFrame>& out);

  DecoderLimits limits_;
  std::uint8_t header_bytes_[kFrameHeaderSize] = {};
  std::size_t header_filled_ = 0;
  FrameHeader header_;
  std::size_t payload_left_ = 0;       // of the current frame, once its header is complete
  std::vector<std::uint8_t> control_;  // the current control frame's payload
  std::vector<std::uint8_t>* target_ = nullptr;  // where the current frame's payload goes
  // Data messages begun and not finished, by stream, with the channel of their first chunk.
  struct Partial {
    std::uint8_t channel = 0;
    std::vector<std::uint8_t> bytes;
  };
  std::unordered_map<std::uint64_t, Partial> partial_;
  std::size_t partial_bytes_ = 0;
  DecodedFrame single_;  // a one-chunk message, which needs no entry in partial_
  bool failed_ = false;
  Error failure_{Errc::kInvalidArgument, ""};
};

}  // namespace lunatic::cluster
