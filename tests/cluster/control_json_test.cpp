// The etcd gateway JSON mapping: base64, int64 strings, omitted defaults, both input spellings.
#include <gtest/gtest.h>

#include <string>

#include "cluster/control_json.hpp"

namespace lunatic::cluster::control {
namespace {

TEST(ControlJson, Base64IsTheStandardAlphabetWithPadding) {
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
  for (const std::string& bytes : {std::string("foo"), std::string("fo"), std::string("f"),
                                   std::string("\0\xff\x80", 3), std::string()}) {
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, bytes);
  }
}

TEST(ControlJson, MalformedBase64IsRefused) {
  for (const char* bad : {"Zm9", "Zm9v!", "Z===", "Zg=a", "-_8=", "Zg==Zg=="}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

TEST(ControlJson, ABodyMayHoldSeveralObjectsAndAnEmptyOneIsEmpty) {
  auto objects = parse_objects(R"({"ID":"1"} {"ID":"2"})"
                               "\n"
                               R"({"a":"}{"})");
  ASSERT_TRUE(objects) << objects.error().message;
  ASSERT_EQ(objects->size(), 3u);
  EXPECT_EQ((*objects)[1]["ID"], "2");
  EXPECT_EQ((*objects)[2]["a"], "}{");
  auto empty = parse_objects("  \n");
  ASSERT_TRUE(empty);
  ASSERT_EQ(empty->size(), 1u);
  EXPECT_TRUE((*empty)[0].empty());
  EXPECT_FALSE(parse_objects(R"({"key": )"));
  EXPECT_FALSE(parse_objects("[1]"));
  EXPECT_FALSE(parse_objects(R"({"a":1} x)"));
}

TEST(ControlJson, InputTakesProtoNamesAndLowerCamelAndNumbersAsStrings) {
  auto snake = decode_range(Json::parse(R"({"key":"Zm9v","range_end":"Zm9w","limit":"2"})"));
  ASSERT_TRUE(snake) << snake.error().message;
  EXPECT_EQ(snake->range.key, "foo");
  EXPECT_EQ(snake->range.range_end, "fop");
  EXPECT_EQ(snake->limit, 2);
  auto camel = decode_range(Json::parse(R"({"key":"Zm9v","rangeEnd":"Zm9w","limit":2})"));
  ASSERT_TRUE(camel) << camel.error().message;
  EXPECT_EQ(camel->range.range_end, "fop");
  EXPECT_EQ(camel->limit, 2);
}

TEST(ControlJson, UnknownFieldsAreIgnoredAsEtcdDoes) {
  auto unknown = decode_put(Json::parse(R"({"key":"Zm9v","valeu":"YmFy"})"));
  ASSERT_TRUE(unknown) << unknown.error().message;
  EXPECT_EQ(unknown->key, "foo");
  EXPECT_TRUE(unknown->value.empty());
}

TEST(ControlJson, WrongTypesAreRefusedByFieldName) {
  auto not_int = decode_put(Json::parse(R"({"key":"Zm9v","lease":"12x"})"));
  ASSERT_FALSE(not_int);
  EXPECT_NE(not_int.error().message.find("lease"), std::string::npos);
  auto not_base64 = decode_put(Json::parse(R"({"key":"not base64"})"));
  ASSERT_FALSE(not_base64);
  EXPECT_NE(not_base64.error().message.find("key"), std::string::npos);
  EXPECT_FALSE(decode_put(Json::parse(R"({"key":"Zm9v","prev_kv":"yes"})")));
  EXPECT_FALSE(decode_put(Json::parse(R"("a string")")));
}

TEST(ControlJson, ATxnDecodesEtcdsCreateIfAbsentInBothSpellings) {
  const char* snake = R"({"compare":[{"key":"bmFtZQ==","target":"CREATE","result":"EQUAL",
      "create_revision":"0"}],"success":[{"request_put":{"key":"bmFtZQ==","value":"YQ==",
      "lease":"7"}}],"failure":[{"request_range":{"key":"bmFtZQ=="}}]})";
  const char* camel = R"({"compare":[{"key":"bmFtZQ==","target":1,"result":0,
      "createRevision":"0"}],"success":[{"requestPut":{"key":"bmFtZQ==","value":"YQ==",
      "lease":7}}],"failure":[{"requestRange":{"key":"bmFtZQ=="}}]})";
  for (const char* text : {snake, camel}) {
    auto txn = decode_txn(Json::parse(text));
    ASSERT_TRUE(txn) << txn.error().message;
    ASSERT_EQ(txn->compare.size(), 1u);
    EXPECT_EQ(txn->compare[0].target, Compare::Target::kCreate);
    EXPECT_EQ(txn->compare[0].result, Compare::Result::kEqual);
    EXPECT_EQ(txn->compare[0].range.key, "name");
    const auto& put = std::get<PutRequest>(txn->success.at(0));
    EXPECT_EQ(put.value, "a");
    EXPECT_EQ(put.lease, 7);
    EXPECT_EQ(std::get<RangeRequest>(txn->failure.at(0)).range.key, "name");
  }
  EXPECT_FALSE(decode_txn(Json::parse(R"({"compare":[{"key":"YQ==","target":"NEWEST"}]})")));
  auto empty_op = decode_txn(Json::parse(R"({"success":[{}]})"));
  ASSERT_FALSE(empty_op);
  EXPECT_EQ(empty_op.error().message, kErrKeyNotFound);
}

