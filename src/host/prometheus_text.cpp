#include "host/prometheus_text.hpp"

#include <fmt/format.h>

#include <mutex>
#include <vector>

#include "engine/engine.hpp"
#include "engine/memory/linear_memory.hpp"
#include "host/distributed_node.hpp"
#include "host/environment.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

// The runtime's metrics are written first, each under a header that also records its name: a
// guest metric under one of those names is then left out. Lunatic's names (with '_' for '.')
// where Lunatic had one and Prometheus's lint (promtool check metrics) allows it: Lunatic's
// "lunatic.process.environment.process.count" is a gauge, which may not end in "_count", and
// its counters get "_total".
struct Exposition {
  std::string out;
  std::vector<std::string> runtime_names;

  void header(std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    runtime_names.emplace_back(name);
  }
  void gauge(std::string_view name, std::string_view help, double value) {
    header(name, "gauge", help);
    out += fmt::format("{} {}\n", name, value);
  }
  template <class Value>  // an integer, or seconds
  void counter(std::string_view name, std::string_view help, Value value) {
    header(name, "counter", help);
    out += fmt::format("{} {}\n", name, value);
  }
  // One sample per worker, labelled worker="N".
  template <class Values>
  void per_worker(std::string_view name, std::string_view type, std::string_view help,
                  const Values& values) {
    header(name, type, help);
    for (std::size_t worker = 0; worker < values.size(); ++worker) {
      out += fmt::format("{}{{worker=\"{}\"}} {}\n", name, worker, values[worker]);
    }
  }
};

using runtime::Counter;

// The counters the workers keep (runtime/runtime_counters.hpp), summed now.
void write_counters(Exposition& text, const runtime::RuntimeCounters::Totals& totals) {
  text.counter("lunatic_process_spawned_total", "Processes spawned.",
               totals[Counter::kProcessesSpawned]);
  text.header("lunatic_process_exits_total", "counter",
              "Processes ended, by reason: normal, exit_code (nonzero), a trap kind, killed.");
  for (std::size_t i = 0; i < runtime::kExitReasons; ++i) {
    const auto reason = static_cast<engine::TrapKind>(i);
    text.out += fmt::format("lunatic_process_exits_total{{reason=\"{}\"}} {}\n",
                            engine::trap_kind_label(reason), totals[runtime::exit_counter(reason)]);
  }
  text.counter("lunatic_process_messages_send_total",
               "Messages put in a mailbox (data, link-died and process-died).",
               totals.messages_sent());
  text.counter("lunatic_process_messages_send_bytes_total", "Data bytes of the messages sent.",
               totals[Counter::kMessageBytesSent]);
  text.counter("lunatic_process_messages_received_total", "Messages taken by a receive.",
               totals[Counter::kMessagesReceived]);
  text.counter("lunatic_process_messages_received_bytes_total",
               "Data bytes of the messages received.", totals[Counter::kMessageBytesReceived]);
  text.gauge("lunatic_process_mailbox_depth_max",
             "The most messages one mailbox held at once (the new one included), since start.",
             static_cast<double>(totals.mailbox_depth_max));
  text.header("lunatic_process_mailbox_depth", "histogram",
              "Messages in the receiver's mailbox at each send, the new one included.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < runtime::kDepthBuckets; ++b) {
    cumulative += totals.depth_bucket(b);
    const std::string bound = b + 1 < runtime::kDepthBuckets
                                  ? std::to_string(runtime::depth_bucket_bound(b))
                                  : std::string("+Inf");
    text.out +=
        fmt::format("lunatic_process_mailbox_depth_bucket{{le=\"{}\"}} {}\n", bound, cumulative);
  }
  text.out +=
      fmt::format("lunatic_process_mailbox_depth_sum {}\nlunatic_process_mailbox_depth_count {}\n",
                  totals[Counter::kMailboxDepthSum], cumulative);
  // Added and removed are read one after the other while both may move: never below zero.
  auto alive = [](std::uint64_t added, std::uint64_t removed) {
    return static_cast<double>(added > removed ? added - removed : 0);
  };
  text.gauge("lunatic_process_links_alive",
             "Link ends held by live processes (a link between two local processes is two).",
             alive(totals[Counter::kLinksAdded], totals[Counter::kLinksRemoved]));
  text.gauge("lunatic_process_monitors_alive", "Monitors held by live processes.",
             alive(totals[Counter::kMonitorsAdded], totals[Counter::kMonitorsRemoved]));
  text.counter("lunatic_registry_write_total", "Names registered (lunatic::registry::put).",
               totals[Counter::kRegistryWrites]);
  text.counter("lunatic_registry_read_total", "Registry lookups (get, get_or_spawn).",
               totals[Counter::kRegistryReads]);
  text.counter("lunatic_registry_deletion_total", "Registry removals.",
               totals[Counter::kRegistryDeletions]);
  text.per_worker("lunatic_scheduler_steals_total", "counter",
                  "Processes a worker took from another worker's queue.", totals.steals_per_worker);
  text.counter("lunatic_networking_received_bytes_total",
               "Bytes processes read from sockets (TCP, UDP; TLS: plaintext).",
               totals[Counter::kSocketBytesIn]);
  text.counter("lunatic_networking_sent_bytes_total",
               "Bytes processes wrote to sockets (TCP, UDP; TLS: plaintext).",
               totals[Counter::kSocketBytesOut]);
}

