#include "engine/artifact_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/file_io.hpp"
#include "engine/artifact.hpp"

namespace lunatic::engine {

extern const char kEngineFingerprint[];

std::filesystem::path ArtifactCache::default_root() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "lunatic";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".cache" / "lunatic";
}

std::string ArtifactCache::key(const std::string& wasm_sha256, const CCompiler& compiler,
                               MemoryMode mode) {
  std::string material = wasm_sha256;
  for (std::string_view part : {kEngineAbi, std::string_view(kEngineFingerprint),
                                std::string_view(compiler.identity),
                                std::string_view(memory_mode_name(mode))}) {
    material += '\n';
    material += part;
  }
  material += '\n' + compile_flags(mode, compiler);
  return sha256_hex(material);
}

std::filesystem::path ArtifactCache::path_for(const std::string& key) const {
  return root_ / "artifacts" / (key + ".lart");
}

Expected<std::optional<MappedFile>> ArtifactCache::read(const std::string& key) const {
  auto mapped = MappedFile::open(path_for(key));
  if (!mapped) {
    if (!std::filesystem::exists(path_for(key))) return std::optional<MappedFile>();
    return mapped.error();
  }
  return std::optional<MappedFile>(std::move(mapped.value()));
}

Status ArtifactCache::write(const std::string& key, const std::string& bytes) const {
  const auto final_path = path_for(key);
  return write_file_atomic(final_path, bytes);
}

void ArtifactCache::remove(const std::string& key) const {
  std::error_code ignored;
  std::filesystem::remove(path_for(key), ignored);
}

Expected<std::filesystem::path> ArtifactCache::make_work_dir() const {
  std::error_code ec;
  std::filesystem::create_directories(root_ / "tmp", ec);
  std::string pattern = (root_ / "tmp" / "compile-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return make_error(Errc::kIo, "cannot create a compile directory under " + (root_ / "tmp").string() +
                                     ": " + std::strerror(errno));
  }
  return std::filesystem::path(pattern);
}

}  // namespace lunatic::engine
