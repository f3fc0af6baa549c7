#include "host_abi_driver.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "host/host_function.hpp"

namespace lunatic::fuzz {
namespace {

// Parameters that are timeouts of calls that block the calling process (milliseconds).
struct TimeoutParam {
  const char* module;
  const char* name;
  std::size_t index;
};
constexpr TimeoutParam kTimeouts[] = {
    {"lunatic::process", "sleep_ms", 0},
    {"lunatic::message", "receive", 2},
    {"lunatic::message", "send_receive_skip_search", 2},
    {"lunatic::distributed", "send_receive_skip_search", 3},
    {"lunatic::networking", "resolve", 2},
    {"lunatic::networking", "tcp_connect", 5},
    {"lunatic::networking", "tls_connect", 3},
    {"lunatic::networking", "udp_connect", 6},
};

bool is_timeout(const engine::ImportFunction& function, std::size_t index) {
  for (const auto& timeout : kTimeouts) {
    if (function.module == timeout.module && function.name == timeout.name &&
        index == timeout.index) {
      return true;
    }
  }
  return false;
}

bool is_preopen(const engine::ImportFunction& function) {
  return function.module == "lunatic::wasi" && function.name == "config_preopen_dir";
}

char type_letter(std::string_view type) {
  if (type == "i32") return 'i';
  if (type == "i64") return 'I';
  if (type == "f32") return 'f';
  if (type == "f64") return 'F';
  throw std::runtime_error("unsupported wasm type " + std::string(type));
}

const char* type_name(char letter) {
  switch (letter) {
    case 'i':
      return "i32";
    case 'I':
      return "i64";
    case 'f':
      return "f32";
    default:
      return "f64";
  }
}

// "(i32 i64) -> (i32)" to letters.
std::string letters(std::string_view list) {
  std::string out;
  while (!list.empty()) {
    const std::size_t space = list.find(' ');
    const std::string_view type = list.substr(0, space);
    if (!type.empty()) out += type_letter(type);
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return out;
}

std::string wat_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::size_t index_of(const std::vector<DriverFunction>& functions, std::string_view module,
                     std::string_view name, std::string_view signature) {
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const engine::ImportFunction& f = *functions[i].host;
    if (f.module == module && f.name == name) {
      if (!signature.empty() && f.signature != signature) {
        throw std::runtime_error(std::string(module) + "::" + std::string(name) +
                                 " has signature " + f.signature + ", the driver expects " +
                                 std::string(signature));
      }
      return i;
    }
  }
  throw std::runtime_error("no host function " + std::string(module) + "::" + std::string(name));
}

std::size_t selector_bytes(std::size_t count) { return count <= 256 ? 1 : 2; }

}  // namespace

std::vector<DriverFunction> driver_functions(const engine::ImportTable& registry) {
  std::vector<DriverFunction> out;
  for (const engine::ImportFunction& function : registry.functions()) {
    const std::string& sig = function.signature;  // "(params) -> (results)"
    const std::size_t close = sig.find(')');
    const std::size_t open = sig.find('(', close);
    if (sig.empty() || sig[0] != '(' || close == std::string::npos || open == std::string::npos ||
        sig.back() != ')') {
      throw std::runtime_error("unreadable signature " + sig);
    }
    DriverFunction entry;
    entry.host = &function;
    entry.params = letters(std::string_view(sig).substr(1, close - 1));
    const std::string results =
        letters(std::string_view(sig).substr(open + 1, sig.size() - open - 2));
    if (entry.params.size() > kDriverArgs || results.size() > 1) {
      throw std::runtime_error(function.module + "::" + function.name + " " + sig +
                               ": more parameters or results than the driver passes");
    }
    entry.result = results.empty() ? 0 : results[0];
    out.push_back(std::move(entry));
  }
  return out;
}

std::string driver_wat(const std::vector<DriverFunction>& functions) {
  std::string wat = "(module\n";
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const DriverFunction& f = functions[i];
    wat += "  (import " + wat_string(f.host->module) + " " + wat_string(f.host->name) +
           " (func $h" + std::to_string(i);
    if (!f.params.empty()) {
      wat += " (param";
      for (char p : f.params) wat += std::string(" ") + type_name(p);
      wat += ")";
    }
    if (f.result != 0) wat += std::string(" (result ") + type_name(f.result) + ")";
    wat += "))\n";
  }
  wat += "  (memory (export \"memory\") " + std::to_string(kMemoryPages) + ")\n";

