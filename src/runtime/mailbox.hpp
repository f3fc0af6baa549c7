// A process's queue of received messages, in arrival order, with selective receive by tag.
// Thread: guarded by the owning process's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "runtime/message.hpp"

namespace lunatic::runtime {

class Mailbox {
 public:
  Mailbox() = default;
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  void push(std::unique_ptr<Message> message);

  // Removes and returns the first message whose tag is one of `tags` (any message when `tags`
  // is empty), leaving the order of the rest untouched; nullptr when none matches. The first
  // `skip` messages are not looked at (they were there before a request was sent).
  std::unique_ptr<Message> take(std::span<const std::int64_t> tags, std::size_t skip = 0);

  // True when `message` would be taken by a receive for `tags`.
  static bool matches(const Message& message, std::span<const std::int64_t> tags);

  std::size_t size() const { return size_; }
  // Bytes of data the queued messages carry.
  std::size_t data_bytes() const { return data_bytes_; }

  // Moves every queued message into `out` (oldest first) and leaves the mailbox empty.
  void take_all(std::vector<std::unique_ptr<Message>>& out);

 private:
  // An intrusive singly linked list through Message::next_in_mailbox: an empty mailbox costs
  // two pointers, which matters with a million idle processes; a push allocates nothing; and a
  // selective take unlinks from the middle without moving the rest. The list owns its messages.
  Message* head_ = nullptr;
  Message* tail_ = nullptr;
  std::size_t size_ = 0;
  // Queued messages that carry a tag. A tagged receive finds nothing while this is 0, so a
  // flood of untagged messages does not make every request/reply wait scan all of it.
  std::size_t tagged_ = 0;
  std::size_t data_bytes_ = 0;
};

}  // namespace lunatic::runtime
