// Makes the fuzz targets' seed corpora at build time: make_seeds OUT_DIR WAT_FILE...
//   OUT_DIR/loader/    each module, and each cut short at a third, two thirds and one byte
//   OUT_DIR/artifact/  an artifact per module that reads (its real contract, a stand-in shared
//                      object), and the same cut short and with its code damaged
//   OUT_DIR/host_abi/  scripts of host calls (host_abi_driver.hpp), one per ABI area
// A WAT file that does not parse is skipped with a note; invalid modules are kept on purpose.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <wabt/ir.h>

#include "engine/compile/artifact.hpp"
#include "engine/compile/instrument.hpp"
#include "engine/compile/wasm_reader.hpp"
#include "host/host_imports.hpp"
#include "host_abi_driver.hpp"
#include "support/wat.hpp"

namespace {

using namespace lunatic;
namespace fs = std::filesystem;

void write(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void loader_and_artifact_seeds(const fs::path& out, const std::string& name,
                               const std::string& wasm) {
  write(out / "loader" / (name + ".wasm"), wasm);
  for (std::size_t cut : {wasm.size() / 3, 2 * wasm.size() / 3, wasm.size() - 1}) {
    if (cut > 0 && cut < wasm.size()) {
      write(out / "loader" / (name + ".cut" + std::to_string(cut) + ".wasm"), wasm.substr(0, cut));
    }
  }

  auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(wasm.data()),
                                             wasm.size());
  auto parsed = engine::read_module(bytes, name);
  if (!parsed) return;
  auto instrumented = engine::instrument_for_preemption(*parsed->ir);
  if (!instrumented) return;
  engine::Contract contract;
  contract.engine_abi = std::string(engine::kEngineAbi);
  contract.engine_version = LUNATIC_VERSION;
  contract.memory_mode =
      wasm.size() % 2 == 0 ? engine::MemoryMode::kGuard : engine::MemoryMode::kBounds;
  contract.compiler = "/usr/bin/cc:1000:1";
  contract.flags = engine::compile_flags(contract.memory_mode, engine::CCompiler{});
  contract.wasm_sha256 = engine::sha256_hex(bytes);
  contract.checked_functions = instrumented->checked_functions;
  contract.checked_loops = instrumented->checked_loops;
  contract.module = engine::describe(*parsed->ir);
  const std::string code =
      "\x7f"
      "ELF stand-in code of " +
      name;
  contract.so_sha256 = engine::sha256_hex(code);
  contract.so_size = code.size();
  const std::string artifact = engine::encode_artifact(contract, code);
  write(out / "artifact" / (name + ".lart"), artifact);
  write(out / "artifact" / (name + ".cut.lart"), artifact.substr(0, artifact.size() / 2));
  std::string damaged = artifact;
  damaged.back() ^= 1;
  write(out / "artifact" / (name + ".damaged.lart"), damaged);
}

// Guest memory for the host ABI scripts: what their pointers point at.
struct Image {
  std::string bytes = std::string(1024, '\0');
  void put(std::size_t at, std::string_view data) { bytes.replace(at, data.size(), data); }
  void put_u32(std::size_t at, std::uint32_t value) {
    put(at, std::string_view(reinterpret_cast<char*>(&value), 4));
  }
  void put_u64(std::size_t at, std::uint64_t value) {
    put(at, std::string_view(reinterpret_cast<char*>(&value), 8));
  }
};

void host_abi_seeds(const fs::path& out) {
  const auto functions = fuzz::driver_functions(host::host_imports());
  auto index_of = [&](std::string_view module, std::string_view name) -> std::uint64_t {
    for (std::size_t i = 0; i < functions.size(); ++i) {
      if (functions[i].host->module == module && functions[i].host->name == name) return i;
    }
    throw std::runtime_error("no host function " + std::string(name));
  };
  constexpr std::uint64_t kNone = ~std::uint64_t{0};  // -1: this process's config or module
  constexpr std::uint64_t kOut = 512;                 // where results are written
  // Resource ids (configs, errors, DNS iterators, modules) count from 0 in each process.

  Image image;
  image.put(0, "hello, fuzz");  // 11 bytes
  image.put(16, "c");           // the driver's export for children
  image.put(24, "main");
  // Spawn parameters, 17-byte records: c(index, arg) calls lunatic::process::sleep_ms(arg).
  image.put(32, "\x7f");
  image.put_u64(33, index_of("lunatic::process", "sleep_ms"));
  image.put(49, "\x7e");
  image.put_u64(50, 2);
  image.put(96, "fuzz-name");        // 9
  image.put(112, "127.0.0.1:80");    // 12
  image.put(128, "example.com:80");  // 14
  image.put(144, "localhost");       // 9
  image.put(160, std::string_view("\x7f\x00\x00\x01", 4));
  image.put_u32(176, 0);  // an iovec: hello, fuzz
  image.put_u32(180, 11);
  image.put_u64(192, 7);  // receive's tags: [7]
  image.put(208, std::string_view("\0asm\1\0\0\0", 8));
  // A poll_oneoff subscription: a relative clock of 1 ms.
  image.put_u64(224, 42);
  image.put(232, std::string_view("\0", 1));
  image.put_u32(240, 1);
  image.put_u64(248, 1'000'000);
  image.put(280, "KEY");
  image.put(284, "value");

  using C = fuzz::SeedCall;
  const std::map<std::string, std::vector<C>> scripts = {
      {"messages",
       {C{"lunatic::message", "create_data", {7, 64}}, C{"lunatic::message", "write_data", {0, 11}},
        C{"lunatic::message", "send", {1}}, C{"lunatic::message", "receive", {192, 1, 3}},
        C{"lunatic::message", "data_size", {}}, C{"lunatic::message", "read_data", {kOut, 11}},
        C{"lunatic::message", "get_tag", {}}, C{"lunatic::message", "seek_data", {2}},
        C{"lunatic::message", "read_data", {kOut + 16, 4}},
        C{"lunatic::message", "receive", {0, 0, 2}}}},
      {"spawn_link_kill",
       {C{"lunatic::process", "spawn", {5, kNone, kNone, 16, 1, 32, 34, kOut}},
        C{"lunatic::process", "monitor", {2}}, C{"lunatic::process", "link", {3, 2}},
        C{"lunatic::message", "receive", {0, 0, 3}}, C{"lunatic::process", "kill", {2}},
        C{"lunatic::message", "receive", {0, 0, 3}}, C{"lunatic::process", "exists", {2}},
        C{"lunatic::process", "die_when_link_dies", {0}}}},
      {"configs",
       {C{"lunatic::process", "create_config", {}},
        C{"lunatic::process", "config_set_max_memory", {0, 1 << 20}},
        C{"lunatic::process", "config_set_can_spawn_processes", {0, 1}},
        C{"lunatic::process", "config_set_max_fuel", {0, 1}},
        C{"lunatic::wasi", "config_add_environment_variable", {0, 280, 3, 284, 5}},
        C{"lunatic::wasi", "config_add_command_line_argument", {0, 284, 5}},
        C{"lunatic::wasi", "config_preopen_dir", {0, 0, 5}},
        C{"lunatic::process", "spawn", {0, 0, kNone, 16, 1, 32, 34, kOut}},
        C{"lunatic::process", "config_get_max_memory", {0}},
        C{"lunatic::process", "drop_config", {0}},
        C{"lunatic::process", "config_allow_network", {0, 0, 4, 160, 32, 80, 80}}}},
      {"wasi",
       {C{"wasi_snapshot_preview1", "fd_write", {1, 176, 1, kOut}},
        C{"wasi_snapshot_preview1", "args_sizes_get", {kOut, kOut + 4}},
        C{"wasi_snapshot_preview1", "args_get", {kOut + 8, kOut + 64}},
        C{"wasi_snapshot_preview1", "environ_sizes_get", {kOut, kOut + 4}},
        C{"wasi_snapshot_preview1", "clock_time_get", {1, 1000, kOut}},
        C{"wasi_snapshot_preview1", "random_get", {kOut, 16}},
        C{"wasi_snapshot_preview1", "fd_prestat_get", {3, kOut}},
        C{"wasi_snapshot_preview1", "fd_fdstat_get", {1, kOut}},
        C{"wasi_snapshot_preview1", "poll_oneoff", {224, kOut, 1, kOut + 64}},
        C{"wasi_snapshot_preview1", "fd_read", {0, 176, 1, kOut}},
        C{"wasi_snapshot_preview1", "path_open", {3, 0, 0, 5, 0, 0, 0, 0, kOut}},
        C{"wasi_snapshot_preview1", "proc_exit", {3}}}},
      {"registry",
       {C{"lunatic::registry", "put", {96, 9, 0, 1}},
        C{"lunatic::registry", "get", {96, 9, kOut, kOut + 8}},
        C{"lunatic::process",
          "get_or_spawn",
          {96, 9, 0, kNone, kNone, 16, 1, 32, 34, kOut, kOut + 8}},
        C{"lunatic::registry", "remove", {96, 9}},
        C{"lunatic::registry", "get", {96, 9, kOut, kOut + 8}}}},
      {"timers",
       {C{"lunatic::message", "create_data", {1, 0}}, C{"lunatic::timer", "send_after", {1, 1}},
        C{"lunatic::message", "receive", {0, 0, 3}}, C{"lunatic::message", "create_data", {2, 0}},
        C{"lunatic::timer", "send_after", {1, 100000}}, C{"lunatic::timer", "cancel_timer", {2}},
        C{"lunatic::timer", "cancel_timer", {1}}}},
      {"network",
       {C{"lunatic::networking", "resolve", {112, 12, 3, kOut}},
        C{"lunatic::networking",
          "resolve_next",
          {0, kOut, kOut + 8, kOut + 32, kOut + 36, kOut + 40}},
        C{"lunatic::networking", "drop_dns_iterator", {0}},
        C{"lunatic::networking", "resolve", {128, 14, 3, kOut}},
        C{"lunatic::networking", "tcp_bind", {4, 160, 0, 0, 0, kOut}},
        C{"lunatic::networking", "udp_bind", {4, 160, 0, 0, 0, kOut}},
        C{"lunatic::networking", "tcp_connect", {4, 160, 80, 0, 0, 3, kOut}},
        C{"lunatic::networking", "tls_connect", {144, 9, 443, 3, kOut, 0, 0}},
        C{"lunatic::error", "string_size", {0}}}},
      {"errors_and_compile",
       {C{"lunatic::process", "compile_module", {208, 8, kOut}},
        C{"lunatic::error", "string_size", {0}}, C{"lunatic::error", "to_string", {0, kOut + 16}},
        C{"lunatic::error", "drop", {0}}, C{"lunatic::process", "drop_module", {0}}}},
      {"trap_catch",
       {C{"lunatic::trap", "catch", {index_of("lunatic::process", "drop_module"), 32}},
        C{"lunatic::trap", "catch", {index_of("lunatic::version", "major"), 32}},
        C{"lunatic::version", "minor", {}}}},
      {"distributed",
       {C{"lunatic::distributed", "nodes_count", {}},
        C{"lunatic::distributed", "get_nodes", {kOut, 4}}, C{"lunatic::distributed", "node_id", {}},
        C{"lunatic::distributed", "module_id", {}},
        C{"lunatic::distributed", "spawn", {0, kNone, 1, 16, 1, 32, 34, kOut}},
        C{"lunatic::message", "create_data", {0, 0}}, C{"lunatic::distributed", "send", {0, 1}}}},
  };
  for (const auto& [name, calls] : scripts) {
    write(out / "host_abi" / name, fuzz::encode_input(image.bytes, calls, functions));
  }
  write(out / "host_abi" / "empty", "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR WAT_FILE...\n", argv[0]);
    return 2;
  }
  try {
    const fs::path out = argv[1];
    for (const char* dir : {"loader", "artifact", "host_abi"}) fs::create_directories(out / dir);
    for (int i = 2; i < argc; ++i) {
      const fs::path path = argv[i];
      std::string wasm;
      try {
        wasm = testing::wat_to_wasm(read(path), /*validate=*/false);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "make_seeds: skipping %s: %s\n", path.c_str(), error.what());
        continue;
      }
      loader_and_artifact_seeds(out, path.stem().string(), wasm);
    }
    host_abi_seeds(out);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "make_seeds: %s\n", error.what());
    return 1;
  }
  return 0;
}