  // dispatch: one block per import, br_table into the arm that calls it.
  wat += "  (func $dispatch (export \"dispatch\") (param $index i32)";
  for (std::uint32_t a = 0; a < kDriverArgs; ++a) wat += " (param $a" + std::to_string(a) + " i64)";
  wat += " (result i64)\n";
  wat += "    block $bad\n";
  for (std::size_t i = functions.size(); i-- > 0;) wat += "    block $c" + std::to_string(i) + "\n";
  wat += "    local.get $index\n    br_table";
  for (std::size_t i = 0; i < functions.size(); ++i) wat += " $c" + std::to_string(i);
  wat += " $bad\n";
  const std::uint32_t path_address = kMemoryPages * 65536 - 64;
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const DriverFunction& f = functions[i];
    wat += "    end ;; " + f.host->module + "::" + f.host->name + " " + f.host->signature + "\n";
    if (is_preopen(*f.host)) {
      // The directory is never the fuzzer's: a child given it must not reach the file system.
      for (std::size_t c = 0; c < kNoSuchDirectory.size(); ++c) {
        wat += "    i32.const " + std::to_string(path_address + c) + " i32.const " +
               std::to_string(static_cast<unsigned char>(kNoSuchDirectory[c])) + " i32.store8\n";
      }
    }
    for (std::size_t p = 0; p < f.params.size(); ++p) {
      const std::string arg = "local.get $a" + std::to_string(p);
      if (is_preopen(*f.host) && p == 1) {
        wat += "    i32.const " + std::to_string(path_address) + "\n";
        continue;
      }
      if (is_preopen(*f.host) && p == 2) {
        wat += "    i32.const " + std::to_string(kNoSuchDirectory.size()) + "\n";
        continue;
      }
      if (is_timeout(*f.host, p) && f.params[p] == 'I') {
        // min(t, kClampedTimeoutMs), but -1 (no timeout) stays.
        const std::string limit = "i64.const " + std::to_string(kClampedTimeoutMs);
        wat += "    " + arg + " " + limit + " " + arg + " " + limit + " i64.lt_u select\n";
        wat += "    i64.const -1 " + arg + " i64.const -1 i64.ne select\n";
        continue;
      }
      switch (f.params[p]) {
        case 'i':
          wat += "    " + arg + " i32.wrap_i64\n";
          break;
        case 'I':
          wat += "    " + arg + "\n";
          break;
        case 'f':
          wat += "    " + arg + " i32.wrap_i64 f32.reinterpret_i32\n";
          break;
        default:
          wat += "    " + arg + " f64.reinterpret_i64\n";
          break;
      }
    }
    wat += "    call $h" + std::to_string(i) + "\n";
    switch (f.result) {
      case 0:
        wat += "    i64.const 0\n";
        break;
      case 'i':
        wat += "    i64.extend_i32_u\n";
        break;
      case 'I':
        break;
      case 'f':
        wat += "    i32.reinterpret_f32 i64.extend_i32_u\n";
        break;
      default:
        wat += "    i64.reinterpret_f64\n";
        break;
    }
    wat += "    return\n";
  }
  wat += "    end\n    i64.const -1)\n";

  auto loads = [](const std::string& base, std::uint32_t first_offset) {
    std::string out;
    for (std::uint32_t a = 0; a < kDriverArgs; ++a) {
      out +=
          "    " + base + " i64.load offset=" + std::to_string(first_offset + 8 * a) + " align=1\n";
    }
    return out;
  };

  // main: the script is the first message; anything else, or nothing, ends it.
  const std::size_t receive =
      index_of(functions, "lunatic::message", "receive", "(i32 i32 i64) -> (i32)");
  const std::size_t data_size = index_of(functions, "lunatic::message", "data_size", "() -> (i64)");
  const std::size_t read_data =
      index_of(functions, "lunatic::message", "read_data", "(i32 i32) -> (i32)");
  const std::string script = std::to_string(kScriptAddress);
  wat +=
      "  (func $main (export \"main\") (local $size i32) (local $len i32) (local $p i32) (local "
      "$end i32)\n";
  wat += "    i32.const 0 i32.const 0 i64.const 0 call $h" + std::to_string(receive) + "\n";
  wat += "    if return end\n";
  wat += "    call $h" + std::to_string(data_size) + " i32.wrap_i64 local.set $size\n";
  wat +=
      "    local.get $size i32.const " + std::to_string(kScriptMax) + " i32.gt_u if return end\n";
  wat += "    i32.const " + script + " local.get $size call $h" + std::to_string(read_data) +
         " drop\n";
  wat += "    i32.const " + script + " i32.load align=1 local.set $len\n";
  wat += "    local.get $len i32.const " + std::to_string(kImageMax) + " i32.gt_u if return end\n";
  wat += "    local.get $len i32.const 4 i32.add local.get $size i32.gt_u if return end\n";
  wat += "    i32.const 0 i32.const " + std::to_string(kScriptAddress + 4) +
         " local.get $len memory.copy\n";
  wat += "    i32.const " + std::to_string(kScriptAddress + 4) +
         " local.get $len i32.add local.set $p\n";
  wat += "    i32.const " + script + " local.get $size i32.add local.set $end\n";
  wat += "    block $done\n    loop $next\n";
  wat += "    local.get $p i32.const " + std::to_string(kRecordSize) +
         " i32.add local.get $end i32.gt_u br_if $done\n";
  wat += "    local.get $p i32.load align=1\n";
  wat += loads("local.get $p", 4);
  wat += "    call $dispatch drop\n";
  wat += "    local.get $p i32.const " + std::to_string(kRecordSize) + " i32.add local.set $p\n";
  wat += "    br $next\n    end\n    end)\n";

  wat +=
      "  (func (export \"_lunatic_catch_trap\") (param $index i32) (param $args i32) (result "
      "i32)\n";
  wat += "    local.get $index\n";
  wat += loads("local.get $args", 0);
  wat += "    call $dispatch i32.wrap_i64)\n";

  wat += "  (func (export \"c\") (param $index i32) (param $arg i64)\n    local.get $index\n";
  for (std::uint32_t a = 0; a < kDriverArgs; ++a) wat += "    local.get $arg\n";
  wat += "    call $dispatch drop)\n";
  wat += ")\n";
  return wat;
}

