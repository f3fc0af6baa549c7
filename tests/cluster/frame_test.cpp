// The wire format (cluster/frame.hpp) and the round-robin send queue (cluster/send_queue.hpp):
// what one node's queue writes, another's decoder reads back, however the bytes are cut.
#include "cluster/frame.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "cluster/send_queue.hpp"

namespace lunatic::cluster {
namespace {

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
  return bytes;
}

std::vector<std::uint8_t> header_bytes(const FrameHeader& header) {
  std::vector<std::uint8_t> out;
  append_header(out, header);
  return out;
}

// Everything a queue holds, framed.
std::vector<std::uint8_t> drain(SendQueue& queue) {
  std::vector<std::uint8_t> out;
  while (!queue.empty()) queue.append_next_chunk(out);
  return out;
}

TEST(Frame, AHeaderIsSixteenLittleEndianBytes) {
  const auto bytes =
      header_bytes({0x01020304, FrameKind::kData, kFirstChunk, 7, 0x1122334455667788});
  const std::vector<std::uint8_t> expected{4,    3,    2,    1,    3,    1,    7,    0,
                                           0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
  EXPECT_EQ(bytes, expected);
}

TEST(Frame, AHelloDecodesToWhatWasEncoded) {
  const Hello hello{kProtocolVersion, 42, 7, "node-a", "cluster-x"};
  auto decoded = decode_hello(encode_hello(hello));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->node_id, 42u);
  EXPECT_EQ(decoded->incarnation, 7u);
  EXPECT_EQ(decoded->node_name, "node-a");
  EXPECT_EQ(decoded->cluster_name, "cluster-x");
}

TEST(Frame, AHelloShortOfItsFieldsOrWithBytesAfterThemIsRefused) {
  auto bytes = encode_hello({kProtocolVersion, 1, 1, "a", "c"});
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decode_hello(longer));
  bytes.pop_back();
  EXPECT_FALSE(decode_hello(bytes));
  EXPECT_FALSE(decode_hello({}));
}

TEST(Frame, AHelloOfAnotherProtocolVersionIsRefused) {
  auto decoded = decode_hello(encode_hello({kProtocolVersion + 1, 1, 1, "a", "c"}));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("version"), std::string::npos);
}

TEST(FrameDecoder, FedByteByByteItGivesBackEveryFrameAndMessageInOrder) {
  SendQueue queue(1000);
  const auto big = pattern(3500, 1);  // four chunks on stream 5
  const auto small = pattern(10, 2);  // one chunk on stream 6
  const auto empty = std::vector<std::uint8_t>{};
  queue.push({1, 5, big});
  queue.push({2, 6, small});
  queue.push({3, 6, empty});
  std::vector<std::uint8_t> wire;
  append_control_frame(wire, FrameKind::kHello, encode_hello({kProtocolVersion, 1, 2, "n", "c"}));
  append_control_frame(wire, FrameKind::kTick, {});
  const auto data = drain(queue);
  wire.insert(wire.end(), data.begin(), data.end());
  const std::string reason = "bye";
  append_control_frame(wire, FrameKind::kGoodbye,
                       {reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()});

  FrameDecoder decoder;
  std::vector<DecodedFrame> frames;
  for (const std::uint8_t byte : wire) ASSERT_TRUE(decoder.feed({&byte, 1}, frames));
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames[0].kind, FrameKind::kHello);
  EXPECT_EQ(decode_hello(frames[0].payload)->incarnation, 2u);
  EXPECT_EQ(frames[1].kind, FrameKind::kTick);
  // Round-robin: stream 6's two messages finish before stream 5's four chunks do.
  EXPECT_EQ(frames[2].stream, 6u);
  EXPECT_EQ(frames[2].channel, 2);
  EXPECT_EQ(frames[2].payload, small);
  EXPECT_EQ(frames[3].stream, 6u);
  EXPECT_EQ(frames[3].channel, 3);
  EXPECT_TRUE(frames[3].payload.empty());
  EXPECT_EQ(frames[4].stream, 5u);
  EXPECT_EQ(frames[4].channel, 1);
  EXPECT_EQ(frames[4].payload, big);
  EXPECT_EQ(frames[5].kind, FrameKind::kGoodbye);
  EXPECT_EQ(std::string(frames[5].payload.begin(), frames[5].payload.end()), "bye");
  EXPECT_EQ(decoder.partial_bytes(), 0u);
}

TEST(FrameDecoder, APingAndItsPongCarryTheirEightBytes) {
  const std::uint8_t clock[kPingPayload] = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<std::uint8_t> wire;
  append_control_frame(wire, FrameKind::kPing, clock);
  append_control_frame(wire, FrameKind::kPong, clock);
  FrameDecoder decoder;
  std::vector<DecodedFrame> frames;
  ASSERT_TRUE(decoder.feed(wire, frames));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].kind, FrameKind::kPing);
  EXPECT_EQ(frames[1].kind, FrameKind::kPong);
  for (const DecodedFrame& frame : frames) {
    EXPECT_EQ(frame.payload, std::vector<std::uint8_t>(std::begin(clock), std::end(clock)));
  }
}

TEST(FrameDecoder, AHostileLengthIsRefusedFromTheHeaderAlone) {
  FrameDecoder decoder;
  std::vector<DecodedFrame> frames;
  const auto header = header_bytes({0xFFFFFFFF, FrameKind::kData, kWholeMessage, 0, 1});
  auto fed = decoder.feed(header, frames);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, Errc::kLimitReached);
  EXPECT_TRUE(frames.empty());
  // The error is final.
  EXPECT_FALSE(decoder.feed(header_bytes({0, FrameKind::kTick, kWholeMessage, 0, 0}), frames));
}

