// The `lunatic` command: run, test and compile WebAssembly modules; be a cluster's node or control.
#include <sys/resource.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cli/compile_command.hpp"
#include "cli/control_command.hpp"
#include "cli/node_command.hpp"
#include "cli/prometheus_endpoint.hpp"
#include "cli/run_command.hpp"
#include "cli/test_command.hpp"
#include "cli/upgrade_command.hpp"
#include "common/byte_size.hpp"

namespace {

const std::map<std::string, lunatic::engine::MemoryMode> kMemoryModes{
    {"guard", lunatic::engine::MemoryMode::kGuard},
    {"bounds", lunatic::engine::MemoryMode::kBounds},
    {"auto", lunatic::engine::MemoryMode::kAuto},
};

// --memory-mode, for run and compile. It is parsed as a name and mapped here: a transformer
// straight to the enum would print its values (an 8-bit type) as raw bytes in help and errors.
CLI::Option* add_memory_mode_option(CLI::App& command, lunatic::engine::MemoryMode& mode,
                                    std::string help) {
  auto set = [&mode](const std::string& name) { mode = kMemoryModes.at(name); };
  return command.add_option_function<std::string>("--memory-mode", set, std::move(help))
      ->transform(CLI::IsMember({"guard", "bounds", "auto"}, CLI::ignore_case))
      ->type_name("MODE");
}

// The options of a runtime that runs processes: `run`'s, and `node`'s.
void add_runtime_options(CLI::App& command, lunatic::cli::RunOptions& run) {
  command.add_option("--dir", run.dirs, "Preopen a host directory, as HOST[:GUEST]")
      ->type_name("DIR")
      ->allow_extra_args(false);
  command.add_option("--env", run.env, "Set an environment variable for the guest")
      ->type_name("K=V")
      ->allow_extra_args(false);
  add_memory_mode_option(
      command, run.memory_mode,
      "Linear memory mode: guard, bounds or auto (guard until many memories are live)");
  command.add_flag("--timings", run.timings, "Print load and run timings as JSON on stderr");
  command.add_option("--workers", run.workers, "Worker threads (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  command
      .add_option("--max-processes", run.max_processes,
                  "Live processes the runtime holds at most (default: one per 32 KiB of RAM; "
                  "0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  command
      .add_option_function<std::string>(
          "--max-memory",
          [&run](const std::string& text) { run.max_memory = lunatic::parse_size(text); },
          "Guest memory (linear memories, tables, stacks) all processes hold at most, e.g. 512M or "
          "8G (default: the machine's RAM; 0: no limit)")
      ->check([](const std::string& text) {
        return lunatic::parse_size(text) ? std::string() : "not a size such as 512M or 8G: " + text;
      })
      ->type_name("SIZE");
  command
      .add_option("--log-level", run.log_level,
                  "Which process failures and events to log on stderr")
      ->check(CLI::IsMember({"off", "error", "warn", "info", "debug"}))
      ->envname("LUNATIC_LOG");
  command.add_flag_callback(
      "--prometheus",
      [&run] {
        if (run.prometheus_address.empty())
          run.prometheus_address = lunatic::cli::kDefaultPrometheusAddress;
      },
      "Serve the guests' metrics to Prometheus at http://127.0.0.1:9927/metrics");
  command
      .add_option("--prometheus-http", run.prometheus_address,
                  "Serve the guests' metrics to Prometheus at this address instead")
      ->type_name("ADDR");
  command
      .add_option("--trace", run.trace.path,
                  "Write process lifecycle and message events to this file as a Chrome trace "
                  "(Perfetto, chrome://tracing)")
      ->type_name("FILE");
  command
      .add_option("--trace-limit", run.trace.limit,
                  "Keep the newest N events of the trace (default 1000000)")
      ->check(CLI::PositiveNumber)
      ->type_name("N");
  command
      .add_option_function<std::string>(
          "--trace-max-size",
          [&run](const std::string& text) { run.trace.max_bytes = *lunatic::parse_size(text); },
          "Write at most this much trace, leaving out the oldest events (default 256M)")
      ->check([](const std::string& text) {
        return lunatic::parse_size(text) ? std::string() : "not a size such as 64M: " + text;
      })
      ->type_name("SIZE");
  command
      .add_option("--dashboard", run.dashboard_address,
                  "Serve a live dashboard of the processes at this address, e.g. 127.0.0.1:0 "
                  "(read-only)")
      ->type_name("ADDR");
  command.add_flag("--dashboard-allow-kill", run.dashboard_allow_kill,
                   "Let the dashboard kill processes");
  command
      .add_option("--upgrade-socket", run.upgrade_socket,
                  "Listen here (a Unix socket, owner-only) for `lunatic upgrade`")
      ->type_name("PATH");
  command.add_flag("--watch", run.watch,
                   "Upgrade the running processes whenever the module file is rebuilt");
}

// Cargo runs a test binary through its runner as `lunatic [run] <target>/wasm32-wasi/debug/deps/
// name-hash.wasm [args]`. Lunatic takes that for its test mode when CARGO_MANIFEST_DIR is set,
// the module lies in such a deps directory, and no argument is `--bench`; so does this.
bool cargo_runs_a_test(const std::vector<std::string>& args) {
  if (std::getenv("CARGO_MANIFEST_DIR") == nullptr || args.size() < 2 || args[0] != "run")
    return false;
  static const std::regex test_build(
      R"(/target/wasm32-(wasi|unknown-unknown)/(debug|release)/deps/.*\.wasm$)");
  return std::regex_search(args[1], test_build) &&
         std::find(args.begin() + 2, args.end(), "--bench") == args.end();
}

// `lunatic app.wasm ...` means `lunatic run app.wasm ...`, as in Lunatic's own CLI. For `run`,
// everything after the module belongs to the guest, even `--help`: a `--` goes in after it.
std::vector<std::string> arguments_with_shorthand(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] != "run" && args[0] != "compile" && args[0] != "test" &&
      args[0] != "node" && args[0] != "control" && args[0] != "upgrade" && args[0][0] != '-') {
    args.insert(args.begin(), "run");
  }
  if (cargo_runs_a_test(args)) args[0] = "test";
  if (args.empty() || args[0] != "run") return args;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    const bool takes_value =
        arg == "--dir" || arg == "--env" || arg == "--memory-mode" || arg == "--workers" ||
        arg == "--log-level" || arg == "--max-processes" || arg == "--max-memory" ||
        arg == "--prometheus-http" || arg == "--trace" || arg == "--trace-limit" ||
        arg == "--trace-max-size" || arg == "--dashboard" || arg == "--upgrade-socket";
    if (takes_value) {
      ++i;
    } else if (arg.empty() || arg[0] != '-') {
      args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, "--");
      break;
    }
  }
  return args;
}

