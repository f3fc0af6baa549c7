// The guest SDK's MessagePack codec, compiled for the host (the same headers guests
// use): exact bytes from the MessagePack spec, round trips of every supported type, and decoding
// of hostile input (truncated at every length, forged lengths, deep nesting, wrong shapes, random
// bytes), which must give an Error and never read out of bounds (this suite also runs under ASan).
#include <gtest/gtest.h>

#include <cmath>
#include <lunatic/msgpack.hpp>
#include <lunatic/result.hpp>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace {

using namespace lunatic;
using msgpack::from_bytes;
using msgpack::to_bytes;
using Bytes = std::vector<std::uint8_t>;

struct Inner {
  int id;
  std::string label;
};
enum class Color : std::uint8_t { kRed = 1, kBlue = 200 };
struct Everything {
  bool flag;
  std::int8_t small;
  std::uint64_t big;
  double ratio;
  float f;
  Color color;
  std::string text;
  Bytes blob;
  std::vector<Inner> items;
  std::map<std::string, int> counts;
  std::unordered_map<int, std::string> names;
  std::optional<Inner> maybe;
  std::pair<int, std::string> pair;
  std::variant<std::monostate, int, std::string> choice;
  std::array<std::int16_t, 3> triple;
};

Everything sample() {
  return Everything{true,
                    -100,
                    std::uint64_t{1} << 63,
                    0.25,
                    1.5f,
                    Color::kBlue,
                    std::string(40, 'x'),
                    Bytes{0, 1, 2, 255},
                    {{1, "one"}, {2, "two"}},
                    {{"a", 1}, {"b", -70000}},
                    {{7, "seven"}},
                    Inner{9, "nine"},
                    {3, "three"},
                    std::string("chosen"),
                    {-1, 0, 32767}};
}

