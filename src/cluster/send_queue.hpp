// The messages waiting to go to one peer, handed out as frames one chunk at a time, taking the
// streams in turn (round-robin): a stream's messages leave in the order they were queued, and a
// large message on one stream delays another stream's message by at most one chunk per stream
// with something to send, not by its whole size.
//
// The receiver holds a message's chunks until its last one, so the queue bounds what it has begun
// and not finished: a message of more than one chunk does not start while the sizes of those
// begun would pass `max_begun_bytes` (the receiver's limit on partly received messages). Single
// chunks and the rest of begun messages always go.
//
// Thread: the transport's I/O thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "cluster/frame.hpp"

namespace lunatic::cluster {

struct OutgoingMessage {
  std::uint8_t channel = 0;
  std::uint64_t stream = 0;
  std::vector<std::uint8_t> bytes;
};

class SendQueue {
 public:
  // `chunk_size`: the most payload in one frame, 1 to kMaxChunk. `max_begun_bytes` is raised to
  // the largest message pushed if that is larger, so every message can go.
  explicit SendQueue(std::size_t chunk_size = kMaxChunk,
                     std::size_t max_begun_bytes = 256 * 1024 * 1024);

  void push(OutgoingMessage message);
  bool empty() const { return turns_.empty(); }
  // Payload bytes not yet framed.
  std::size_t bytes() const { return bytes_; }

  // Appends the next stream's next chunk, header and payload, to `out`. Returns the payload bytes
  // it framed (0 for an empty message's only chunk, or when the queue is empty).
  std::size_t append_next_chunk(std::vector<std::uint8_t>& out);

  // Drops every message (their peer is gone).
  void clear();

 private:
  struct Stream {
    std::deque<OutgoingMessage> messages;
    std::size_t sent = 0;  // of the front message's bytes
  };
  std::size_t chunk_size_;
  std::unordered_map<std::uint64_t, Stream> streams_;
  std::deque<std::uint64_t> turns_;  // the streams with messages, next to send first
  std::size_t bytes_ = 0;
  std::size_t max_begun_bytes_;
  std::size_t begun_bytes_ = 0;  // whole sizes of the messages begun and not finished
};

}  // namespace lunatic::cluster
