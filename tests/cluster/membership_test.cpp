// Membership against a real etcd 3.4: members see each other come and go, a crashed member goes
// after its TTL, a restarted one takes its name back, and a member outlives the store's outage.
#include "cluster/membership.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "cluster/process_id.hpp"
#include "etcd_store_test.hpp"
#include "eventually.hpp"
#include "shared/etcd_server.hpp"

namespace lunatic::cluster {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;
using testing::eventually;

// What one listener heard, and the status lines of one member, for checks from the test thread.
// Declared before the members it listens to, so it outlives their threads.
class Seen {
 public:
  Membership::Listener listener() {
    return [this](const NodeRecord& node, bool joined) {
      std::lock_guard lock(mutex_);
      events_.emplace_back(node.id, joined);
    };
  }
  std::function<void(std::string_view)> status_sink() {
    return [this](std::string_view line) {
      std::lock_guard lock(mutex_);
      statuses_.emplace_back(line);
    };
  }
  std::function<void(std::int64_t)> rejoined_sink() {
    return [this](std::int64_t incarnation) {
      std::lock_guard lock(mutex_);
      rejoined_.push_back(incarnation);
    };
  }
  std::vector<std::int64_t> rejoined() const {
    std::lock_guard lock(mutex_);
    return rejoined_;
  }
  int count(std::uint64_t id, bool joined) const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(std::count(events_.begin(), events_.end(), std::pair{id, joined}));
  }
  bool said(std::string_view text) const {
    std::lock_guard lock(mutex_);
    return std::any_of(statuses_.begin(), statuses_.end(),
                       [&](const std::string& line) { return line.find(text) != line.npos; });
  }
  std::string statuses() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const std::string& line : statuses_) all += line + "\n";
    return all;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::uint64_t, bool>> events_;
  std::vector<std::string> statuses_;
  std::vector<std::int64_t> rejoined_;
};

class MembershipTest : public testing::EtcdStoreTest {
 protected:
  MembershipOptions options(const std::string& name, std::chrono::seconds ttl,
                            Seen* seen = nullptr) {
    MembershipOptions out;
    out.cluster = "test";
    out.name = name;
    out.address = "127.0.0.1:" + std::to_string(7000 + name.size());
    out.tags = {{"zone", "eu"}, {"who", name}};
    out.ttl = ttl;
    if (seen != nullptr) {
      out.on_status = seen->status_sink();
      out.on_rejoined = seen->rejoined_sink();
    }
    return out;
  }

  std::unique_ptr<Membership> join(const std::string& name, std::chrono::seconds ttl = 2s,
                                   Seen* seen = nullptr) {
    auto member = Membership::join(*store_, options(name, ttl, seen));
    EXPECT_TRUE(member) << member.error().message;
    return member ? std::move(member).value() : nullptr;
  }

  bool exists(const std::string& key) {
    auto got = store_->get(key);
    return got && got->has_value();
  }
};

TEST_F(MembershipTest, TwoMembersSeeEachOtherJoinAndLeave) {
  Seen seen_by_a;
  auto a = join("a");
  ASSERT_TRUE(a);
  a->subscribe(seen_by_a.listener());
  EXPECT_EQ(seen_by_a.count(a->id(), true), 1) << "subscribe replays the current members";

  auto b = join("b");
  ASSERT_TRUE(b);
  EXPECT_GT(b->id(), a->id());
  EXPECT_GE(a->id(), 1u);
  EXPECT_EQ(b->nodes().size(), 2u) << "a new member starts from the store's current view";
  auto a_seen_by_b = b->node(a->id());
  ASSERT_TRUE(a_seen_by_b);
  EXPECT_EQ(a_seen_by_b->name, "a");
  EXPECT_EQ(a_seen_by_b->address, a->self().address);
  EXPECT_EQ(a_seen_by_b->tags, a->self().tags);
  EXPECT_EQ(a_seen_by_b->incarnation, a->self().incarnation);

  EXPECT_TRUE(eventually(1s, [&] { return seen_by_a.count(b->id(), true) == 1; }));
  EXPECT_TRUE(a->node(b->id()));

  const std::uint64_t b_id = b->id();
  const auto leaving = std::chrono::steady_clock::now();
  b->leave();
  EXPECT_LT(std::chrono::steady_clock::now() - leaving, 1s);
  b->leave();  // idempotent
  EXPECT_FALSE(exists("test/nodes/" + std::to_string(b_id)));
  EXPECT_FALSE(exists("test/names/b"));
  EXPECT_TRUE(eventually(1s, [&] { return seen_by_a.count(b_id, false) == 1; }));
  EXPECT_FALSE(a->node(b_id));
  b.reset();  // the destructor after leave does nothing more
  EXPECT_EQ(a->nodes().size(), 1u);
}

