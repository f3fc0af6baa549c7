#include "cluster/send_queue.hpp"

#include <algorithm>

namespace lunatic::cluster {

SendQueue::SendQueue(std::size_t chunk_size, std::size_t max_begun_bytes)
    : chunk_size_(std::clamp<std::size_t>(chunk_size, 1, kMaxChunk)),
      max_begun_bytes_(max_begun_bytes) {}

void SendQueue::push(OutgoingMessage message) {
  bytes_ += message.bytes.size();
  max_begun_bytes_ = std::max(max_begun_bytes_, message.bytes.size());
  Stream& stream = streams_[message.stream];
  if (stream.messages.empty()) turns_.push_back(message.stream);
  stream.messages.push_back(std::move(message));
}

std::size_t SendQueue::append_next_chunk(std::vector<std::uint8_t>& out) {
  if (turns_.empty()) return 0;
  // The first stream in turn that may send. There is one: a begun message may always go on,
  // and with none begun any message may start.
  for (std::size_t skipped = 0; skipped < turns_.size(); ++skipped) {
    const Stream& candidate = streams_.find(turns_.front())->second;
    const std::size_t size = candidate.messages.front().bytes.size();
    if (candidate.sent > 0 || size <= chunk_size_ || begun_bytes_ + size <= max_begun_bytes_) break;
    turns_.push_back(turns_.front());
    turns_.pop_front();
  }
  const std::uint64_t id = turns_.front();
  turns_.pop_front();
  const auto found = streams_.find(id);
  Stream& stream = found->second;
  OutgoingMessage& message = stream.messages.front();
  const std::size_t size = message.bytes.size();
  const bool multi_chunk = size > chunk_size_;
  if (multi_chunk && stream.sent == 0) begun_bytes_ += size;
  const std::size_t take = std::min(chunk_size_, size - stream.sent);
  std::uint8_t flags = 0;
  if (stream.sent == 0) flags |= kFirstChunk;
  if (stream.sent + take == size) flags |= kLastChunk;
  append_header(out, {static_cast<std::uint32_t>(take), FrameKind::kData, flags, message.channel,
                      message.stream});
  const auto begin = message.bytes.begin() + static_cast<std::ptrdiff_t>(stream.sent);
  out.insert(out.end(), begin, begin + static_cast<std::ptrdiff_t>(take));
  stream.sent += take;
  bytes_ -= take;
  if ((flags & kLastChunk) != 0) {
    if (multi_chunk) begun_bytes_ -= size;
    stream.messages.pop_front();
    stream.sent = 0;
  }
  if (stream.messages.empty()) {
    streams_.erase(found);
  } else {
    turns_.push_back(id);
  }
  return take;
}

void SendQueue::clear() {
  streams_.clear();
  turns_.clear();
  bytes_ = 0;
  begun_bytes_ = 0;
}

}  // namespace lunatic::cluster
