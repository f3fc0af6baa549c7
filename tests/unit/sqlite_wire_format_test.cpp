// src/sqlite/wire_format: bind lists decoded from Lunatic's bincode straight into a statement,
// rows and errors encoded as lunatic-rs decodes them, malformed input refused with where.
#include "sqlite/wire_format.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <string>
#include <vector>

namespace lunatic::sqlite {
namespace {

class Bytes {
 public:
  template <class T>
  Bytes& put(T value) {
    const auto at = bytes_.size();
    bytes_.resize(at + sizeof value);
    std::memcpy(bytes_.data() + at, &value, sizeof value);
    return *this;
  }
  Bytes& text(const std::string& text) {
    put<std::uint64_t>(text.size());
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

class WireFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT ?1, ?2, :name, ?4", -1, &stmt_, nullptr), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  std::vector<std::uint8_t> row() {
    EXPECT_EQ(sqlite3_step(stmt_), SQLITE_ROW);
    std::vector<std::uint8_t> out;
    encode_row(stmt_, out);
    return out;
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

TEST_F(WireFormat, EveryBindValueLandsWhereItsKeySays) {
  Bytes list;
  list.put<std::uint64_t>(4);
  list.put<std::uint32_t>(1).put<std::uint64_t>(2).put<std::uint32_t>(4).put<std::int32_t>(-5);
  list.put<std::uint32_t>(2).text("name").put<std::uint32_t>(3).put<double>(0.5);
  list.put<std::uint32_t>(1).put<std::uint64_t>(4).put<std::uint32_t>(1).text("ab");
  list.put<std::uint32_t>(0).put<std::uint32_t>(2).text("first");  // None binds at 1
  EXPECT_EQ(bind_list(stmt_, list.bytes()), "");
  Bytes expected;
  expected.put<std::uint64_t>(4);
  expected.put<std::uint32_t>(2).text("first");
  expected.put<std::uint32_t>(4).put<std::int64_t>(-5);
  expected.put<std::uint32_t>(3).put<double>(0.5);
  expected.put<std::uint32_t>(1).text("ab");
  EXPECT_EQ(row(), expected.bytes());
}

TEST_F(WireFormat, NullAndInt64AndAnEmptyBlobStayWhatTheyAre) {
  Bytes list;
  list.put<std::uint64_t>(3);
  list.put<std::uint32_t>(1).put<std::uint64_t>(1).put<std::uint32_t>(0);
  list.put<std::uint32_t>(1).put<std::uint64_t>(2).put<std::uint32_t>(5).put<std::int64_t>(1LL
                                                                                           << 40);
  list.put<std::uint32_t>(2).text(":name").put<std::uint32_t>(1).put<std::uint64_t>(0);
  EXPECT_EQ(bind_list(stmt_, list.bytes()), "");
  Bytes expected;
  expected.put<std::uint64_t>(4);
  expected.put<std::uint32_t>(0);
  expected.put<std::uint32_t>(4).put<std::int64_t>(1LL << 40);
  expected.put<std::uint32_t>(1).put<std::uint64_t>(0);  // x'', not NULL
  expected.put<std::uint32_t>(0);                        // ?4 never bound
  EXPECT_EQ(row(), expected.bytes());
}

TEST_F(WireFormat, MalformedListsAreRefusedNamingThePair) {
  EXPECT_EQ(bind_list(stmt_, {}), "bind list: no length");
  Bytes huge;
  huge.put<std::uint64_t>(~std::uint64_t{0});
  EXPECT_EQ(bind_list(stmt_, huge.bytes()), "bind list: pair 0 is malformed");
  Bytes bad_key;
  bad_key.put<std::uint64_t>(1).put<std::uint32_t>(7).put<std::uint32_t>(0);
  EXPECT_EQ(bind_list(stmt_, bad_key.bytes()), "bind list: pair 0 is malformed");
  Bytes short_text;
  short_text.put<std::uint64_t>(1).put<std::uint32_t>(0).put<std::uint32_t>(2).put<std::uint64_t>(
      99);
  EXPECT_EQ(bind_list(stmt_, short_text.bytes()), "bind list: pair 0 is malformed");
  Bytes bad_value;
  bad_value.put<std::uint64_t>(2).put<std::uint32_t>(0).put<std::uint32_t>(0);
  bad_value.put<std::uint32_t>(0).put<std::uint32_t>(6);
  EXPECT_EQ(bind_list(stmt_, bad_value.bytes()), "bind list: pair 1 is malformed");
}

TEST_F(WireFormat, AnIndexOrNameTheStatementLacksIsRefused) {
  Bytes index;
  index.put<std::uint64_t>(1).put<std::uint32_t>(1).put<std::uint64_t>(9).put<std::uint32_t>(0);
  EXPECT_EQ(bind_list(stmt_, index.bytes()), "bind list: pair 0: column index out of range");
  Bytes zero;
  zero.put<std::uint64_t>(1).put<std::uint32_t>(1).put<std::uint64_t>(0).put<std::uint32_t>(0);
  EXPECT_EQ(bind_list(stmt_, zero.bytes()), "bind list: pair 0: no parameter 0");
  Bytes name;
  name.put<std::uint64_t>(1).put<std::uint32_t>(2).text("other").put<std::uint32_t>(0);
  EXPECT_EQ(bind_list(stmt_, name.bytes()), "bind list: pair 0: no parameter named 'other'");
}

TEST(WireFormatEncoding, ErrorsAndStringListsAreBincode) {
  std::vector<std::uint8_t> out;
  encode_error(19u, std::string("no"), out);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 19, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 'n', 'o'}));
  out.clear();
  encode_error(std::nullopt, std::nullopt, out);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0, 0}));
  out.clear();
  encode_strings({"a", ""}, out);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{2, 0, 0, 0,   0, 0, 0, 0, 1, 0, 0, 0, 0,
                                            0, 0, 0, 'a', 0, 0, 0, 0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace lunatic::sqlite