TEST_F(MembershipTest, ACrashedMemberLeavesTheOthersViewAfterItsTtlAndItsNameCanBeTakenAgain) {
  Seen seen_by_a;
  auto a = join("a");
  auto b = join("b");
  ASSERT_TRUE(a && b);
  a->subscribe(seen_by_a.listener());
  ASSERT_TRUE(eventually(1s, [&] { return seen_by_a.count(b->id(), true) == 1; }));
  const std::uint64_t b_id = b->id();

  const auto crash = std::chrono::steady_clock::now();
  b->abandon();
  EXPECT_TRUE(eventually(5s, [&] { return seen_by_a.count(b_id, false) == 1; }));
  const auto gone_after = std::chrono::steady_clock::now() - crash;
  EXPECT_GE(gone_after, 1s) << "not before its lease could expire";
  EXPECT_FALSE(exists("test/names/b"));

  auto again = join("b");
  ASSERT_TRUE(again);
  EXPECT_GT(again->id(), b_id) << "ids are never reused";
  EXPECT_TRUE(eventually(1s, [&] { return seen_by_a.count(again->id(), true) == 1; }));
  auto name = store_->get("test/names/b");
  ASSERT_TRUE(name && name->has_value());
  EXPECT_EQ((*name)->value, std::to_string(again->id()));
}

TEST_F(MembershipTest, ANodeRestartedUnderItsNameEvictsItsOldIncarnationAtOnce) {
  Seen seen_by_a;
  Seen restarted_status;
  auto a = join("a");
  auto b = join("b", 30s);
  ASSERT_TRUE(a && b);
  a->subscribe(seen_by_a.listener());
  const std::uint64_t old_id = b->id();
  b->abandon();  // a crash: its lease would keep it for 30 s

  const auto restart = std::chrono::steady_clock::now();
  auto restarted = join("b", 2s, &restarted_status);
  ASSERT_TRUE(restarted);
  EXPECT_NE(restarted->id(), old_id);
  EXPECT_TRUE(eventually(1s, [&] { return seen_by_a.count(old_id, false) == 1; }));
  EXPECT_LT(std::chrono::steady_clock::now() - restart, 2s);
  EXPECT_TRUE(eventually(1s, [&] { return seen_by_a.count(restarted->id(), true) == 1; }));
  EXPECT_TRUE(restarted_status.said("evicting node " + std::to_string(old_id)))
      << restarted_status.statuses();
  EXPECT_FALSE(exists("test/nodes/" + std::to_string(old_id)));
}

TEST_F(MembershipTest, JoiningUnderANameANewerNodeHoldsFailsAndLeavesNoRecord) {
  ASSERT_TRUE(store_->put("test/names/x", "1000"));
  auto member = Membership::join(*store_, options("x", 2s));
  ASSERT_FALSE(member);
  EXPECT_EQ(member.error().code, Errc::kInvalidArgument);
  EXPECT_NE(member.error().message.find("joined later"), std::string::npos)
      << member.error().message;
  auto nodes = store_->range_prefix("test/nodes/");
  ASSERT_TRUE(nodes);
  EXPECT_TRUE(nodes->kvs.empty());
  auto name = store_->get("test/names/x");
  ASSERT_TRUE(name && name->has_value());
  EXPECT_EQ((*name)->value, "1000");
}

TEST_F(MembershipTest, NodeIdsRunOutPastTheLimitOfProcessIds) {
  ASSERT_TRUE(store_->put("test/next_node_id", std::to_string(kMaxNodeId)));
  auto member = Membership::join(*store_, options("late", 2s));
  ASSERT_FALSE(member);
  EXPECT_EQ(member.error().code, Errc::kLimitReached);
}

