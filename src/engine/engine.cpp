#include "engine/engine.hpp"

#include <wabt/ir.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/file_io.hpp"
#include "engine/compile/artifact.hpp"
#include "engine/compile/c_generator.hpp"
#include "engine/compile/compile_lock.hpp"
#include "engine/compile/instrument.hpp"
#include "engine/compile/wasm_reader.hpp"

namespace lunatic::engine {
namespace {

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
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

Engine::Engine(EngineOptions options, const ImportTable& imports)
    : options_(std::move(options)),
      imports_(imports),
      cache_(options_.cache_root, options_.cache_max_bytes) {}

// What compiling a module to C produced, shared by the variants built from it.
struct Engine::Prepared {
  std::string name;
  std::uint64_t wasm_size = 0;
  GeneratedC sources;
  CCompiler compiler;
  Contract contract;  // all but the memory mode, the flags and the shared object's hash
};

Expected<Engine::Prepared> Engine::prepare(std::string_view wasm, const std::string& name) {
  auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(wasm.data()),
                                             wasm.size());
  auto parsed = read_module(bytes, name);
  if (!parsed) return parsed.error();
  if (auto resolved = check_imports(parsed->description, imports_); !resolved) {
    return make_error(resolved.error().code, name + ": " + resolved.error().message);
  }
  auto instrumented = instrument_for_preemption(*parsed->ir);
  if (!instrumented) return instrumented.error();
  auto sources = generate_c(*parsed->ir, *instrumented);
  if (!sources) return sources.error();
  auto compiler = find_c_compiler();
  if (!compiler) return compiler.error();

