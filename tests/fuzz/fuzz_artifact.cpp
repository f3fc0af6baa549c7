// Fuzz target: decode_artifact, which reads a compiled artifact's header and contract (JSON)
// before anything of it is trusted. Damaged bytes must be refused with an error, never a
// crash. An artifact that is accepted must encode back to bytes that decode to the same
// contract (encoding is idempotent after one decode), and its imports are checked against the
// registry as LoadedModule::load checks them. The shared object itself is never loaded: an
// artifact whose code hashes right is trusted (docs/security-model.md).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/compile/artifact.hpp"
#include "engine/loaded_module.hpp"
#include "host/host_imports.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lunatic;
  auto view = engine::decode_artifact(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!view) return 0;
  (void)engine::check_imports(view->contract.module, host::host_imports());
  const std::string once = engine::encode_artifact(view->contract, view->shared_object);
  auto again = engine::decode_artifact(once);
  if (!again) {
    std::fprintf(stderr, "fuzz_artifact: an accepted artifact, encoded again, is refused: %s\n",
                 again.error().message.c_str());
    std::abort();
  }
  if (engine::encode_artifact(again->contract, again->shared_object) != once) {
    std::fprintf(stderr, "fuzz_artifact: an accepted artifact does not survive encode/decode\n");
    std::abort();
  }
  return 0;
}
