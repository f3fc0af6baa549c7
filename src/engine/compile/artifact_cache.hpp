// The on-disk cache of compiled artifacts, under $XDG_CACHE_HOME/lunatic (~/.cache/lunatic).
//
// Keys are SHA-256 over the wasm's hash, the engine ABI, a fingerprint of the code generator's
// sources (so a rebuilt engine never reuses an older one's artifacts), the compiler identity,
// the flags and the memory mode. Writes go to a private temporary file that is renamed into place,
// so concurrent writers of one key both succeed and readers never see a partial file.
//
// The cache is bounded: after a write, while its artifacts take more than the limit, the least
// recently used go first (a read marks an artifact used by its modification time). A guest
// that compiles new modules in a loop fills no more than that; an evicted artifact is simply
// compiled again when next needed.
// Thread: safe to use from several threads and processes at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/file_io.hpp"
#include "engine/compile/native_compiler.hpp"

namespace lunatic::engine {

class ArtifactCache {
 public:
  // The default limit, unless $LUNATIC_CACHE_SIZE says otherwise.
  static constexpr std::uint64_t kDefaultMaxBytes = std::uint64_t{2} << 30;

  // `max_bytes` 0: unbounded.
  explicit ArtifactCache(std::filesystem::path root, std::uint64_t max_bytes = kDefaultMaxBytes)
      : root_(std::move(root)), max_bytes_(max_bytes) {}

  // $XDG_CACHE_HOME/lunatic, or $HOME/.cache/lunatic.
  static std::filesystem::path default_root();
  // $LUNATIC_CACHE_SIZE ("512M", "4G", "0" for unbounded), or kDefaultMaxBytes. Returns:
  // kInvalidArgument for a value that is not a size.
  static Expected<std::uint64_t> default_max_bytes();

  static std::string key(const std::string& wasm_sha256, const CCompiler& compiler,
                         MemoryMode mode);

  std::filesystem::path path_for(const std::string& key) const;
  const std::filesystem::path& root() const { return root_; }

  // Returns: the artifact, mapped (and marked used); nullopt when absent; kIo when it cannot be
  // read.
  Expected<std::optional<MappedFile>> read(const std::string& key) const;

  // Stores the artifact, then evicts the least recently used ones while the cache is over its
  // limit (never the one just written).
  Status write(const std::string& key, const std::string& bytes) const;

  // Bytes the cache's artifacts take now.
  std::uint64_t size_bytes() const;

  void remove(const std::string& key) const;

  // A fresh private directory for one compile; the caller removes it.
  Expected<std::filesystem::path> make_work_dir() const;

 private:
  void evict_beyond_limit(const std::filesystem::path& keep) const;

  std::filesystem::path root_;
  std::uint64_t max_bytes_;
};

}  // namespace lunatic::engine