TEST(FrameDecoder, MalformedHeadersAreRefused) {
  const std::vector<FrameHeader> bad{
      {0, static_cast<FrameKind>(9), kWholeMessage, 0, 0},  // unknown kind
      {1, FrameKind::kTick, kWholeMessage, 0, 0},           // a tick with a payload
      {7, FrameKind::kPing, kWholeMessage, 0, 0},           // a ping not of 8 bytes
      {9, FrameKind::kPong, kWholeMessage, 0, 0},           // a pong not of 8 bytes
      {static_cast<std::uint32_t>(kMaxControlPayload + 1), FrameKind::kHello, kWholeMessage, 0, 0},
      {0, FrameKind::kGoodbye, kFirstChunk, 0, 0},  // chunk flags on a control frame
      {0, FrameKind::kTick, kWholeMessage, 0, 3},   // a stream on a control frame
      {0, FrameKind::kData, kLastChunk, 0, 3},      // a continuation with nothing begun
      {0, FrameKind::kData, 0x10, 0, 3},            // unknown flags
      {static_cast<std::uint32_t>(kMaxChunk + 1), FrameKind::kData, kFirstChunk, 0, 3},
  };
  for (const FrameHeader& header : bad) {
    FrameDecoder decoder;
    std::vector<DecodedFrame> frames;
    EXPECT_FALSE(decoder.feed(header_bytes(header), frames))
        << "kind " << int(header.kind) << " length " << header.length;
  }
  auto reserved = header_bytes({0, FrameKind::kTick, kWholeMessage, 0, 0});
  reserved[7] = 1;
  FrameDecoder decoder;
  std::vector<DecodedFrame> frames;
  EXPECT_FALSE(decoder.feed(reserved, frames));
}

TEST(FrameDecoder, AMessageBegunTwiceOnOneStreamOrChangingChannelIsRefused) {
  std::vector<DecodedFrame> frames;
  {
    FrameDecoder decoder;
    ASSERT_TRUE(decoder.feed(header_bytes({0, FrameKind::kData, kFirstChunk, 1, 3}), frames));
    EXPECT_FALSE(decoder.feed(header_bytes({0, FrameKind::kData, kFirstChunk, 1, 3}), frames));
  }
  {
    FrameDecoder decoder;
    ASSERT_TRUE(decoder.feed(header_bytes({0, FrameKind::kData, kFirstChunk, 1, 3}), frames));
    EXPECT_FALSE(decoder.feed(header_bytes({0, FrameKind::kData, kLastChunk, 2, 3}), frames));
  }
}

TEST(FrameDecoder, AMessageOverTheLimitIsRefusedBeforeItsPayloadArrives) {
  FrameDecoder decoder({.max_message = 1500, .max_partial_bytes = 1 << 20});
  std::vector<DecodedFrame> frames;
  std::vector<std::uint8_t> wire = header_bytes({1000, FrameKind::kData, kFirstChunk, 0, 1});
  const auto payload = pattern(1000, 0);
  wire.insert(wire.end(), payload.begin(), payload.end());
  ASSERT_TRUE(decoder.feed(wire, frames));
  EXPECT_EQ(decoder.partial_bytes(), 1000u);
  auto fed = decoder.feed(header_bytes({1000, FrameKind::kData, kLastChunk, 0, 1}), frames);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, Errc::kLimitReached);
}

TEST(FrameDecoder, PartlyReceivedMessagesTogetherAreBounded) {
  FrameDecoder decoder({.max_message = 4096, .max_partial_bytes = 2500});
  std::vector<DecodedFrame> frames;
  for (std::uint64_t stream = 1; stream <= 3; ++stream) {
    std::vector<std::uint8_t> wire = header_bytes({1000, FrameKind::kData, kFirstChunk, 0, stream});
    const auto payload = pattern(1000, 0);
    wire.insert(wire.end(), payload.begin(), payload.end());
    const bool fits = stream < 3;
    EXPECT_EQ(static_cast<bool>(decoder.feed(wire, frames)), fits) << "stream " << stream;
  }
}

TEST(SendQueue, StreamsTakeTurnsChunkByChunkAndEachKeepsItsOrder) {
  SendQueue queue(100);
  queue.push({0, 1, pattern(300, 1)});  // three chunks
  queue.push({0, 1, pattern(50, 2)});
  queue.push({0, 2, pattern(50, 3)});
  queue.push({0, 2, pattern(50, 4)});
  std::vector<std::pair<std::uint64_t, std::uint8_t>> order;  // stream, flags
  while (!queue.empty()) {
    std::vector<std::uint8_t> out;
    queue.append_next_chunk(out);
    order.emplace_back(out[8], out[5]);
  }
  const std::vector<std::pair<std::uint64_t, std::uint8_t>> expected{
      {1, kFirstChunk},   {2, kWholeMessage}, {1, 0},
      {2, kWholeMessage}, {1, kLastChunk},    {1, kWholeMessage}};
  EXPECT_EQ(order, expected);
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(SendQueue, AMultiChunkMessageWaitsWhileThoseBegunFillTheReceiversBound) {
  SendQueue queue(100, 300);
  queue.push({0, 1, pattern(300, 1)});
  queue.push({0, 2, pattern(300, 2)});
  queue.push({0, 3, pattern(10, 3)});
  std::vector<std::uint64_t> streams;
  while (!queue.empty()) {
    std::vector<std::uint8_t> out;
    queue.append_next_chunk(out);
    streams.push_back(out[8]);
  }
  // Stream 2 starts only once stream 1's message is done; stream 3's single chunk is not held.
  const std::vector<std::uint64_t> expected{1, 3, 1, 1, 2, 2, 2};
  EXPECT_EQ(streams, expected);
}

}  // namespace
}  // namespace lunatic::cluster