TEST(SdkMsgpack, EncodesWithTheSmallestFormatOfTheSpec) {
  EXPECT_EQ(to_bytes(1), (Bytes{0x01}));
  EXPECT_EQ(to_bytes(-1), (Bytes{0xff}));
  EXPECT_EQ(to_bytes(-32), (Bytes{0xe0}));
  EXPECT_EQ(to_bytes(-33), (Bytes{0xd0, 0xdf}));
  EXPECT_EQ(to_bytes(200), (Bytes{0xcc, 0xc8}));
  EXPECT_EQ(to_bytes(65536), (Bytes{0xce, 0x00, 0x01, 0x00, 0x00}));
  EXPECT_EQ(to_bytes(std::int64_t{-2147483649LL}),
            (Bytes{0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff}));
  EXPECT_EQ(to_bytes(true), (Bytes{0xc3}));
  EXPECT_EQ(to_bytes(std::optional<int>()), (Bytes{0xc0}));
  EXPECT_EQ(to_bytes(std::string("hi")), (Bytes{0xa2, 'h', 'i'}));
  EXPECT_EQ(to_bytes(std::vector<int>{1, 2}), (Bytes{0x92, 0x01, 0x02}));
  EXPECT_EQ(to_bytes(std::map<std::string, int>{{"a", 1}}), (Bytes{0x81, 0xa1, 'a', 0x01}));
  EXPECT_EQ(to_bytes(1.0), (Bytes{0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(to_bytes(Bytes{7}), (Bytes{0xc4, 0x01, 0x07}));
  EXPECT_EQ(to_bytes(Inner{1, "a"}), (Bytes{0x92, 0x01, 0xa1, 'a'}));  // a struct: its fields
  EXPECT_EQ(to_bytes(std::variant<int, bool>(true)), (Bytes{0x92, 0x01, 0xc3}));
  EXPECT_EQ(to_bytes(std::string(32, 'z'))[0], 0xd9);
  EXPECT_EQ(to_bytes(std::vector<int>(16, 0))[0], 0xdc);
}

TEST(SdkMsgpack, EveryTypeRoundTrips) {
  const Everything original = sample();
  Result<Everything> back = from_bytes<Everything>(to_bytes(original));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->flag, original.flag);
  EXPECT_EQ(back->small, original.small);
  EXPECT_EQ(back->big, original.big);
  EXPECT_EQ(back->ratio, original.ratio);
  EXPECT_EQ(back->f, original.f);
  EXPECT_EQ(back->color, Color::kBlue);
  EXPECT_EQ(back->text, original.text);
  EXPECT_EQ(back->blob, original.blob);
  ASSERT_EQ(back->items.size(), 2u);
  EXPECT_EQ(back->items[1].label, "two");
  EXPECT_EQ(back->counts, original.counts);
  EXPECT_EQ(back->names, original.names);
  ASSERT_TRUE(back->maybe);
  EXPECT_EQ(back->maybe->label, "nine");
  EXPECT_EQ(back->pair, original.pair);
  EXPECT_EQ(std::get<std::string>(back->choice), "chosen");
  EXPECT_EQ(back->triple, original.triple);
}

TEST(SdkMsgpack, IntegersOfEveryWidthDecodeAndOutOfRangeIsAnError) {
  for (std::int64_t v : std::initializer_list<std::int64_t>{
           0LL,          127LL,        128LL,         255LL,         256LL,     65535LL,  65536LL,
           4294967295LL, 4294967296LL, -1LL,          -32LL,         -33LL,     -128LL,   -129LL,
           -32768LL,     -32769LL,     -2147483648LL, -2147483649LL, INT64_MIN, INT64_MAX}) {
    Result<std::int64_t> back = from_bytes<std::int64_t>(to_bytes(v));
    ASSERT_TRUE(back) << v;
    EXPECT_EQ(*back, v);
  }
  EXPECT_EQ(from_bytes<std::uint64_t>(to_bytes(UINT64_MAX)).value(), UINT64_MAX);
  EXPECT_FALSE(from_bytes<std::int64_t>(to_bytes(UINT64_MAX)));  // does not fit
  EXPECT_FALSE(from_bytes<std::int8_t>(to_bytes(128)));
  EXPECT_FALSE(from_bytes<std::uint8_t>(to_bytes(-1)));
  EXPECT_FALSE(from_bytes<std::uint16_t>(to_bytes(70000)));
  EXPECT_EQ(from_bytes<std::int8_t>(to_bytes(-128)).value(), -128);
  EXPECT_EQ(from_bytes<double>(to_bytes(3)).value(), 3.0);  // an integer is a number
  EXPECT_EQ(from_bytes<double>(to_bytes(2.5f)).value(), 2.5);
}

// Integers at and around the edges of every MessagePack integer format.
const std::int64_t kIntegerEdges[] = {0,
                                      1,
                                      127,
                                      128,
                                      255,
                                      256,
                                      32767,
                                      32768,
                                      65535,
                                      65536,
                                      2147483647LL,
                                      2147483648LL,
                                      4294967295LL,
                                      4294967296LL,
                                      -1,
                                      -32,
                                      -33,
                                      -128,
                                      -129,
                                      -32768,
                                      -32769,
                                      -2147483648LL,
                                      -2147483649LL,
                                      INT64_MIN,
                                      INT64_MAX};

// integer_exactly (the fast path of integer messages) must accept exactly what from_bytes
// accepts, with the same value, for every integer type.
template <class T>
void expect_integer_exactly_agrees(const Bytes& bytes) {
  const Result<T> general = from_bytes<T>(bytes);
  const std::optional<T> fast = msgpack::integer_exactly<T>(bytes);
  ASSERT_EQ(fast.has_value(), general.has_value())
      << "type size " << sizeof(T) << ", first byte " << (bytes.empty() ? -1 : int{bytes[0]})
      << ", " << bytes.size() << " bytes";
  if (fast) {
    EXPECT_EQ(*fast, *general);
  }
}

TEST(SdkMsgpack, TheIntegerFastPathAgreesWithTheGeneralDecoder) {
  std::vector<Bytes> inputs = {{},          {0xc0},       {0xc3},
                               {0xa1, 'x'}, {0x91, 0x01}, {0xcb, 0, 0, 0, 0, 0, 0, 0, 0}};
  for (std::int64_t v : kIntegerEdges) {
    inputs.push_back(to_bytes(v));
  }
  inputs.push_back(to_bytes(UINT64_MAX));
  // Every format byte with every payload length up to 9, filled with 0x00, 0x7f and 0xff.
  for (int format = 0; format < 256; ++format) {
    for (std::size_t length = 0; length <= 9; ++length) {
      for (std::uint8_t fill : {0x00, 0x7f, 0xff}) {
        Bytes bytes(length + 1, fill);
        bytes[0] = static_cast<std::uint8_t>(format);
        inputs.push_back(bytes);
      }
    }
  }
  // A valid integer with a byte after it.
  Bytes trailing = to_bytes(std::int64_t{300});
  trailing.push_back(0);
  inputs.push_back(trailing);
  for (const Bytes& bytes : inputs) {
    expect_integer_exactly_agrees<std::int8_t>(bytes);
    expect_integer_exactly_agrees<std::uint8_t>(bytes);
    expect_integer_exactly_agrees<std::int16_t>(bytes);
    expect_integer_exactly_agrees<std::uint16_t>(bytes);
    expect_integer_exactly_agrees<std::int32_t>(bytes);
    expect_integer_exactly_agrees<std::uint32_t>(bytes);
    expect_integer_exactly_agrees<std::int64_t>(bytes);
    expect_integer_exactly_agrees<std::uint64_t>(bytes);
    expect_integer_exactly_agrees<char>(bytes);
  }
}

template <class T>
void expect_integer_bytes_agree(T value) {
  const msgpack::IntegerBytes fast(value);
  EXPECT_EQ(Bytes(fast.bytes, fast.bytes + fast.size), to_bytes(value)) << +value;
}

TEST(SdkMsgpack, TheIntegerEncodingFastPathWritesWhatTheWriterWrites) {
  for (std::int64_t v : kIntegerEdges) {
    expect_integer_bytes_agree(v);
    expect_integer_bytes_agree(static_cast<std::int32_t>(v));
    expect_integer_bytes_agree(static_cast<std::int8_t>(v));
    expect_integer_bytes_agree(static_cast<std::uint64_t>(v));
    expect_integer_bytes_agree(static_cast<std::uint16_t>(v));
  }
}

TEST(SdkMsgpack, EveryTruncationIsAnErrorWithItsOffset) {
  const Bytes whole = to_bytes(sample());
  for (std::size_t n = 0; n < whole.size(); ++n) {
    Result<Everything> cut = from_bytes<Everything>(std::span<const std::uint8_t>(whole.data(), n));
    ASSERT_FALSE(cut) << "a prefix of " << n << " bytes decoded";
    EXPECT_EQ(cut.error().kind, ErrorKind::kDecode);
    EXPECT_NE(cut.error().message.find("at byte"), std::string::npos) << cut.error().message;
  }
}

TEST(SdkMsgpack, WrongShapesAreErrors) {
  EXPECT_FALSE(from_bytes<Inner>(to_bytes(std::make_pair(1, 2))));  // field of the wrong type
  EXPECT_FALSE(from_bytes<Inner>(to_bytes(std::vector<int>{1})));   // too few fields
  EXPECT_FALSE(from_bytes<Inner>(to_bytes(std::make_tuple(1, std::string("a"), 3))));  // too many
  EXPECT_FALSE(from_bytes<std::string>(to_bytes(5)));
  EXPECT_FALSE(from_bytes<bool>(to_bytes(1)));
  EXPECT_FALSE((from_bytes<std::array<int, 3>>(to_bytes(std::vector<int>{1, 2}))));
  EXPECT_FALSE((from_bytes<std::variant<int, bool>>(Bytes{0x92, 0x05, 0x01})));  // index 5 of 2
  EXPECT_FALSE(from_bytes<int>(Bytes{0x01, 0x02}));                              // trailing bytes
  EXPECT_FALSE(from_bytes<int>(Bytes{0xc1}));  // the reserved byte
  auto err = from_bytes<Inner>(to_bytes(std::vector<int>{1}));
  EXPECT_NE(err.error().message.find("expected 2 fields, found 1"), std::string::npos)
      << err.error().message;
}

TEST(SdkMsgpack, ForgedLengthsFailBeforeAllocating) {
  // Arrays, maps, strings and binaries that claim four billion elements in a few bytes.
  EXPECT_FALSE(from_bytes<std::vector<int>>(Bytes{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_FALSE((from_bytes<std::map<int, int>>(Bytes{0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01})));
  EXPECT_FALSE(from_bytes<std::string>(Bytes{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}));
  EXPECT_FALSE(from_bytes<Bytes>(Bytes{0xc6, 0xff, 0xff, 0xff, 0xff, 0x00}));
}

TEST(SdkMsgpack, DeepNestingIsRefused) {
  using Deep = std::vector<std::vector<std::vector<std::vector<int>>>>;
  EXPECT_TRUE(from_bytes<Deep>(to_bytes(Deep{{{{1}}}})));
  // 100,000 nested arrays: skipped (as an unknown value) or decoded, never a stack overflow.
  Bytes bomb(100000, 0x91);
  bomb.push_back(0x00);
  msgpack::Reader reader(bomb);
  Result<void> skipped = reader.skip();
  ASSERT_FALSE(skipped);
  EXPECT_NE(skipped.error().message.find("nested too deeply"), std::string::npos);
  using Tree = std::vector<std::optional<std::vector<std::optional<std::vector<int>>>>>;
  EXPECT_FALSE(from_bytes<Tree>(bomb));
}

TEST(SdkMsgpack, RandomBytesAndMutationsNeverCrash) {
  std::mt19937 random(12345);
  const Bytes valid = to_bytes(sample());
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes input;
    if (round % 2 == 0) {
      input.resize(random() % 64);
      for (auto& b : input) b = static_cast<std::uint8_t>(random());
    } else {
      input = valid;
      for (int flips = 1 + random() % 4; flips > 0; --flips) {
        input[random() % input.size()] = static_cast<std::uint8_t>(random());
      }
    }
    Result<Everything> value = from_bytes<Everything>(input);
    if (value) {
      ++decoded;
      // What decodes re-encodes to something that decodes again.
      EXPECT_TRUE(from_bytes<Everything>(to_bytes(*value)));
    } else {
      EXPECT_EQ(value.error().kind, ErrorKind::kDecode);
    }
    msgpack::Reader reader(input);
    (void)reader.skip();
  }
  RecordProperty("mutations_that_decoded", decoded);
}

// Writing across the end of a Buffer's inline bytes moves them to the heap intact.
TEST(SdkMsgpack, ValuesAroundAndFarPastTheInlineBufferRoundTrip) {
  const std::size_t inline_bytes = msgpack::Buffer::kInlineBytes;
  for (std::size_t n : {inline_bytes - 3, inline_bytes - 2, inline_bytes, inline_bytes + 1,
                        5 * inline_bytes, std::size_t{1} << 20}) {
    std::string text(n, '\0');
    for (std::size_t i = 0; i < n; ++i) text[i] = static_cast<char>(i * 31 + n);
    const Bytes bytes = to_bytes(text);
    EXPECT_EQ(bytes.size(), n + (n < 32 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5)) << n;
    EXPECT_EQ(from_bytes<std::string>(bytes).value(), text) << n;
  }
  msgpack::Buffer buffer;
  msgpack::Writer writer(buffer);
  for (int i = 0; i < 1000; ++i) writer.integer(i * 1000003LL);  // grows a few bytes at a time
  msgpack::Reader reader(buffer.bytes());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(reader.integer().value(), i * 1000003LL) << i;
  EXPECT_TRUE(reader.at_end());
}

}  // namespace