// Every socket and file a guest opens is a host descriptor, and one process per connection
// means tens of thousands of them: take the hard limit, as servers do (the soft one is often
// 1024).
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A guest writing to a closed pipe gets EPIPE from its write, not a dead runtime.
  std::signal(SIGPIPE, SIG_IGN);
  raise_open_file_limit();
  CLI::App app{
      "lunatic: an Erlang-style actor runtime where every process is a WebAssembly instance"};
  app.set_version_flag("--version", std::string("lunatic ") + LUNATIC_VERSION);
  app.require_subcommand(1);

  lunatic::cli::RunOptions run;
  auto* run_command =
      app.add_subcommand("run", "Run a WebAssembly module (or a compiled artifact)");
  add_runtime_options(*run_command, run);
  run_command->add_option("module", run.module_path, "The .wasm module or .lart artifact")
      ->required();
  run_command->add_option("args", run.args, "Arguments passed to the guest");

  lunatic::cli::UpgradeCommandOptions upgrade;
  auto* upgrade_command = app.add_subcommand(
      "upgrade", "Move the processes of a running `lunatic run --upgrade-socket` to new code");
  upgrade_command->add_option("module", upgrade.module_path, "The new version's .wasm")->required();
  upgrade_command->add_option("--socket", upgrade.socket, "The run's --upgrade-socket")
      ->required()
      ->type_name("PATH");
  upgrade_command->add_flag("--purge", upgrade.options.purge,
                            "Kill the processes still on the oldest version if this is a third");
  upgrade_command->add_flag(
      "--restart", upgrade.options.restart,
      "Kill the processes whose code cannot hand its state over, for their supervisors");
  upgrade_command->add_flag("--all-nodes", upgrade.all_nodes,
                            "Roll the upgrade out to every node of the socket's cluster");
  upgrade_command
      ->add_option("--timeout", upgrade.timeout_seconds,
                   "Seconds to wait for processes to reach a message boundary (default 10)")
      ->check(CLI::Range(0.0, 86400.0));

  lunatic::cli::CompileOptions compile;
  auto* compile_command = app.add_subcommand("compile", "Compile a module ahead of time");
  compile_command->add_option("module", compile.module_path, "The .wasm module")->required();
  compile_command->add_option("-o,--output", compile.output_path,
                              "Write the artifact here (default: the artifact cache)");
  add_memory_mode_option(
      *compile_command, compile.memory_mode,
      "Linear memory mode: guard, bounds or auto (both into the cache; guard with -o)");

  lunatic::cli::TestOptions test;
  auto* test_command = app.add_subcommand(
      "test", "Run a module's exported tests (#[lunatic::test]) as Lunatic's test mode does");
  test_command->add_option("module", test.module_path, "The .wasm module")->required();
  test_command->add_option("filter", test.filter, "Run only the tests whose name contains this");
  test_command->add_option("--dir", test.dirs, "Preopen a host directory too, as HOST[:GUEST]")
      ->type_name("DIR")
      ->allow_extra_args(false);
  test_command->add_flag("--exact", test.exact, "Match the filter exactly");
  test_command->add_flag("--ignored", test.ignored, "Run only the ignored tests");
  test_command->add_flag("--nocapture", test.nocapture, "Let the tests write to the terminal");
  test_command->add_flag("--show-output", test.show_output, "Show the output of passing tests too");
  test_command->add_flag("--list", test.list, "List the tests instead of running them");
  test_command->add_option("--format", test.format, "With --list: terse (the only format)");
  test_command->add_option("--workers", test.workers, "Worker threads (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  test_command->add_option("args", test.args, "Arguments passed to the guest (after --)");

  lunatic::cli::NodeOptions node;
  auto* node_command = app.add_subcommand(
      "node", "Run as a node of a cluster: join it, serve it, and run --wasm's _start if given");
  node_command->add_option("control", node.control_url,
                           "URL of `lunatic control` (default http://127.0.0.1:3030/)");
  node_command->add_option("--cluster", node.cluster_url,
                           "Membership in etcd instead of control: etcd://HOST:PORT");
  node_command->add_option("--cluster-name", node.cluster_name,
                           "Name (and etcd key prefix) of the cluster (default lunatic)");
  node_command->add_option("--bind-socket", node.bind_socket,
                           "Address other nodes reach this one at (default 127.0.0.1:0)");
  node_command->add_option("--wasm", node.run.module_path, "Module whose _start runs here");
  node_command->add_option("--tag", node.tags, "A tag of this node, as KEY=VALUE (lookup_nodes)")
      ->type_name("K=V")
      ->allow_extra_args(false);
  node_command->add_option("--name", node.name,
                           "Stable node name (default: the certificate's, or host-random)");
  node_command->add_option("--cert", node.certificate, "This node's certificate (PEM)");
  node_command->add_option("--key", node.private_key, "This node's private key (PEM)");
  node_command->add_option("--ca", node.ca_certificate, "The cluster's CA certificate (PEM)");
  node_command->add_option("--join-token-file", node.join_token_file,
                           "Control's join token (default: in control's default state dir)");
  node_command->add_option("--state-dir", node.state_dir,
                           "Where the node keeps its key and certificate from control");
  node_command
      ->add_option("--lease-ttl", node.lease_ttl_seconds,
                   "Seconds until the others see this node gone after it stops (default 3)")
      ->check(CLI::Range(1u, 3600u));
  node_command
      ->add_option("--tick-timeout", node.tick_timeout_ms,
                   "Milliseconds of silence after which a connected node is declared down; "
                   "ticks every quarter of it (default 4000)")
      ->check(CLI::Range(200u, 600'000u));
  add_runtime_options(*node_command, node.run);
  node_command->add_option("args", node.run.args, "Arguments passed to --wasm's guest (after --)");

  lunatic::cli::ControlOptions control;
  auto* control_command = app.add_subcommand(
      "control", "Serve a cluster's membership and development CA (one machine, no etcd)");
  control_command->add_option("--bind-socket", control.bind_socket,
                              "Address to serve at (default 127.0.0.1:3030)");
  control_command->add_option("--state-dir", control.state_dir,
                              "Where the CA and the join token live");
  control_command->add_option("--join-token-file", control.join_token_file,
                              "Use this join token instead of a new random one");

  auto args = arguments_with_shorthand(argc, argv);
  // For `node`, what follows `--` is the guest's, all of it: CLI11 would give the first of it
  // to the optional `control` positional when no URL came before (as with --cluster).
  std::vector<std::string> node_guest_args;
  if (!args.empty() && args[0] == "node") {
    if (const auto dashes = std::find(args.begin(), args.end(), "--"); dashes != args.end()) {
      node_guest_args.assign(dashes + 1, args.end());
      args.erase(dashes, args.end());
    }
  }
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (run_command->parsed()) return lunatic::cli::run_command(run);
  if (test_command->parsed()) return lunatic::cli::test_command(test);
  if (node_command->parsed()) {
    node.run.args.insert(node.run.args.end(), node_guest_args.begin(), node_guest_args.end());
    return lunatic::cli::node_command(std::move(node));
  }
  if (control_command->parsed()) return lunatic::cli::control_command(control);
  if (upgrade_command->parsed()) return lunatic::cli::upgrade_command(upgrade);
  return lunatic::cli::compile_command(compile);
}
