// The on-disk cache of compiled artifacts, under $XDG_CACHE_HOME/lunatic (~/.cache/lunatic).
//
// Keys are SHA-256 over the wasm's hash, the engine ABI, a fingerprint of the code generator's
// sources (so a rebuilt engine never reuses an older one's artifacts), the compiler identity,
// the flags and the memory mode. Writes go to a private temporary file that is renamed into place, so
// concurrent writers of one key both succeed and readers never see a partial file.
// Thread: safe to use from several threads and processes at once.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "engine/native_compiler.hpp"

namespace lunatic::engine {

class ArtifactCache {
 public:
  explicit ArtifactCache(std::filesystem::path root) : root_(std::move(root)) {}

  // $XDG_CACHE_HOME/lunatic, or $HOME/.cache/lunatic.
  static std::filesystem::path default_root();

  static std::string key(const std::string& wasm_sha256, const CCompiler& compiler, MemoryMode mode);

  std::filesystem::path path_for(const std::string& key) const;

  // Returns: the artifact, mapped; nullopt when absent; kIo when it cannot be read.
  Expected<std::optional<MappedFile>> read(const std::string& key) const;

  Status write(const std::string& key, const std::string& bytes) const;

  void remove(const std::string& key) const;

  // A fresh private directory for one compile; the caller removes it.
  Expected<std::filesystem::path> make_work_dir() const;

 private:
  std::filesystem::path root_;
};

}  // namespace lunatic::engine
