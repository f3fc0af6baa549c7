// Node tags (`--tag k=v`) and the queries lookup_nodes selects nodes with.
#include <gtest/gtest.h>

#include "cluster/node_tags.hpp"
#include "cluster/process_id.hpp"

namespace lunatic::cluster {
namespace {

TEST(ClusterNodeTags, KeyValuePairsWithALaterValueWinning) {
  NodeTags tags;
  ASSERT_TRUE(add_tag(tags, "zone=eu"));
  ASSERT_TRUE(add_tag(tags, "gpu="));
  ASSERT_TRUE(add_tag(tags, "zone=us=east"));
  EXPECT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags["zone"], "us=east");
  EXPECT_EQ(tags["gpu"], "");
  for (const char* bad : {"", "zone", "=eu"}) {
    const Status added = add_tag(tags, bad);
    ASSERT_FALSE(added) << bad;
    EXPECT_EQ(added.error().code, Errc::kInvalidArgument);
  }
}

TEST(ClusterTagQuery, EveryTermMustMatchAndTheEmptyQueryMatchesAll) {
  NodeTags eu_gpu{{"zone", "eu"}, {"gpu", "1"}};
  NodeTags eu{{"zone", "eu"}};
  auto all = TagQuery::parse("");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->matches(eu_gpu));
  EXPECT_TRUE(all->matches({}));
  auto both = TagQuery::parse("zone=eu&gpu=1");
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->matches(eu_gpu));
  EXPECT_FALSE(both->matches(eu));
  auto other_zone = TagQuery::parse("zone=us");
  ASSERT_TRUE(other_zone);
  EXPECT_FALSE(other_zone->matches(eu_gpu));
  for (const char* bad : {"zone", "zone=eu&", "&zone=eu", "zone=eu&&gpu=1", "=1"}) {
    auto query = TagQuery::parse(bad);
    ASSERT_FALSE(query) << bad;
    EXPECT_NE(query.error().message.find(bad), std::string::npos) << query.error().message;
  }
}

TEST(ClusterProcessId, TheNodeIsReadFromTheIdAndNodeZeroKeepsSmallIds) {
  EXPECT_EQ(first_process_id(0), 1u);
  EXPECT_EQ(node_of(first_process_id(0) + 1'000'000), 0u);
  EXPECT_EQ(node_of(first_process_id(7)), 7u);
  EXPECT_EQ(node_of(first_process_id(kMaxNodeId)), kMaxNodeId);
  EXPECT_EQ(node_of(first_process_id(7) - 2), 6u);  // the last id node 6 can give
}

}  // namespace
}  // namespace lunatic::cluster
