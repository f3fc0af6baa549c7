// Reading and validating modules: every bad input is an error value that says what and where.
#include <gtest/gtest.h>
#include <wabt/ir.h>

#include <span>

#include "engine/compile/wasm_reader.hpp"
#include "support/wat.hpp"

namespace lunatic::engine {
namespace {

Expected<ParsedModule> read(std::string_view bytes) {
  return read_module(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                     "test.wasm");
}

TEST(WasmReader, RefusesBytesWithoutTheWasmMagic) {
  auto parsed = read(
      "\x7f"
      "ELF\x01\x00\x00\x00");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kMalformedModule);
  EXPECT_NE(parsed.error().message.find("test.wasm"), std::string::npos);
}

TEST(WasmReader, RefusesATruncatedModuleAndSaysWhere) {
  std::string wasm =
      testing::wat_to_wasm("(module (func (export \"f\") (result i32) i32.const 42))");
  for (size_t keep : {size_t{0}, size_t{4}, size_t{9}, wasm.size() - 2}) {
    auto parsed = read(std::string_view(wasm).substr(0, keep));
    ASSERT_FALSE(parsed.has_value()) << keep;
    EXPECT_EQ(parsed.error().code, Errc::kMalformedModule) << keep;
  }
  auto parsed = read(std::string_view(wasm).substr(0, wasm.size() - 2));
  EXPECT_NE(parsed.error().message.find("offset 0x"), std::string::npos) << parsed.error().message;
}

// fuzz_loader's find: a global's constant expression `unreachable; block ...` made libwabt
// 1.0.32's IR reader fail an assertion, which aborted the runtime.
TEST(WasmReader, RefusesABlockInAConstantExpressionInsteadOfAborting) {
  const std::string wasm = std::string(
      "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0a\x02\x60\x02\x7f\x7f\x01\x7f\x60\x00\x00\x02\x17\x01"
      "\x0d"
      "\x6c\x75\x6e\x61\x74\x69\x63\x3a\x3a\x74\x72\x61\x70\x05\x63\x61\x74\x63\x68\x00\x00\x03\x02"
      "\x01"
      "\x01\x05\x03\x01\x00\x01\x06\x06\x01\x7f\x00\x00\x02\x0b\x07\x29\x03\x06\x6d\x65\x6d\x6f\x72"
      "\x79"
      "\x02\x00\x13\x5f\x6c\x75\x6e\x61\x74\x69\x63\x5f\x63\x61\x74\x63\x68\x5f\x74\x72\x61\x70\x03"
      "\x00"
      "\x06\x5f\x73\x74\x61\x72\x74\x00\x01\x0a\x0b\x01\x09\x00\x00\x00\x41\x00\x10\x00\x1a\x0b\x00"
      "\x1e"
      "\x04\x6e\x61\x6d\x65\x01\x10\x02\x00\x05\x63\x61\x74\x63\x68\x01\x06\x5f\x73\x07\x13\x72\x74"
      "\x02"
      "\x05\x02\x00\x00\x01\x00",
      150);
  auto parsed = read(wasm);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kMalformedModule) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("constant expression of a global contains `block`"),
            std::string::npos)
      << parsed.error().message;
  // A valid global initializer still reads.
  EXPECT_TRUE(read(testing::wat_to_wasm("(module (global i32 (i32.const 7)))")).has_value());
  // The same with a `try` (exceptions, which this engine does not run), met by the read that
  // tells an unsupported proposal from malformed bytes.
  std::string with_try = wasm;
  const std::string block_in_global("\x00\x02\x0b", 3);
  const auto at = with_try.find(block_in_global);
  ASSERT_NE(at, std::string::npos);
  with_try[at + 1] = '\x06';  // try
  auto refused = read(with_try);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Errc::kMalformedModule) << refused.error().message;
  EXPECT_NE(refused.error().message.find("contains `try`"), std::string::npos)
      << refused.error().message;
}

TEST(WasmReader, RefusesAModuleThatFailsValidation) {
  std::string wasm = testing::wat_to_wasm("(module (func (result i32) i64.const 1))", false);
  auto parsed = read(wasm);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kInvalidModule);
  EXPECT_NE(parsed.error().message.find("type mismatch"), std::string::npos)
      << parsed.error().message;
}

TEST(WasmReader, RefusesSimdAsAnUnsupportedFeature) {
  std::string wasm = testing::wat_to_wasm(
      "(module (func (param v128) (result v128) local.get 0 local.get 0 i32x4.add))");
  auto parsed = read(wasm);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kUnsupportedFeature) << parsed.error().message;
}

TEST(WasmReader, RefusesSharedMemoryAsAnUnsupportedFeature) {
  std::string wasm = testing::wat_to_wasm("(module (memory 1 1 shared))");
  auto parsed = read(wasm);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kUnsupportedFeature) << parsed.error().message;
}

// Found by fuzz_loader: passive segments validate without a memory, but name none to compile.
TEST(WasmReader, RefusesDataSegmentsWithoutAMemory) {
  std::string wasm = testing::wat_to_wasm("(module (data \"abc\") (func data.drop 0))");
  auto parsed = read(wasm);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kUnsupportedFeature);
  EXPECT_NE(parsed.error().message.find("without a memory"), std::string::npos)
      << parsed.error().message;
  EXPECT_TRUE(read(testing::wat_to_wasm("(module (memory 1) (data \"abc\") (func data.drop 0))")));
}

// Found by fuzz_loader: libwabt reads a table of typed references (0x6b) with that proposal off,
// validates it, and its C writer then aborts.
TEST(WasmReader, RefusesATableOfTypedReferences) {
  using namespace std::string_view_literals;
  const auto header = "\0asm\x01\0\0\0"sv;
  const auto typed_table = "\x04\x04\x01\x6b\x00\x01"sv;  // table section: one, min 1
  auto parsed = read(std::string(header) + std::string(typed_table));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kUnsupportedFeature) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("typed references"), std::string::npos)
      << parsed.error().message;
  const auto funcref_table = "\x04\x04\x01\x70\x00\x01"sv;
  EXPECT_TRUE(read(std::string(header) + std::string(funcref_table)));
}

TEST(WasmReader, RefusesMemoryImports) {
  std::string wasm = testing::wat_to_wasm("(module (import \"env\" \"memory\" (memory 1)))");
  auto parsed = read(wasm);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kUnsupportedFeature);
  EXPECT_NE(parsed.error().message.find("\"env\" \"memory\""), std::string::npos);
}

TEST(WasmReader, DescribesImportsExportsAndMemory) {
  std::string wasm = testing::wat_to_wasm(R"((module
    (import "env" "log" (func (param i32 i64) (result f32)))
    (memory (export "memory") 2 17)
    (func (export "run") (param f64)))
  )");
  auto parsed = read(wasm);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const ModuleDescription& d = parsed->description;
  ASSERT_EQ(d.imports.size(), 1u);
  EXPECT_EQ(d.imports[0].module, "env");
  EXPECT_EQ(d.imports[0].name, "log");
  EXPECT_EQ(d.imports[0].signature, "(i32 i64) -> (f32)");
  ASSERT_NE(d.find_export("run"), nullptr);
  EXPECT_EQ(d.find_export("run")->signature, "(f64) -> ()");
  ASSERT_TRUE(d.memory.has_value());
  EXPECT_EQ(d.memory->initial_pages, 2u);
  EXPECT_EQ(d.memory->max_pages, 17u);
  EXPECT_EQ(d.function_count, 1u);
}

}  // namespace
}  // namespace lunatic::engine
