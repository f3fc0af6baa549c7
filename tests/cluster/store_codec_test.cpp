// The encodings between the cluster layer and etcd's JSON gateway: base64 for keys and values,
// and the JSON of a node record. No etcd needed.
#include <gtest/gtest.h>

#include "cluster/base64.hpp"
#include "cluster/node_record.hpp"

namespace lunatic::cluster {
namespace {

TEST(ClusterBase64, EncodesTheRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(ClusterBase64, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    const std::string part = all.substr(all.size() - length);
    auto decoded = base64_decode(base64_encode(part));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, part);
  }
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(ClusterBase64, RefusesWhatIsNotStrictBase64) {
  for (const char* bad : {"Zg=", "Zm9v\n", "Z===", "====", "Zg==Zg==", "Zm-v", "Zm9_"}) {
    auto decoded = base64_decode(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, Errc::kInvalidArgument);
  }
}

TEST(ClusterNodeRecord, RoundTripsThroughItsJson) {
  NodeRecord record{7, "worker-1", "10.0.0.7:7000", {{"zone", "eu"}, {"gpu", ""}}, 0};
  auto decoded = decode_node_record(encode_node_record(record));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, record);
  auto tagless = decode_node_record(R"({"id":3,"name":"n","address":"h:1"})");
  ASSERT_TRUE(tagless);
  EXPECT_TRUE(tagless->tags.empty());
}

TEST(ClusterNodeRecord, RefusesRecordsWithMissingOrMistypedFields) {
  for (const char* bad :
       {"", "[]", R"({"name":"n","address":"h:1"})", R"({"id":-1,"name":"n","address":"h:1"})",
        R"({"id":"1","name":"n","address":"h:1"})", R"({"id":1,"address":"h:1"})",
        R"({"id":1,"name":"n"})", R"({"id":1,"name":"n","address":"h:1","tags":[]})",
        R"({"id":1,"name":"n","address":"h:1","tags":{"k":1}})"}) {
    auto decoded = decode_node_record(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, Errc::kInvalidArgument);
  }
}

}  // namespace
}  // namespace lunatic::cluster
