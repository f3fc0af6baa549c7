#include "cli/node_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>

#include <fmt/core.h>

#include "cli/diagnostics.hpp"
#include "cli/preopen_option.hpp"
#include "cli/shutdown_signals.hpp"
#include "cli/state_directory.hpp"
#include "cluster/cluster_node.hpp"
#include "cluster/control_enrollment.hpp"
#include "cluster/join_token.hpp"
#include "cluster/process_id.hpp"
#include "host/distributed_node.hpp"
#include "host/environment.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::cli {
namespace {

// A name for a node started without one: unique, but not stable across restarts (--name is).
std::string generated_name() {
  char host[64] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, 8, "node");
  std::string name;
  for (const char c : std::string_view(host)) {
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '-';
  }
  std::random_device random;
  return fmt::format("{}-{:06x}", name.substr(0, 50), random() & 0xFFFFFF);
}

// The node's certificate, key and CA: the files given, or enrolled with control's CA.
Expected<cluster::TlsIdentityFiles> identity_files(const NodeOptions& options,
                                                   const std::string& name,
                                                   const std::filesystem::path& state_dir) {
  const int given =
      !options.certificate.empty() + !options.private_key.empty() + !options.ca_certificate.empty();
  if (given == 3) {
    return cluster::TlsIdentityFiles{options.ca_certificate, options.certificate,
                                     options.private_key};
  }
  if (given != 0) {
    return make_error(Errc::kInvalidArgument, "--cert, --key and --ca go together");
  }
  if (!options.cluster_url.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "a node of an etcd cluster needs its certificate: --cert, --key and --ca "
                      "(docs/distribution.md)");
  }
  auto control = cluster::StoreEndpoint::parse(options.control_url);
  if (!control) return control.error();
  const std::filesystem::path token_file = options.join_token_file.empty()
                                               ? state_home() / "control" / cluster::kJoinTokenFile
                                               : std::filesystem::path(options.join_token_file);
  auto token = cluster::read_join_token(token_file);
  if (!token) {
    return make_error(
        Errc::kInvalidArgument,
        token.error().message + " (the join token of `lunatic control`: --join-token-file)");
  }
  return cluster::enroll_with_control(*control, *token, name, state_dir);
}

}  // namespace

int node_command(NodeOptions options) {
  ShutdownSignals signals;  // first: every thread started below inherits the blocked signals

  cluster::NodeTags tags;
  for (const auto& tag : options.tags) {
    if (const Status added = cluster::add_tag(tags, tag); !added) {
      print_error("--tag: " + added.error().message);
      return kExitRuntimeError;
    }
  }
  std::vector<wasi::Preopen> grants;
  for (const auto& dir : options.run.dirs) {
    auto preopen = parse_preopen(dir);
    if (!preopen) {
      print_error(preopen.error().message);
      return kExitRuntimeError;
    }
    grants.push_back(std::move(*preopen));
  }

  const std::string name = !options.name.empty() ? options.name : generated_name();
  const std::filesystem::path state_dir = options.state_dir.empty()
                                              ? state_home() / ("node-" + name)
                                              : std::filesystem::path(options.state_dir);
  auto files = identity_files(options, name, state_dir);
  if (!files) {
    print_error(files.error().message);
    return kExitRuntimeError;
  }
  auto identity = cluster::TlsIdentity::load(*files);
  if (!identity) {
    print_error(identity.error().message);
    return kExitRuntimeError;
  }
  if (!options.name.empty() && identity->name() != options.name) {
    print_error(fmt::format("--name {} differs from the certificate's name (CN) {}", options.name,
                            identity->name()));
    return kExitRuntimeError;
  }

  auto created = cluster::StoreClient::create(options.cluster_url.empty() ? options.control_url
                                                                          : options.cluster_url);
  if (!created) {
    print_error(created.error().message);
    return kExitRuntimeError;
  }
  const cluster::StoreClient& store = *created;
  const bool verbose = options.run.log_level == "info" || options.run.log_level == "debug";
  cluster::ClusterNodeOptions cluster_options;
  cluster_options.membership.cluster = options.cluster_name;
  cluster_options.membership.name = identity->name();
  cluster_options.membership.tags = tags;
  cluster_options.membership.ttl = std::chrono::seconds(options.lease_ttl_seconds);
  cluster_options.transport.tick_timeout = std::chrono::milliseconds(options.tick_timeout_ms);
  cluster_options.transport.tick_interval = std::chrono::milliseconds(options.tick_timeout_ms / 4);
  cluster_options.transport.node_name = identity->name();
  cluster_options.transport.cluster_name = options.cluster_name;
  cluster_options.transport.bind_address = options.bind_socket;
  cluster_options.transport.identity =
      std::make_shared<const cluster::TlsIdentity>(std::move(*identity));
  if (verbose) {
    cluster_options.on_status = [](std::string_view text) {
      print_warning(fmt::format("node: {}", text));
    };
  }
  auto node = cluster::ClusterNode::start(store, std::move(cluster_options));
  if (!node) {
    print_error("could not join the cluster at " + store.endpoint().text() + ": " +
                node.error().message);
    return kExitRuntimeError;
  }
  std::unique_ptr<host::DistributedNode> distributed;
  host::Environment* attached_to = nullptr;
  NodeRuntime runtime;
  runtime.first_process_id = cluster::first_process_id((*node)->node_id());
  runtime.attach = [&](host::Environment& environment, runtime::Scheduler& scheduler) -> Status {
    distributed = std::make_unique<host::DistributedNode>(
        environment, **node, host::DistributedOptions{.grants = grants});
    environment.set_distributed(distributed.get());
    attached_to = &environment;
    if (const Status announced = (*node)->announce(); !announced) {
      return make_error(announced.error().code,
                        "could not publish this node's address: " + announced.error().message);
    }
    // One line on stdout that scripts and tests wait for: the node is a member and listening.
    fmt::print("lunatic node: {} is node {} at {}, in cluster {} at {}\n", name, (*node)->node_id(),
               (*node)->address(), options.cluster_name, store.endpoint().text());
    std::fflush(stdout);
    scheduler.hold();  // serves the cluster while no process lives
    signals.start([&scheduler](int) { scheduler.stop(); });
    return Ok{};
  };
  runtime.detach = [&] {
    (*node)->leave();  // the others see it leave now, not after its lease
    attached_to->set_distributed(nullptr);
    distributed.reset();
  };
  return run_node_runtime(options.run, runtime);
}

}  // namespace lunatic::cli
