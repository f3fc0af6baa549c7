#include "host/guest_alloc.hpp"

#include <cstring>
#include <string_view>

#include "engine/execution/instance.hpp"
#include "engine/loaded_module.hpp"
#include "host/host_function.hpp"

namespace lunatic::host {

std::uint32_t copy_to_guest_allocation(HostContext& context, std::span<const std::uint8_t> data,
                                       std::uint32_t len_ptr) {
  if (data.size() > UINT32_MAX) fail("result larger than 4 GiB");
  const lunatic_export_t* alloc = context.instance->module().find_export("lunatic_alloc");
  if (alloc == nullptr || alloc->invoke == nullptr ||
      std::string_view(alloc->signature) != "(i32) -> (i32)") {
    fail("no export `lunatic_alloc` of type (i32) -> (i32) to return the result in");
  }
  const std::uint64_t args[1] = {data.size()};
  std::uint64_t result[1] = {0};
  engine::CallOutcome outcome = context.instance->call(*alloc, args, result);
  if (outcome.kind == engine::TrapKind::kExit) throw engine::GuestExit{outcome.exit_code};
  if (!outcome.ok()) throw engine::GuestTrap{outcome.kind, "lunatic_alloc: " + outcome.describe()};
  const auto ptr = static_cast<std::uint32_t>(result[0]);
  // Re-read: the allocation may have grown (and moved) the memory.
  const engine::GuestMemory memory = context.memory();
  auto bytes = memory.try_bytes(ptr, data.size());
  if (!bytes) fail("lunatic_alloc returned a block out of bounds");
  if (!data.empty()) std::memcpy(bytes->data(), data.data(), data.size());
  if (!memory.try_store(len_ptr, static_cast<std::uint32_t>(data.size())))
    fail("length pointer out of bounds");
  return ptr;
}

}  // namespace lunatic::host
