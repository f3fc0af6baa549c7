// The mailbox: arrival order, selective receive by tag, skipping messages already queued.
#include <gtest/gtest.h>

#include <vector>

#include "runtime/mailbox.hpp"

namespace lunatic::runtime {
namespace {

std::unique_ptr<Message> data(std::int64_t tag, std::uint8_t byte) {
  auto message = std::make_unique<Message>();
  message->tag = tag;
  message->data = {byte};
  return message;
}

TEST(Mailbox, AnUntaggedReceiveTakesMessagesInArrivalOrder) {
  Mailbox mailbox;
  for (std::uint8_t i = 0; i < 5; ++i) mailbox.push(data(i % 2 ? 7 : 0, i));
  for (std::uint8_t i = 0; i < 5; ++i) {
    auto message = mailbox.take({});
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(message->data[0], i);
  }
  EXPECT_EQ(mailbox.take({}), nullptr);
}

TEST(Mailbox, ATaggedReceiveTakesTheFirstMatchAndKeepsTheOrderOfTheRest) {
  Mailbox mailbox;
  mailbox.push(data(1, 10));
  mailbox.push(data(2, 20));
  mailbox.push(data(3, 30));
  mailbox.push(data(2, 21));
  const std::int64_t wanted[] = {2, 9};
  auto first = mailbox.take(wanted);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->data[0], 20);
  std::vector<int> rest;
  while (auto message = mailbox.take({})) rest.push_back(message->data[0]);
  EXPECT_EQ(rest, (std::vector<int>{10, 30, 21}));
}

TEST(Mailbox, ATaggedReceiveNeverTakesAnUntaggedMessage) {
  Mailbox mailbox;
  mailbox.push(data(0, 1));
  const std::int64_t wanted[] = {0};
  EXPECT_EQ(mailbox.take(wanted), nullptr);
  EXPECT_EQ(mailbox.size(), 1u);
}

TEST(Mailbox, ATaggedReceiveFindsTaggedMessagesAmongAnUntaggedFloodAndNoneOnceTaken) {
  Mailbox mailbox;
  const std::int64_t wanted[] = {7};
  for (int i = 0; i < 1000; ++i) mailbox.push(data(0, 1));
  EXPECT_EQ(mailbox.take(wanted), nullptr);
  mailbox.push(data(7, 2));
  mailbox.push(data(8, 3));
  for (int i = 0; i < 10; ++i) mailbox.push(data(0, 1));
  auto seven = mailbox.take(wanted);
  ASSERT_NE(seven, nullptr);
  EXPECT_EQ(seven->data[0], 2);
  EXPECT_EQ(mailbox.take(wanted), nullptr);
  const std::int64_t eight[] = {8};
  ASSERT_NE(mailbox.take(eight), nullptr);
  EXPECT_EQ(mailbox.take(eight), nullptr);
  EXPECT_EQ(mailbox.size(), 1010u);
  std::vector<std::unique_ptr<Message>> all;
  mailbox.take_all(all);
  mailbox.push(data(7, 4));  // counted afresh after take_all
  ASSERT_NE(mailbox.take(wanted), nullptr);
}

TEST(Mailbox, SkippedMessagesAreNotSearched) {
  Mailbox mailbox;
  mailbox.push(data(5, 1));
  mailbox.push(data(5, 2));
  const std::int64_t wanted[] = {5};
  auto message = mailbox.take(wanted, /*skip=*/1);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->data[0], 2);
  EXPECT_EQ(mailbox.take(wanted, 1), nullptr);
  EXPECT_EQ(mailbox.size(), 1u);
}

TEST(Mailbox, TakingTheLastMessageKeepsTheQueueUsable) {
  Mailbox mailbox;
  mailbox.push(data(1, 1));
  mailbox.push(data(2, 2));
  const std::int64_t two[] = {2};
  ASSERT_NE(mailbox.take(two), nullptr);  // the tail
  mailbox.push(data(3, 3));
  std::vector<int> rest;
  while (auto message = mailbox.take({})) rest.push_back(message->data[0]);
  EXPECT_EQ(rest, (std::vector<int>{1, 3}));
}

}  // namespace
}  // namespace lunatic::runtime