TEST(ControlJson, OutputOmitsDefaultsAndWritesInt64AsStrings) {
  StoredKey kv;
  kv.key = "foo";
  kv.create_revision = 2;
  kv.mod_revision = 2;
  kv.version = 1;
  EXPECT_EQ(dump(encode_kv(kv)),
            R"({"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1"})");
  RangeResponse empty;
  empty.revision = 5;
  EXPECT_EQ(dump(encode_range(empty, encode_header(HeaderIds{1, 2, 3}, 5))),
            R"({"header":{"cluster_id":"1","member_id":"2","revision":"5","raft_term":"3"}})");
  LeaseKeepAliveResponse unknown{5, 42, 0};
  EXPECT_EQ(dump(encode_lease_keepalive(unknown, Json::object())), R"({"header":{},"ID":"42"})");
  Event deleted;
  deleted.type = Event::Type::kDelete;
  deleted.kv.key = "a";
  deleted.kv.mod_revision = 9;
  EXPECT_EQ(dump(encode_event(deleted)),
            R"({"type":"DELETE","kv":{"key":"YQ==","mod_revision":"9"}})");
  EXPECT_EQ(
      dump(encode_header(HeaderIds{18446744073709551615u, 1, 2}, 3)),
      R"({"cluster_id":"18446744073709551615","member_id":"1","revision":"3","raft_term":"2"})");
}

TEST(ControlJson, TxnResponsesNestAHeaderWithTheRevisionOnly) {
  TxnResponse txn;
  txn.revision = 3;
  txn.succeeded = true;
  txn.responses.emplace_back(PutResponse{3, std::nullopt});
  EXPECT_EQ(
      dump(encode_txn(txn, encode_header(HeaderIds{}, 3))),
      R"({"header":{"revision":"3"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"3"}}}]})");
}

TEST(ControlJson, ErrorsCarryTheMessageAndTheGrpcCode) {
  EXPECT_EQ(
      dump(encode_error("etcdserver: requested lease not found", GrpcCode::kNotFound)),
      R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})");
  EXPECT_EQ(http_status_of(GrpcCode::kNotFound), 404);
  EXPECT_EQ(http_status_of(GrpcCode::kInvalidArgument), 400);
  EXPECT_EQ(http_status_of(GrpcCode::kUnauthenticated), 401);
}

}  // namespace
}  // namespace lunatic::cluster::control
