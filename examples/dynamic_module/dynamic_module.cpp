// Loads a wasm module from a file at run time, compiles it, and spawns processes from its
// exports: `lunatic run --dir <dir> dynamic_module.wasm <dir>/plugin.wasm`.
#include <cstdint>
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <vector>

using namespace std::chrono_literals;

static std::vector<std::uint8_t> read_file(const char* path) {
  std::vector<std::uint8_t> bytes;
  std::FILE* file = std::fopen(path, "rb");
  if (file == nullptr) return bytes;
  std::uint8_t chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, file)) > 0;) {
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  std::fclose(file);
  return bytes;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dynamic_module.wasm <plugin.wasm>\n");
    return 2;
  }
  const std::vector<std::uint8_t> wasm = read_file(argv[1]);
  if (wasm.empty()) {
    std::fprintf(stderr, "cannot read %s (is its directory given with --dir?)\n", argv[1]);
    return 2;
  }
  std::printf("loaded %s: %zu bytes\n", argv[1], wasm.size());

  const std::uint8_t garbage[] = {0x00, 0x61, 0x73, 0x6d, 0xff};
  auto refused = lunatic::Module::compile(garbage);
  std::printf("compiling garbage: %s\n", refused ? "accepted?!" : refused.error().message.c_str());

  auto plugin = lunatic::Module::compile(wasm).value();
  lunatic::Mailbox<std::int64_t> mailbox;
  const auto me = static_cast<std::int64_t>(lunatic::this_process_id().value);
  for (std::int64_t x = 1; x <= 5; ++x) {
    plugin.spawn("square", {lunatic::Param::i64(me), lunatic::Param::i64(x)}).value();
    std::printf("plugin square(%lld) = %lld\n", static_cast<long long>(x),
                static_cast<long long>(mailbox.receive(1s).value()));
  }
  // A function the plugin does not export: the child fails, not this process, which is linked
  // to it and hears of it as a value.
  lunatic::die_when_link_dies(false);
  plugin.spawn("cube", {lunatic::Param::i64(me), lunatic::Param::i64(2)}, {.link = 7}).value();
  auto event = mailbox.receive_event(1s).value();
  auto* died = std::get_if<lunatic::LinkDied>(&event);
  std::printf("spawning a missing export: %s\n", died != nullptr && died->tag == 7
                                                     ? "that child failed, this one carries on"
                                                     : "unexpected");
}
