#include "runtime/mailbox.hpp"

#include <algorithm>
#include <utility>

namespace lunatic::runtime {

Mailbox::~Mailbox() {
  while (head_ != nullptr) delete std::exchange(head_, head_->next_in_mailbox);
}

void Mailbox::push(std::unique_ptr<Message> message) {
  Message* node = message.release();
  node->next_in_mailbox = nullptr;
  (tail_ == nullptr ? head_ : tail_->next_in_mailbox) = node;
  tail_ = node;
  ++size_;
  tagged_ += node->tag != 0;
  data_bytes_ += node->data.size();
}

void Mailbox::take_all(std::vector<std::unique_ptr<Message>>& out) {
  out.reserve(out.size() + size_);
  while (head_ != nullptr) out.emplace_back(std::exchange(head_, head_->next_in_mailbox));
  tail_ = nullptr;
  size_ = 0;
  tagged_ = 0;
  data_bytes_ = 0;
}

bool Mailbox::matches(const Message& message, std::span<const std::int64_t> tags) {
  if (tags.empty()) return true;
  // As in Lunatic, a tagged receive only takes messages that carry a tag.
  return message.tag != 0 && std::find(tags.begin(), tags.end(), message.tag) != tags.end();
}

std::unique_ptr<Message> Mailbox::take(std::span<const std::int64_t> tags, std::size_t skip) {
  if (!tags.empty() && tagged_ == 0) return nullptr;  // only tagged messages can match
  Message* previous = nullptr;
  for (Message* node = head_; node != nullptr; previous = node, node = node->next_in_mailbox) {
    if (skip > 0) {
      --skip;
      continue;
    }
    if (!matches(*node, tags)) continue;
    (previous == nullptr ? head_ : previous->next_in_mailbox) = node->next_in_mailbox;
    if (tail_ == node) tail_ = previous;
    --size_;
    tagged_ -= node->tag != 0;
    data_bytes_ -= node->data.size();
    node->next_in_mailbox = nullptr;
    return std::unique_ptr<Message>(node);
  }
  return nullptr;
}

}  // namespace lunatic::runtime
