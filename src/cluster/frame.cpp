#include "cluster/frame.hpp"

#include <algorithm>

namespace lunatic::cluster {
namespace {

template <class T>
void put(std::vector<std::uint8_t>& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<std::uint8_t>(value >> 8 * i));
}

template <class T>
T get(const std::uint8_t* bytes) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(T{bytes[i]} << 8 * i);
  return value;
}

// Reads hello fields front to back; any read past the end leaves it failed.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  template <class T>
  T number() {
    if (!take(sizeof(T))) return 0;
    return get<T>(bytes_.data() + position_ - sizeof(T));
  }
  std::string text() {
    const auto length = number<std::uint16_t>();
    if (!take(length)) return {};
    return std::string(reinterpret_cast<const char*>(bytes_.data()) + position_ - length, length);
  }
  bool ok() const { return ok_; }
  bool at_end() const { return position_ == bytes_.size(); }

 private:
  bool take(std::size_t count) {
    if (!ok_ || bytes_.size() - position_ < count) return ok_ = false;
    position_ += count;
    return true;
  }
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

Error malformed(const std::string& what) {
  return make_error(Errc::kInvalidArgument, "malformed frame: " + what);
}

}  // namespace

void append_header(std::vector<std::uint8_t>& out, const FrameHeader& header) {
  put<std::uint32_t>(out, header.length);
  out.push_back(static_cast<std::uint8_t>(header.kind));
  out.push_back(header.flags);
  out.push_back(header.channel);
  out.push_back(0);
  put<std::uint64_t>(out, header.stream);
}

void append_control_frame(std::vector<std::uint8_t>& out, FrameKind kind,
                          std::span<const std::uint8_t> payload) {
  append_header(out, {static_cast<std::uint32_t>(payload.size()), kind, kWholeMessage, 0, 0});
  out.insert(out.end(), payload.begin(), payload.end());
}

std::vector<std::uint8_t> encode_hello(const Hello& hello) {
  std::vector<std::uint8_t> out;
  put<std::uint16_t>(out, hello.version);
  put<std::uint64_t>(out, hello.node_id);
  put<std::uint64_t>(out, hello.incarnation);
  for (const std::string* text : {&hello.node_name, &hello.cluster_name}) {
    // Names are bounded where they are configured; the cut keeps the frame within its limit.
    const std::size_t length = std::min<std::size_t>(text->size(), 1024);
    put<std::uint16_t>(out, static_cast<std::uint16_t>(length));
    out.insert(out.end(), text->begin(), text->begin() + static_cast<std::ptrdiff_t>(length));
  }
  return out;
}

Expected<Hello> decode_hello(std::span<const std::uint8_t> payload) {
  Reader reader(payload);
  Hello hello;
  hello.version = reader.number<std::uint16_t>();
  if (reader.ok() && hello.version != kProtocolVersion) {
    return make_error(Errc::kInvalidArgument, "the peer speaks protocol version " +
                                                  std::to_string(hello.version) + ", not " +
                                                  std::to_string(kProtocolVersion));
  }
  hello.node_id = reader.number<std::uint64_t>();
  hello.incarnation = reader.number<std::uint64_t>();
  hello.node_name = reader.text();
  hello.cluster_name = reader.text();
  if (!reader.ok()) return malformed("a hello shorter than its fields");
  if (!reader.at_end()) return malformed("bytes after the hello's fields");
  return hello;
}

Status FrameDecoder::feed(std::span<const std::uint8_t> bytes, std::vector<DecodedFrame>& out) {
  while (!failed_ && !bytes.empty()) {
    if (header_filled_ < kFrameHeaderSize) {
      const std::size_t take = std::min(bytes.size(), kFrameHeaderSize - header_filled_);
      std::copy_n(bytes.begin(), take, header_bytes_ + header_filled_);
      header_filled_ += take;
      bytes = bytes.subspan(take);
      if (header_filled_ < kFrameHeaderSize) break;
      if (auto checked = check_header(); !checked) {
        failed_ = true;
        failure_ = checked.error();
        break;
      }
      if (payload_left_ == 0) finish_frame(out);
      continue;
    }
    const std::size_t take = std::min(bytes.size(), payload_left_);
    target_->insert(target_->end(), bytes.begin(),
                    bytes.begin() + static_cast<std::ptrdiff_t>(take));
    if (header_.kind == FrameKind::kData && header_.flags != kWholeMessage) partial_bytes_ += take;
    payload_left_ -= take;
    bytes = bytes.subspan(take);
    if (payload_left_ == 0) finish_frame(out);
  }
  if (failed_) return failure_;
  return Ok{};
}

