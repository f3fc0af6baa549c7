#include "runtime/mailbox.hpp"

#include <algorithm>

namespace lunatic::runtime {

Mailbox::~Mailbox() {
  while (head_ != nullptr) {
    Node* next = head_->next;
    delete head_;
    head_ = next;
  }
}

void Mailbox::push(std::unique_ptr<Message> message) {
  Node* node = new Node{std::move(message), nullptr};
  if (tail_ == nullptr) {
    head_ = tail_ = node;
  } else {
    tail_->next = node;
    tail_ = node;
  }
  ++size_;
}

void Mailbox::take_all(std::vector<std::unique_ptr<Message>>& out) {
  out.reserve(out.size() + size_);
  while (head_ != nullptr) {
    Node* next = head_->next;
    out.push_back(std::move(head_->message));
    delete head_;
    head_ = next;
  }
  tail_ = nullptr;
  size_ = 0;
}

bool Mailbox::matches(const Message& message, std::span<const std::int64_t> tags) {
  if (tags.empty()) return true;
  // As in Lunatic, a tagged receive only takes messages that carry a tag.
  return message.tag != 0 && std::find(tags.begin(), tags.end(), message.tag) != tags.end();
}

std::unique_ptr<Message> Mailbox::take(std::span<const std::int64_t> tags, std::size_t skip) {
  Node* previous = nullptr;
  for (Node* node = head_; node != nullptr; previous = node, node = node->next) {
    if (skip > 0) {
      --skip;
      continue;
    }
    if (!matches(*node->message, tags)) continue;
    (previous == nullptr ? head_ : previous->next) = node->next;
    if (tail_ == node) tail_ = previous;
    --size_;
    std::unique_ptr<Message> message = std::move(node->message);
    delete node;
    return message;
  }
  return nullptr;
}

}  // namespace lunatic::runtime
