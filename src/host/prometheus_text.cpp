#include "host/prometheus_text.hpp"

#include <fmt/format.h>

#include <mutex>
#include <vector>

#include "host/environment.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

// The runtime's metrics, Lunatic's names (with '_' for '.') where Lunatic had one and
// Prometheus's lint (promtool check metrics) allows it: Lunatic's
// "lunatic.process.environment.process.count" is a gauge, which may not end in "_count". A
// guest metric under one of these names is left out.
const std::vector<std::string>& runtime_names() {
  static const std::vector<std::string> names{
      "lunatic_process_environment_processes", "lunatic_scheduler_run_queue_length",
      "lunatic_timers_active", "lunatic_registry_names", "lunatic_metrics_dropped_updates_total"};
  return names;
}

void gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
}

}  // namespace

std::string prometheus_text(Environment& environment) {
  runtime::Scheduler& scheduler = environment.scheduler();
  std::string out;
  gauge(out, "lunatic_process_environment_processes", "Processes alive.",
        static_cast<double>(scheduler.process_count()));
  out +=
      "# HELP lunatic_scheduler_run_queue_length Processes waiting to run, per worker.\n"
      "# TYPE lunatic_scheduler_run_queue_length gauge\n";
  const std::vector<std::size_t> queued = scheduler.queued_per_worker();
  for (std::size_t worker = 0; worker < queued.size(); ++worker) {
    out += fmt::format("lunatic_scheduler_run_queue_length{{worker=\"{}\"}} {}\n", worker,
                       queued[worker]);
  }
  gauge(out, "lunatic_timers_active", "Messages waiting for their timer (lunatic::timer).",
        static_cast<double>(scheduler.timers().pending_sends()));
  std::size_t names = 0;
  {
    std::lock_guard lock(environment.registry_mutex());
    names = environment.registry().size();
  }
  gauge(out, "lunatic_registry_names", "Names in the node's registry (lunatic::registry).",
        static_cast<double>(names));
  const MetricsRegistry& metrics = environment.metrics();
  out += fmt::format(
      "# HELP lunatic_metrics_dropped_updates_total Guest metric updates ignored (limits, "
      "kinds).\n# TYPE lunatic_metrics_dropped_updates_total counter\n"
      "lunatic_metrics_dropped_updates_total {}\n",
      metrics.dropped_updates());
  out += metrics.prometheus_text(runtime_names());
  return out;
}

}  // namespace lunatic::host