Status FrameDecoder::check_header() {
  const std::uint8_t* h = header_bytes_;
  header_.length = get<std::uint32_t>(h);
  header_.kind = static_cast<FrameKind>(h[4]);
  header_.flags = h[5];
  header_.channel = h[6];
  header_.stream = get<std::uint64_t>(h + 8);
  payload_left_ = header_.length;
  if (h[7] != 0) return malformed("the reserved header byte is not 0");
  // Texts for errors only: the common path makes no strings.
  const auto length_text = [&] { return std::to_string(header_.length); };
  const auto stream_text = [&] { return std::to_string(header_.stream); };
  switch (header_.kind) {
    case FrameKind::kHello:
    case FrameKind::kTick:
    case FrameKind::kGoodbye:
    case FrameKind::kPing:
    case FrameKind::kPong: {
      if (header_.flags != kWholeMessage || header_.channel != 0 || header_.stream != 0)
        return malformed("a control frame with chunk flags, a channel or a stream");
      const bool pinging = header_.kind == FrameKind::kPing || header_.kind == FrameKind::kPong;
      if (pinging && header_.length != kPingPayload)
        return malformed("a ping or pong of " + length_text() + " bytes, not 8");
      const std::size_t limit = header_.kind == FrameKind::kTick ? 0
                                : pinging                        ? kPingPayload
                                                                 : kMaxControlPayload;
      if (header_.length > limit) {
        return make_error(Errc::kLimitReached, "a control frame of " + length_text() +
                                                   " bytes (at most " + std::to_string(limit) +
                                                   ")");
      }
      control_.clear();
      target_ = &control_;
      return Ok{};
    }
    case FrameKind::kData:
      break;
    default:
      return malformed("unknown kind " + std::to_string(h[4]));
  }
  if ((header_.flags & ~kWholeMessage) != 0) return malformed("unknown chunk flags");
  if (header_.length > kMaxChunk) {
    return make_error(Errc::kLimitReached, "a chunk of " + length_text() + " bytes (at most " +
                                               std::to_string(kMaxChunk) + ")");
  }
  const auto found = partial_.find(header_.stream);
  if ((header_.flags & kFirstChunk) != 0 && found != partial_.end())
    return malformed("a message began on stream " + stream_text() + " before the last one ended");
  if ((header_.flags & kFirstChunk) == 0 && found == partial_.end())
    return malformed("a continued chunk on stream " + stream_text() + " with no message begun");
  if (header_.flags == kWholeMessage) {
    if (header_.length > limits_.max_message)
      return make_error(Errc::kLimitReached, "a message larger than the limit");
    single_ = DecodedFrame{FrameKind::kData, header_.channel, header_.stream, {}};
    target_ = &single_.payload;
    return Ok{};
  }
  Partial& partial = found != partial_.end() ? found->second : partial_[header_.stream];
  if ((header_.flags & kFirstChunk) != 0) {
    partial.channel = header_.channel;
  } else if (partial.channel != header_.channel) {
    return malformed("a chunk on stream " + stream_text() + " changed channel");
  }
  if (partial.bytes.size() + header_.length > limits_.max_message) {
    return make_error(Errc::kLimitReached, "a message on stream " + stream_text() +
                                               " larger than the limit of " +
                                               std::to_string(limits_.max_message) + " bytes");
  }
  if (partial_bytes_ + header_.length > limits_.max_partial_bytes) {
    return make_error(Errc::kLimitReached, "partly received messages over the limit of " +
                                               std::to_string(limits_.max_partial_bytes) +
                                               " bytes");
  }
  target_ = &partial.bytes;
  return Ok{};
}

void FrameDecoder::finish_frame(std::vector<DecodedFrame>& out) {
  header_filled_ = 0;
  if (header_.kind != FrameKind::kData) {
    out.push_back(DecodedFrame{header_.kind, 0, 0, std::move(control_)});
    control_ = {};
    return;
  }
  if (header_.flags == kWholeMessage) {
    out.push_back(std::move(single_));
    single_ = {};
    return;
  }
  if ((header_.flags & kLastChunk) == 0) return;
  const auto found = partial_.find(header_.stream);
  partial_bytes_ -= found->second.bytes.size();
  out.push_back(DecodedFrame{FrameKind::kData, found->second.channel, header_.stream,
                             std::move(found->second.bytes)});
  partial_.erase(found);
}

}  // namespace lunatic::cluster
