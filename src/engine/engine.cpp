#include "engine/engine.hpp"

#include <wabt/ir.h>

#include <chrono>

#include "common/file_io.hpp"
#include "engine/artifact.hpp"
#include "engine/c_generator.hpp"
#include "engine/instrument.hpp"
#include "engine/wasm_reader.hpp"

namespace lunatic::engine {
namespace {

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Removes a directory tree when it goes out of scope.
class ScopedDirectory {
 public:
  explicit ScopedDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  ~ScopedDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedDirectory(const ScopedDirectory&) = delete;
  ScopedDirectory& operator=(const ScopedDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

bool looks_like_artifact(std::string_view bytes) { return bytes.substr(0, 8) == "LUNATART"; }

Engine::Engine(EngineOptions options, const host::HostRegistry& registry)
    : options_(std::move(options)), registry_(registry), cache_(options_.cache_root) {}

Expected<std::string> Engine::compile(std::string_view wasm, const std::string& name) {
  auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(wasm.data()),
                                             wasm.size());
  auto parsed = read_module(bytes, name);
  if (!parsed) return parsed.error();
  if (auto imports = check_imports(parsed->description, registry_); !imports) {
    return make_error(imports.error().code, name + ": " + imports.error().message);
  }
  auto instrumented = instrument_for_preemption(*parsed->ir);
  if (!instrumented) return instrumented.error();
  auto sources = generate_c(*parsed->ir, *instrumented);
  if (!sources) return sources.error();
  auto compiler = find_c_compiler();
  if (!compiler) return compiler.error();
  auto work_dir = cache_.make_work_dir();
  if (!work_dir) return work_dir.error();
  ScopedDirectory scratch(*work_dir);
  CompileJob job{&sources.value(), options_.memory_mode, scratch.path(), name, wasm.size(),
                 options_.show_progress};
  auto shared_object = compile_shared_object(*compiler, job);
  if (!shared_object) return shared_object.error();

  Contract contract;
  contract.engine_abi = std::string(kEngineAbi);
  contract.engine_version = LUNATIC_VERSION;
  contract.memory_mode = options_.memory_mode;
  contract.compiler = compiler->identity;
  contract.flags = compile_flags(options_.memory_mode);
  contract.wasm_sha256 = sha256_hex(bytes);
  contract.so_sha256 = sha256_hex(*shared_object);
  contract.so_size = shared_object->size();
  contract.checked_functions = instrumented->checked_functions;
  contract.checked_loops = instrumented->checked_loops;
  // The code binds the imports as instrumented (the yield hook included).
  contract.module = describe(*parsed->ir);
  return encode_artifact(contract, *shared_object);
}

Expected<std::shared_ptr<LoadedModule>> Engine::load_wasm(std::string_view wasm,
                                                          const std::string& name,
                                                          LoadReport* report) {
  LoadReport local;
  LoadReport& out = report ? *report : local;
  auto start = std::chrono::steady_clock::now();
  auto compiler = find_c_compiler();
  if (!compiler) return compiler.error();
  const std::string wasm_sha256 = sha256_hex(wasm);
  const std::string key = ArtifactCache::key(wasm_sha256, *compiler, options_.memory_mode);
  out.hash_ms = milliseconds_since(start);

  start = std::chrono::steady_clock::now();
  auto cached = cache_.read(key);
  if (cached && cached->has_value()) {
    auto view = decode_artifact((*cached)->bytes());
    if (view && view->contract.wasm_sha256 != wasm_sha256) {
      view = make_error(Errc::kArtifactDamaged, "it was built from another module");
    }
    if (view) {
      auto module = LoadedModule::load(view->contract, view->shared_object, registry_);
      if (module) {
        out.cache = "hit";
        out.load_ms = milliseconds_since(start);
        return module;
      }
      // Imports that do not resolve are the module's fault, not the cache's.
      if (module.error().code == Errc::kMissingImport) {
        return make_error(Errc::kMissingImport, name + ": " + module.error().message);
      }
      out.warnings.push_back("cached artifact " + cache_.path_for(key).string() +
                             " could not be loaded (" + module.error().message + "); rebuilding");
    } else {
      out.warnings.push_back("cached artifact " + cache_.path_for(key).string() + " is damaged (" +
                             view.error().message + "); rebuilding");
    }
  }

  start = std::chrono::steady_clock::now();
  auto artifact = compile(wasm, name);
  if (!artifact) return artifact.error();
  out.compile_ms = milliseconds_since(start);
  if (auto written = cache_.write(key, *artifact); !written) {
    out.warnings.push_back("cannot store the artifact in the cache: " + written.error().message);
  }
  start = std::chrono::steady_clock::now();
  auto view = decode_artifact(*artifact);
  if (!view) return view.error();
  auto module = LoadedModule::load(view->contract, view->shared_object, registry_);
  out.cache = "miss";
  out.load_ms = milliseconds_since(start);
  return module;
}

Expected<std::shared_ptr<LoadedModule>> Engine::load_file(const std::filesystem::path& path,
                                                          LoadReport* report) {
  auto start = std::chrono::steady_clock::now();
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.error();
  const std::string_view bytes = mapped->bytes();
  if (!looks_like_artifact(bytes)) return load_wasm(bytes, path.string(), report);

  auto view = decode_artifact(bytes);
  if (!view) return make_error(view.error().code, path.string() + ": " + view.error().message);
  // An artifact carries its own memory mode; the loaded module follows it.
  auto module = LoadedModule::load(view->contract, view->shared_object, registry_);
  if (!module) return make_error(module.error().code, path.string() + ": " + module.error().message);
  if (report) {
    report->cache = "file";
    report->load_ms = milliseconds_since(start);
  }
  return module;
}

}  // namespace lunatic::engine
