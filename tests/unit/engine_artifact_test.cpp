// The artifact format: a contract and code that must match it.
#include <gtest/gtest.h>

#include "engine/compile/artifact.hpp"

namespace lunatic::engine {
namespace {

Contract sample_contract(std::string_view code) {
  Contract contract;
  contract.engine_abi = std::string(kEngineAbi);
  contract.engine_version = "test";
  contract.memory_mode = MemoryMode::kBounds;
  contract.compiler = "cc";
  contract.flags = "-O2";
  contract.wasm_sha256 = sha256_hex(std::string_view("wasm"));
  contract.so_sha256 = sha256_hex(code);
  contract.so_size = code.size();
  contract.module.imports.push_back(
      {"wasi_snapshot_preview1", "fd_write", ExternKind::kFunction, "(i32 i32 i32 i32) -> (i32)"});
  contract.module.exports.push_back({"_start", ExternKind::kFunction, "() -> ()"});
  contract.module.memory = MemoryDescription{2, 16};
  return contract;
}

TEST(Artifact, RoundTripsItsContractAndCode) {
  const std::string code = "pretend this is a shared object";
  std::string bytes = encode_artifact(sample_contract(code), code);
  auto view = decode_artifact(bytes);
  ASSERT_TRUE(view.has_value()) << view.error().message;
  EXPECT_EQ(view->shared_object, code);
  EXPECT_EQ(view->contract.memory_mode, MemoryMode::kBounds);
  ASSERT_EQ(view->contract.module.imports.size(), 1u);
  EXPECT_EQ(view->contract.module.imports[0].name, "fd_write");
  EXPECT_EQ(view->contract.module.imports[0].signature, "(i32 i32 i32 i32) -> (i32)");
  ASSERT_TRUE(view->contract.module.memory.has_value());
  EXPECT_EQ(view->contract.module.memory->max_pages, 16u);
}

TEST(Artifact, IsDamagedWhenAByteOfItsCodeChanges) {
  const std::string code = "pretend this is a shared object";
  std::string bytes = encode_artifact(sample_contract(code), code);
  bytes[bytes.size() - 3] ^= 0x40;
  auto view = decode_artifact(bytes);
  ASSERT_FALSE(view.has_value());
  EXPECT_EQ(view.error().code, Errc::kArtifactDamaged);
}

TEST(Artifact, IsDamagedWhenTruncated) {
  const std::string code = "pretend this is a shared object";
  std::string bytes = encode_artifact(sample_contract(code), code);
  for (size_t keep : {size_t{0}, size_t{7}, size_t{15}, size_t{40}, bytes.size() - 1}) {
    auto view = decode_artifact(std::string_view(bytes).substr(0, keep));
    ASSERT_FALSE(view.has_value()) << "kept " << keep << " bytes";
    EXPECT_EQ(view.error().code, Errc::kArtifactDamaged) << "kept " << keep << " bytes";
  }
}

TEST(Artifact, IsRefusedWhenBuiltForAnotherEngineAbi) {
  const std::string code = "code";
  Contract contract = sample_contract(code);
  contract.engine_abi = "lunatic-engine/0";
  auto view = decode_artifact(encode_artifact(contract, code));
  ASSERT_FALSE(view.has_value());
  EXPECT_EQ(view.error().code, Errc::kContractMismatch);
}

TEST(Artifact, IsRefusedWhenTheContractIsNotJson) {
  std::string bytes = encode_artifact(sample_contract("x"), "x");
  bytes[17] = '}';  // inside the JSON text
  auto view = decode_artifact(bytes);
  ASSERT_FALSE(view.has_value());
  EXPECT_EQ(view.error().code, Errc::kArtifactDamaged);
}

}  // namespace
}  // namespace lunatic::engine
