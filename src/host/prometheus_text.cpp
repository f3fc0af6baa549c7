#include "host/prometheus_text.hpp"

#include <fmt/format.h>

#include <mutex>
#include <vector>

#include "host/environment.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

// The runtime's metrics are written first, each under a header that also records its name: a
// guest metric under one of those names is then left out. Lunatic's names (with '_' for '.')
// where Lunatic had one and Prometheus's lint (promtool check metrics) allows it: Lunatic's
// "lunatic.process.environment.process.count" is a gauge, which may not end in "_count".
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
};

}  // namespace

std::string prometheus_text(Environment& environment) {
  runtime::Scheduler& scheduler = environment.scheduler();
  Exposition text;
  text.gauge("lunatic_process_environment_processes", "Processes alive.",
             static_cast<double>(scheduler.process_count()));
  text.header("lunatic_scheduler_run_queue_length", "gauge",
              "Processes waiting to run, per worker.");
  const std::vector<std::size_t> queued = scheduler.queued_per_worker();
  for (std::size_t worker = 0; worker < queued.size(); ++worker) {
    text.out += fmt::format("lunatic_scheduler_run_queue_length{{worker=\"{}\"}} {}\n", worker,
                            queued[worker]);
  }
  text.gauge("lunatic_timers_active", "Messages waiting for their timer (lunatic::timer).",
             static_cast<double>(scheduler.timers().pending_sends()));
  std::size_t names = 0;
  {
    std::lock_guard lock(environment.registry_mutex());
    names = environment.registry().size();
  }
  text.gauge("lunatic_registry_names", "Names in the node's registry (lunatic::registry).",
             static_cast<double>(names));
  const MetricsRegistry& metrics = environment.metrics();
  text.header("lunatic_metrics_dropped_updates_total", "counter",
              "Guest metric updates ignored (limits, kinds).");
  text.out += fmt::format("lunatic_metrics_dropped_updates_total {}\n", metrics.dropped_updates());
  text.out += metrics.prometheus_text(text.runtime_names);
  return std::move(text.out);
}

}  // namespace lunatic::host