  Prepared prepared{name, wasm.size(), std::move(*sources), std::move(*compiler), {}};
  Contract& contract = prepared.contract;
  contract.engine_abi = std::string(kEngineAbi);
  contract.engine_version = LUNATIC_VERSION;
  contract.compiler = prepared.compiler.identity;
  contract.wasm_sha256 = sha256_hex(bytes);
  contract.checked_functions = instrumented->checked_functions;
  contract.checked_loops = instrumented->checked_loops;
  // The code binds the imports as instrumented (the yield hook included).
  contract.module = describe(*parsed->ir);
  return prepared;
}

Expected<std::string> Engine::build(const Prepared& prepared, MemoryMode mode, bool show_progress,
                                    const CompileControl& control) {
  auto work_dir = cache_.make_work_dir();
  if (!work_dir) return work_dir.error();
  ScopedDirectory scratch(*work_dir);
  CompileJob job{&prepared.sources,  mode,          scratch.path(), prepared.name,
                 prepared.wasm_size, show_progress, control.stop,   control.compiler_memory};
  auto shared_object = compile_shared_object(prepared.compiler, job);
  if (!shared_object) return shared_object.error();
  Contract contract = prepared.contract;
  contract.memory_mode = mode;
  contract.flags = compile_flags(mode, prepared.compiler);
  contract.so_sha256 = sha256_hex(*shared_object);
  contract.so_size = shared_object->size();
  return encode_artifact(contract, *shared_object);
}

Expected<std::string> Engine::compile(std::string_view wasm, const std::string& name) {
  auto prepared = prepare(wasm, name);
  if (!prepared) return prepared.error();
  const MemoryMode mode =
      options_.memory_mode == MemoryMode::kAuto ? MemoryMode::kGuard : options_.memory_mode;
  return build(*prepared, mode, options_.show_progress);
}

Expected<std::shared_ptr<LoadedModule>> Engine::load_cached(const std::string& key,
                                                            const std::string& wasm_sha256,
                                                            const std::string& name,
                                                            LoadReport& out) {
  auto cached = cache_.read(key);
  if (!cached || !cached->has_value()) return std::shared_ptr<LoadedModule>();
  auto view = decode_artifact((*cached)->bytes());
  if (view && view->contract.wasm_sha256 != wasm_sha256) {
    view = make_error(Errc::kArtifactDamaged, "it was built from another module");
  }
  if (!view) {
    out.warnings.push_back("cached artifact " + cache_.path_for(key).string() + " is damaged (" +
                           view.error().message + "); rebuilding");
    return std::shared_ptr<LoadedModule>();
  }
  auto module = LoadedModule::load(view->contract, view->shared_object, imports_);
  if (module) return module;
  // Imports that do not resolve are the module's fault, not the cache's.
  if (module.error().code == Errc::kMissingImport) {
    return make_error(Errc::kMissingImport, name + ": " + module.error().message);
  }
  out.warnings.push_back("cached artifact " + cache_.path_for(key).string() +
                         " could not be loaded (" + module.error().message + "); rebuilding");
  return std::shared_ptr<LoadedModule>();
}

Expected<std::shared_ptr<const Module>> Engine::load_wasm(std::string_view wasm,
                                                          const std::string& name,
                                                          LoadReport* report,
                                                          const CompileControl& control) {
  LoadReport local;
  LoadReport& out = report ? *report : local;
  auto start = std::chrono::steady_clock::now();
  auto compiler = find_c_compiler();
  if (!compiler) return compiler.error();
  const std::string wasm_sha256 = sha256_hex(wasm);
  std::vector<MemoryMode> modes{options_.memory_mode};
  if (options_.memory_mode == MemoryMode::kAuto) modes = {MemoryMode::kGuard, MemoryMode::kBounds};
  std::vector<std::string> keys;
  for (MemoryMode mode : modes) keys.push_back(ArtifactCache::key(wasm_sha256, *compiler, mode));
  out.hash_ms = milliseconds_since(start);

  start = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<LoadedModule>> variants(modes.size());
  std::vector<size_t> missing;
  auto find_missing = [&]() -> Status {
    missing.clear();
    for (size_t i = 0; i < modes.size(); ++i) {
      if (variants[i] != nullptr) continue;
      auto cached = load_cached(keys[i], wasm_sha256, name, out);
      if (!cached) return cached.error();
      variants[i] = std::move(*cached);
      if (variants[i] == nullptr) missing.push_back(i);
    }
    return Ok{};
  };
  if (auto found = find_missing(); !found) return found.error();
  out.load_ms = milliseconds_since(start);

  std::optional<CompileLock> compiling;
  if (!missing.empty()) {
    // Another runtime may be compiling these very artifacts: wait for it, then take what it
    // stored rather than compile them a second time.
    start = std::chrono::steady_clock::now();
    auto lock =
        CompileLock::acquire(cache_.root() / "compile.lock", keys[missing[0]], control.stop);
    if (!lock) return lock.error();
    compiling.emplace(std::move(*lock));
    if (auto found = find_missing(); !found) return found.error();
    out.wait_ms = milliseconds_since(start);
  }

  (missing.empty() ? counts_.cache_hits : counts_.cache_misses)
      .fetch_add(1, std::memory_order_relaxed);
  if (!missing.empty()) {
    start = std::chrono::steady_clock::now();
    auto prepared = prepare(wasm, name);
    if (!prepared) return prepared.error();
    if (control.stop.stop_requested()) {
      return make_error(Errc::kCancelled, "the compile of " + name + " was cancelled");
    }
    // The variants differ only in a compiler flag: one C translation, compilers in parallel
    // unless asked for one at a time.
    std::vector<Expected<std::string>> artifacts(missing.size(), Expected<std::string>(""));
    std::vector<std::thread> workers;
    for (size_t j = 1; j < missing.size() && !control.one_compiler_at_a_time; ++j) {
      workers.emplace_back(
          [&, j] { artifacts[j] = build(*prepared, modes[missing[j]], false, control); });
    }
    artifacts[0] = build(*prepared, modes[missing[0]], options_.show_progress, control);
    for (size_t j = 1; j < missing.size() && control.one_compiler_at_a_time; ++j) {
      if (!artifacts[0]) break;  // the first one's failure is the answer
      artifacts[j] = build(*prepared, modes[missing[j]], false, control);
    }
    for (auto& worker : workers) worker.join();
    out.compile_ms = milliseconds_since(start);
    if (std::all_of(artifacts.begin(), artifacts.end(),
                    [](const auto& a) { return a.has_value(); })) {
      counts_.compiled.fetch_add(1, std::memory_order_relaxed);
      counts_.compile_ns.fetch_add(static_cast<std::uint64_t>(out.compile_ms * 1e6),
                                   std::memory_order_relaxed);
    }

    start = std::chrono::steady_clock::now();
    for (size_t j = 0; j < missing.size(); ++j) {
      if (!artifacts[j]) return artifacts[j].error();
      const size_t i = missing[j];
      if (auto written = cache_.write(keys[i], *artifacts[j]); !written) {
        out.warnings.push_back("cannot store the artifact in the cache: " +
                               written.error().message);
      }
      auto view = decode_artifact(*artifacts[j]);
      if (!view) return view.error();
      auto module = LoadedModule::load(view->contract, view->shared_object, imports_);
      if (!module) return module.error();
      variants[i] = std::move(*module);
    }
    out.load_ms += milliseconds_since(start);
  }
  out.cache = missing.empty() ? "hit" : "miss";
  if (options_.memory_mode == MemoryMode::kAuto) {
    return std::make_shared<const Module>(variants[0], variants[1], options_.guard_threshold);
  }
  const bool guard = options_.memory_mode == MemoryMode::kGuard;
  return std::make_shared<const Module>(guard ? variants[0] : nullptr,
                                        guard ? nullptr : variants[0], options_.guard_threshold);
}

Expected<std::shared_ptr<const Module>> Engine::load_file(const std::filesystem::path& path,
                                                          LoadReport* report) {
  auto start = std::chrono::steady_clock::now();
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.error();
  const std::string_view bytes = mapped->bytes();
  if (!looks_like_artifact(bytes)) return load_wasm(bytes, path.string(), report);

  auto view = decode_artifact(bytes);
  if (!view) return make_error(view.error().code, path.string() + ": " + view.error().message);
  // An artifact carries its own memory mode; the loaded module has that one variant.
  auto module = LoadedModule::load(view->contract, view->shared_object, imports_);
  if (!module)
    return make_error(module.error().code, path.string() + ": " + module.error().message);
  if (report) {
    report->cache = "file";
    report->load_ms = milliseconds_since(start);
  }
  const bool guard = (*module)->guard_memory();
  return std::make_shared<const Module>(guard ? *module : nullptr, guard ? nullptr : *module,
                                        options_.guard_threshold);
}

}  // namespace lunatic::engine