std::string script_from_input(std::span<const std::uint8_t> input,
                              const std::vector<DriverFunction>& functions) {
  std::size_t pos = 0;
  auto take = [&](std::size_t bytes) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      if (pos < input.size()) value |= std::uint64_t{input[pos]} << (8 * i);
      ++pos;
    }
    return value;
  };
  auto put = [](std::string& out, const void* bytes, std::size_t n) {
    out.append(static_cast<const char*>(bytes), n);
  };

  std::string script;
  const std::size_t wanted = take(2);
  const std::uint32_t image = static_cast<std::uint32_t>(
      std::min<std::size_t>({wanted, kImageMax, input.size() > pos ? input.size() - pos : 0}));
  put(script, &image, 4);
  put(script, input.data() + pos, image);
  pos += image;

  const std::size_t selector = selector_bytes(functions.size());
  for (std::size_t calls = 0; pos < input.size() && calls < kMaxCalls; ++calls) {
    const std::uint32_t index = static_cast<std::uint32_t>(take(selector) % functions.size());
    std::uint64_t args[kDriverArgs] = {};
    for (std::size_t p = 0; p < functions[index].params.size(); ++p) {
      const std::uint64_t tag = take(1);
      switch (tag % 4) {
        case 0:
          args[p] = tag / 4;
          break;
        case 1:
          args[p] = take(2);
          break;
        case 2:
          args[p] = take(4);
          break;
        default:
          args[p] = take(8);
          break;
      }
    }
    put(script, &index, 4);
    put(script, args, sizeof args);
  }
  return script;
}

std::string encode_input(std::string_view image, const std::vector<SeedCall>& calls,
                         const std::vector<DriverFunction>& functions) {
  std::string out;
  auto put = [&](std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  };
  put(image.size(), 2);
  out += image;
  for (const SeedCall& call : calls) {
    const std::size_t index = index_of(functions, call.module, call.name, "");
    put(index, selector_bytes(functions.size()));
    for (std::size_t p = 0; p < functions[index].params.size(); ++p) {
      const std::uint64_t value = p < call.args.size() ? call.args[p] : 0;
      if (value < 64) {
        put(value * 4, 1);
      } else if (value <= 0xFFFF) {
        put(1, 1);
        put(value, 2);
      } else if (value <= 0xFFFF'FFFF) {
        put(2, 1);
        put(value, 4);
      } else {
        put(3, 1);
        put(value, 8);
      }
    }
  }
  return out;
}

}  // namespace lunatic::fuzz
