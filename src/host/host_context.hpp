// What a host function receives as its first argument: the calling process's host state.
//
// The engine passes one HostContext pointer to every import module of an instance, so each
// namespace reaches its own state through it; there is no global guest state. Everything here
// belongs to one process and is touched only by the thread running it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/execution/instance.hpp"
#include "engine/memory/guest_memory.hpp"
#include "host/process_config.hpp"
#include "host/resource_table.hpp"
#include "net/resources.hpp"
#include "net/tls.hpp"
#include "runtime/message.hpp"

namespace lunatic::engine {
class Module;
}  // namespace lunatic::engine
namespace lunatic::runtime {
class Blocking;
class Process;
}  // namespace lunatic::runtime
namespace lunatic::wasi {
class WasiContext;
}  // namespace lunatic::wasi
namespace lunatic::net {
class DnsLookup;
}  // namespace lunatic::net

namespace lunatic::host {

class Environment;
class OutputCapture;
struct CodeChange;
struct SqliteResources;

struct HostContext {
  HostContext();
  ~HostContext();
  HostContext(const HostContext&) = delete;
  HostContext& operator=(const HostContext&) = delete;

  engine::Instance* instance = nullptr;
  runtime::Blocking* blocking = nullptr;  // suspends the calling process, never the thread
  wasi::WasiContext* wasi = nullptr;      // set when the process owns no lazily made context

  // Set for processes spawned by an Environment (every process of `lunatic run`).
  runtime::Process* process = nullptr;
  Environment* environment = nullptr;
  // Beside the fields above, as every message hop uses them.
  std::unique_ptr<runtime::Message> scratch;  // the message being built or just received
  // The process this one last sent to: a conversation with one peer (request and reply,
  // a ring) skips the process table's lock and lookup. Dropped once the peer is seen to have
  // ended, which frees the rest of it (its stack is released when it ends, not with it).
  std::shared_ptr<runtime::Process> last_receiver;
  std::shared_ptr<const ProcessConfig> config;
  std::shared_ptr<const engine::Module> module;
  // What the process and all it spawns, grows and compiles is counted against.
  std::shared_ptr<ResourceBudget> budget;
  bool initialized = false;  // instantiation finished; spawning is allowed from here on
  // The guest asked for its first preopened directory and had none (wasi-libc and Rust's std
  // do before they resolve paths), and then wrote "Capabilities insufficient" (their text for
  // ENOTCAPABLE, which is what a path lookup without a preopen fails with): a missing --dir.
  bool found_no_preopens = false;
  bool reported_no_capability = false;

  ResourceTable<ProcessConfig> configs{"config"};
  // The configs above and their strings, counted against `budget` (hold_config_bytes); without
  // a budget (outside a runtime process) it counts nothing.
  BudgetCharge config_bytes;
  ResourceTable<std::shared_ptr<const engine::Module>> modules{"module"};
  ResourceTable<std::string> errors{"error"};  // add through add_error
  BudgetCharge error_bytes;                    // the errors above, counted against `budget`
  ResourceTable<net::TcpListener> tcp_listeners{"tcp listener"};
  ResourceTable<std::shared_ptr<net::TcpStream>> tcp_streams{"tcp stream"};
  ResourceTable<std::shared_ptr<net::UdpSocket>> udp_sockets{"udp socket"};
  ResourceTable<net::DnsIterator> dns_iterators{"dns iterator"};
  ResourceTable<net::TlsListener> tls_listeners{"tls listener"};
  ResourceTable<std::shared_ptr<net::TlsStream>> tls_streams{"tls stream"};
  // lunatic::distributed::exec_lookup_nodes results, each read once by
  // copy_lookup_nodes_results.
  ResourceTable<std::vector<std::uint64_t>> node_lookups{"node lookup"};
  // lunatic::sqlite connections and statements, made on first open.
  std::unique_ptr<SqliteResources> sqlite;
  // The process's last DNS lookup, which may outlive a resolve that timed out.
  std::shared_ptr<net::DnsLookup> last_lookup;
  // Set while the process moves to new code (host/code_change.hpp).
  std::unique_ptr<CodeChange> code_change;

  // The guest's memory as it is now (re-read on every call: memory.grow may move it).
  engine::GuestMemory memory() const { return instance->memory(); }

  // The process's WASI state, made on first use from `config` and `output` (most processes
  // never call WASI, and making it costs system calls and allocations). Throws GuestTrap when
  // it cannot be made.
  wasi::WasiContext& wasi_context();
  // Where this process's output goes when it is captured (see OutputCapture); kept alive while
  // the process may write to it.
  std::shared_ptr<OutputCapture> output;

 private:
  std::unique_ptr<wasi::WasiContext> owned_wasi_;
};

}  // namespace lunatic::host