void write_modules(Exposition& text, const engine::LoadCounts& counts) {
  const auto read = [](const std::atomic<std::uint64_t>& value) {
    return value.load(std::memory_order_relaxed);
  };
  text.counter("lunatic_process_modules_compiled_total", "Modules compiled from wasm.",
               read(counts.compiled));
  text.counter("lunatic_process_modules_compile_seconds_total", "Time spent compiling them.",
               static_cast<double>(read(counts.compile_ns)) / 1e9);
  text.counter("lunatic_artifact_cache_hits_total",
               "Module loads whose every variant came from the artifact cache.",
               read(counts.cache_hits));
  text.counter("lunatic_artifact_cache_misses_total", "Module loads that had to compile a variant.",
               read(counts.cache_misses));
}

// Per other node of the cluster, labelled peer="<node id>".
void write_peers(Exposition& text, const std::vector<cluster::PeerTraffic>& peers) {
  struct Column {
    const char* name;
    const char* help;
    std::uint64_t cluster::PeerTraffic::*value;
  };
  static constexpr Column kColumns[] = {
      {"lunatic_distributed_peer_sent_total",
       "Records (messages, spawns, signals) queued for another node.",
       &cluster::PeerTraffic::records_sent},
      {"lunatic_distributed_peer_sent_bytes_total", "Bytes of those records.",
       &cluster::PeerTraffic::bytes_sent},
      {"lunatic_distributed_peer_received_total", "Records received from another node.",
       &cluster::PeerTraffic::records_received},
      {"lunatic_distributed_peer_received_bytes_total", "Bytes of those records.",
       &cluster::PeerTraffic::bytes_received},
  };
  for (const Column& column : kColumns) {
    text.header(column.name, "counter", column.help);
    for (const cluster::PeerTraffic& peer : peers) {
      text.out += fmt::format("{}{{peer=\"{}\"}} {}\n", column.name, peer.peer, peer.*column.value);
    }
  }
  // Round trips of the transport's pings: their mean over any window is the rate of _sum over
  // the rate of _count; the last one shows a peer that slows down now.
  constexpr const char* kRoundTrip = "lunatic_distributed_peer_round_trip_seconds";
  text.header(kRoundTrip, "summary", "Round trips of pings to another node.");
  text.runtime_names.emplace_back(std::string(kRoundTrip) + "_sum");
  text.runtime_names.emplace_back(std::string(kRoundTrip) + "_count");
  for (const cluster::PeerTraffic& peer : peers) {
    text.out += fmt::format("{}_sum{{peer=\"{}\"}} {}\n{}_count{{peer=\"{}\"}} {}\n", kRoundTrip,
                            peer.peer, static_cast<double>(peer.round_trip_ns_sum) / 1e9,
                            kRoundTrip, peer.peer, peer.round_trips);
  }
  text.header("lunatic_distributed_peer_last_round_trip_seconds", "gauge",
              "The latest round trip of a ping to another node.");
  for (const cluster::PeerTraffic& peer : peers) {
    text.out += fmt::format("lunatic_distributed_peer_last_round_trip_seconds{{peer=\"{}\"}} {}\n",
                            peer.peer, static_cast<double>(peer.last_round_trip_ns) / 1e9);
  }
}

}  // namespace

std::string prometheus_text(Environment& environment) {
  runtime::Scheduler& scheduler = environment.scheduler();
  Exposition text;
  text.gauge("lunatic_process_environment_processes", "Processes alive.",
             static_cast<double>(scheduler.process_count()));
  text.per_worker("lunatic_scheduler_run_queue_length", "gauge",
                  "Processes waiting to run, per worker.", scheduler.queued_per_worker());
  std::vector<double> busy_seconds;
  for (const std::uint64_t ns : scheduler.busy_ns_per_worker()) {
    busy_seconds.push_back(static_cast<double>(ns) / 1e9);
  }
  text.per_worker("lunatic_scheduler_busy_seconds_total", "counter",
                  "Time each worker was awake (running processes or looking for work), not "
                  "asleep waiting for any.",
                  busy_seconds);
  text.gauge("lunatic_timers_active", "Messages waiting for their timer (lunatic::timer).",
             static_cast<double>(scheduler.timers().pending_sends()));
  std::size_t names = 0;
  {
    std::lock_guard lock(environment.registry_mutex());
    names = environment.registry().size();
  }
  text.gauge("lunatic_registry_names", "Names in the node's registry (lunatic::registry).",
             static_cast<double>(names));
  write_counters(text, scheduler.counters().totals());
  write_modules(text, environment.engine().load_counts());
  text.gauge("lunatic_linear_memory_committed_bytes",
             "Bytes of the linear memories alive (their current sizes).",
             static_cast<double>(engine::linear_memory_committed_bytes()));
  text.gauge("lunatic_fiber_stacks_resident_bytes",
             "Bytes of the fiber stacks' mappings held in memory.",
             static_cast<double>(scheduler.stacks().resident_bytes()));
  text.gauge("lunatic_networking_sockets_open", "Sockets open (TCP listeners and streams, UDP).",
             static_cast<double>(scheduler.reactor().sources()));
  if (const DistributedNode* node = environment.distributed()) write_peers(text, node->traffic());
  const MetricsRegistry& metrics = environment.metrics();
  text.counter("lunatic_metrics_dropped_updates_total",
               "Guest metric updates ignored (limits, kinds).", metrics.dropped_updates());
  text.out += metrics.prometheus_text(text.runtime_names);
  return std::move(text.out);
}

}  // namespace lunatic::host