TEST_F(MembershipTest, AMemberWhoseLeaseEndedBehindItsBackRejoinsUnderItsIdAndName) {
  Seen b_status;
  Seen seen_by_a;
  auto a = join("a");
  auto b = join("b", 2s, &b_status);
  ASSERT_TRUE(a && b);
  a->subscribe(seen_by_a.listener());
  const std::string b_key = "test/nodes/" + std::to_string(b->id());
  auto record = store_->get(b_key);
  ASSERT_TRUE(record && record->has_value());
  const std::int64_t incarnation = b->self().incarnation;

  // What the others see when the store presumes b dead: its lease is gone.
  ASSERT_TRUE(store_->revoke((*record)->lease));
  EXPECT_TRUE(eventually(1s, [&] { return seen_by_a.count(b->id(), false) == 1; }));
  EXPECT_TRUE(eventually(3s, [&] { return seen_by_a.count(b->id(), true) == 2; }))
      << b_status.statuses();
  // b says so once its keys are written, which a's watch may see first.
  EXPECT_TRUE(eventually(3s, [&] { return b_status.said("rejoined"); })) << b_status.statuses();
  auto back = store_->get(b_key);
  ASSERT_TRUE(back && back->has_value());
  EXPECT_NE((*back)->lease, (*record)->lease);
  auto name = store_->get("test/names/b");
  ASSERT_TRUE(name && name->has_value());
  EXPECT_EQ((*name)->value, std::to_string(b->id()));
  EXPECT_NE(b->self().incarnation, incarnation);
  // Told once, with the new incarnation, so the node can end what it had in the old one.
  EXPECT_EQ(b_status.rejoined(), std::vector<std::int64_t>{b->self().incarnation});
  auto seen = a->node(b->id());
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->incarnation, b->self().incarnation);
}

TEST_F(MembershipTest, AMemberKeepsItsViewThroughAStoreOutageAndIsThereAfterTheRestart) {
  Seen a_status;
  auto a = join("a", 3s, &a_status);
  auto b = join("b", 3s);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually(1s, [&] { return a->nodes().size() == 2; }));

  etcd_->kill();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(a->nodes().size(), 2u) << "the last view stays while the store is away";
  EXPECT_TRUE(a_status.said("lost contact")) << a_status.statuses();

  auto restarted = etcd_->restart();
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_TRUE(eventually(5s, [&] { return a_status.said("the store answers again"); }))
      << a_status.statuses();
  EXPECT_TRUE(exists("test/nodes/" + std::to_string(a->id())));
  EXPECT_TRUE(exists("test/nodes/" + std::to_string(b->id())));
  // The watch is back too: a newcomer shows up in a's view.
  auto c = join("c");
  ASSERT_TRUE(c);
  EXPECT_TRUE(eventually(3s, [&] { return a->node(c->id()).has_value(); }));
  // And the keepalives hold: past another TTL, both are still there.
  std::this_thread::sleep_for(3500ms);
  EXPECT_TRUE(exists("test/nodes/" + std::to_string(a->id()))) << a_status.statuses();
  EXPECT_TRUE(exists("test/nodes/" + std::to_string(b->id())));
}

TEST_F(MembershipTest, LeavingIsPromptWhileTheStoreIsDown) {
  Seen status;
  auto a = join("a", 2s, &status);
  ASSERT_TRUE(a);
  etcd_->kill();
  std::this_thread::sleep_for(500ms);
  const auto leaving = std::chrono::steady_clock::now();
  a->leave();
  EXPECT_LT(std::chrono::steady_clock::now() - leaving, 1s);
  EXPECT_TRUE(status.said("could not revoke")) << status.statuses();
}

TEST(MembershipUnreachable, JoiningFailsQuicklyNamingTheStore) {
  const std::uint16_t port = testing::free_loopback_port();
  auto store = StoreClient::create("127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(store);
  MembershipOptions options;
  options.name = "lonely";
  const auto start = std::chrono::steady_clock::now();
  auto member = Membership::join(*store, options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ASSERT_FALSE(member);
  EXPECT_NE(member.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << member.error().message;
}

TEST(MembershipOptionsCheck, ANameAndAPositiveTtlAreRequired) {
  auto store = StoreClient::create("127.0.0.1:1");
  ASSERT_TRUE(store);
  MembershipOptions nameless;
  auto member = Membership::join(*store, nameless);
  ASSERT_FALSE(member);
  EXPECT_EQ(member.error().code, Errc::kInvalidArgument);
  MembershipOptions instant;
  instant.name = "n";
  instant.ttl = 0s;
  member = Membership::join(*store, instant);
  ASSERT_FALSE(member);
  EXPECT_EQ(member.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace lunatic::cluster
