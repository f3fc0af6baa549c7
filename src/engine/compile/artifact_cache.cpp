#include "engine/compile/artifact_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/byte_size.hpp"
#include "common/file_io.hpp"
#include "engine/compile/artifact.hpp"

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
  for (std::string_view part :
       {kEngineAbi, std::string_view(kEngineFingerprint), std::string_view(compiler.identity),
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

Expected<std::uint64_t> ArtifactCache::default_max_bytes() {
  const char* text = std::getenv("LUNATIC_CACHE_SIZE");
  if (text == nullptr || *text == '\0') return kDefaultMaxBytes;
  auto bytes = parse_size(text);
  if (!bytes) {
    return make_error(
        Errc::kInvalidArgument,
        std::string("LUNATIC_CACHE_SIZE must be a size such as 512M or 4G, not \"") + text + "\"");
  }
  return *bytes;
}

Expected<std::optional<MappedFile>> ArtifactCache::read(const std::string& key) const {
  const auto path = path_for(key);
  auto mapped = MappedFile::open(path);
  if (!mapped) {
    if (!std::filesystem::exists(path)) return std::optional<MappedFile>();
    return mapped.error();
  }
  // Used now: the modification time orders the artifacts for eviction.
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
  return std::optional<MappedFile>(std::move(mapped.value()));
}

Status ArtifactCache::write(const std::string& key, const std::string& bytes) const {
  const auto final_path = path_for(key);
  auto written = write_file_atomic(final_path, bytes);
  if (written && max_bytes_ != 0) evict_beyond_limit(final_path);
  return written;
}

namespace {

struct CachedArtifact {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::filesystem::file_time_type used;
};

// Every artifact in the directory; ones that vanish while it is read (another runtime evicting
// too) are skipped.
std::vector<CachedArtifact> list_artifacts(const std::filesystem::path& dir) {
  std::vector<CachedArtifact> artifacts;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".lart") continue;
    std::error_code size_ec, time_ec;
    const auto size = entry.file_size(size_ec);
    const auto used = entry.last_write_time(time_ec);
    if (size_ec || time_ec) continue;
    artifacts.push_back({entry.path(), size, used});
  }
  return artifacts;
}

}  // namespace

std::uint64_t ArtifactCache::size_bytes() const {
  std::uint64_t total = 0;
  for (const auto& artifact : list_artifacts(root_ / "artifacts")) total += artifact.size;
  return total;
}

void ArtifactCache::evict_beyond_limit(const std::filesystem::path& keep) const {
  auto artifacts = list_artifacts(root_ / "artifacts");
  std::uint64_t total = 0;
  for (const auto& artifact : artifacts) total += artifact.size;
  if (total <= max_bytes_) return;
  std::sort(artifacts.begin(), artifacts.end(),
            [](const CachedArtifact& a, const CachedArtifact& b) { return a.used < b.used; });
  for (const auto& artifact : artifacts) {
    if (total <= max_bytes_) break;
    if (artifact.path == keep) continue;
    std::error_code ignored;
    if (std::filesystem::remove(artifact.path, ignored)) total -= artifact.size;
  }
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
    return make_error(Errc::kIo, "cannot create a compile directory under " +
                                     (root_ / "tmp").string() + ": " + std::strerror(errno));
  }
  return std::filesystem::path(pattern);
}

}  // namespace lunatic::engine
