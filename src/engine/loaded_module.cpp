#include "engine/loaded_module.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/file_io.hpp"
#include "engine/execution/code_registry.hpp"
#include "engine/execution/wasm_rt_impl.hpp"

namespace lunatic::engine {
namespace {

struct CodeRange {
  std::uintptr_t base;
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
};

// Finds the executable segment of the object loaded at `base`.
int find_code_range(struct dl_phdr_info* info, size_t, void* data) {
  auto* range = static_cast<CodeRange*>(data);
  if (info->dlpi_addr != range->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& header = info->dlpi_phdr[i];
    if (header.p_type == PT_LOAD && (header.p_flags & PF_X)) {
      range->begin = info->dlpi_addr + header.p_vaddr;
      range->end = range->begin + header.p_memsz;
      return 1;
    }
  }
  return 0;
}

}  // namespace

Status check_imports(const ModuleDescription& module, const ImportTable& imports) {
  std::string problems;
  for (const auto& import : module.imports) {
    const ImportFunction* function = imports.find(import.module, import.name);
    if (function == nullptr) {
      problems += "\n  missing import: module \"" + import.module + "\", name \"" + import.name +
                  "\", signature " + import.signature;
    } else if (function->signature != import.signature) {
      problems += "\n  mismatched import: module \"" + import.module + "\", name \"" + import.name +
                  "\", signature " + import.signature + " (the host provides " +
                  function->signature + ")";
    }
  }
  if (problems.empty()) return Ok{};
  return make_error(Errc::kMissingImport, "the module's imports cannot be satisfied:" + problems);
}

Expected<std::shared_ptr<LoadedModule>> LoadedModule::load(const Contract& contract,
                                                           std::string_view shared_object,
                                                           const ImportTable& imports) {
  if (auto status = check_imports(contract.module, imports); !status) return status.error();
  if (contract.module.memory && contract.module.memory->initial_pages > 65536) {
    return make_error(Errc::kContractMismatch, "the module's initial memory exceeds 4 GiB");
  }

  std::shared_ptr<LoadedModule> module(new LoadedModule);
  module->contract_ = contract;

  // dlopen needs a file: an anonymous memfd keeps the verified bytes out of reach of anyone
  // who could swap the cache file between the hash check and the mapping.
  int fd = ::memfd_create("lunatic-artifact", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return make_error(Errc::kLoadFailed, std::string("memfd_create: ") + std::strerror(errno));
  if (write_all(fd, shared_object) != 0) {
    ::close(fd);
    return make_error(Errc::kLoadFailed, "cannot stage the artifact for loading");
  }
  // Sealed: from here on nobody can change the bytes that were verified.
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    ::close(fd);
    return make_error(Errc::kLoadFailed,
                      std::string("cannot seal the artifact: ") + std::strerror(errno));
  }
  // The fd stays open as long as the module is loaded: the dynamic loader knows an object by
  // its path, and a closed fd's number (so its path) would be handed to the next module, which
  // dlopen would then take for this one.
  module->fd_ = fd;
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  module->handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle_ == nullptr) {
    return make_error(Errc::kLoadFailed, std::string("dlopen: ") + ::dlerror());
  }
  using Describe = const lunatic_artifact_t* (*)();
  auto describe = reinterpret_cast<Describe>(::dlsym(module->handle_, "lunatic_artifact_v1"));
  if (describe == nullptr)
    return make_error(Errc::kLoadFailed, "artifact has no lunatic_artifact_v1");
  module->abi_ = describe();
  const lunatic_artifact_t& abi = *module->abi_;
  if (abi.abi_version != LUNATIC_RT_ABI_VERSION ||
      (abi.memory_mode_guard != 0) != (contract.memory_mode == MemoryMode::kGuard) ||
      abi.import_count != contract.module.imports.size()) {
    return make_error(
        Errc::kContractMismatch,
        "the artifact's code does not match its contract (ABI, memory mode or imports)");
  }

  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(describe), &info) == 0) {
    return make_error(Errc::kLoadFailed, "cannot locate the artifact's code");
  }
  CodeRange range{reinterpret_cast<std::uintptr_t>(info.dli_fbase)};
  ::dl_iterate_phdr(find_code_range, &range);
  if (range.begin == 0 || !register_code_range(range.begin, range.end)) {
    return make_error(Errc::kLoadFailed, "cannot register the artifact's code range");
  }
  module->code_begin_ = range.begin;
  module->code_end_ = range.end;

  for (const auto& import : contract.module.imports) {
    module->imports_.push_back(imports.find(import.module, import.name)->address);
  }
  abi.bind(wasm_rt_api(), module->imports_.data());
  abi.init_module();

  for (std::uint32_t i = 0; i < abi.function_count; ++i) {
    module->functions_by_address_.emplace_back(
        reinterpret_cast<std::uintptr_t>(abi.functions[i].code), abi.functions[i].name);
  }
  std::sort(module->functions_by_address_.begin(), module->functions_by_address_.end());
  return module;
}

LoadedModule::~LoadedModule() {
  if (code_begin_ != 0) unregister_code_range(code_begin_);
  if (handle_ != nullptr) ::dlclose(handle_);
  if (fd_ >= 0) ::close(fd_);
}

const lunatic_export_t* LoadedModule::find_export(std::string_view name) const {
  for (std::uint32_t i = 0; i < abi_->export_count; ++i) {
    if (name == abi_->exports[i].name) return &abi_->exports[i];
  }
  return nullptr;
}

std::string LoadedModule::function_name_at(const void* pc) const {
  auto address = reinterpret_cast<std::uintptr_t>(pc);
  if (address < code_begin_ || address >= code_end_) return {};
  auto it = std::upper_bound(functions_by_address_.begin(), functions_by_address_.end(),
                             std::make_pair(address, static_cast<const char*>(nullptr)),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  if (it == functions_by_address_.begin()) return {};
  return std::prev(it)->second;
}

}  // namespace lunatic::engine
