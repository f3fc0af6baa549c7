#include "host/metrics_api.hpp"

#include "host/environment.hpp"
#include "host/guest_abi.hpp"

namespace lunatic::host {
namespace {

// Every function takes the metric's name as (ptr: i32, len: i32). Traps, as in Lunatic: the name
// out of bounds or not UTF-8.
MetricsRegistry& metrics_of(HostContext& context) { return environment_of(context).metrics(); }

// counter(name, value: i64): adds value to the counter.
void counter(HostContext& context, std::uint32_t ptr, std::uint32_t len, std::uint64_t value) {
  metrics_of(context).counter_add(guest_utf8(context, ptr, len), value);
}

void increment_counter(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  metrics_of(context).counter_add(guest_utf8(context, ptr, len), 1);
}

// gauge(name, value: f64): sets the gauge.
void gauge(HostContext& context, std::uint32_t ptr, std::uint32_t len, double value) {
  metrics_of(context).gauge_set(guest_utf8(context, ptr, len), value);
}

void increment_gauge(HostContext& context, std::uint32_t ptr, std::uint32_t len, double value) {
  metrics_of(context).gauge_add(guest_utf8(context, ptr, len), value);
}

void decrement_gauge(HostContext& context, std::uint32_t ptr, std::uint32_t len, double value) {
  metrics_of(context).gauge_add(guest_utf8(context, ptr, len), -value);
}

// histogram(name, value: f64): records one observation.
void histogram(HostContext& context, std::uint32_t ptr, std::uint32_t len, double value) {
  metrics_of(context).histogram_record(guest_utf8(context, ptr, len), value);
}

}  // namespace

std::vector<engine::ImportFunction> metrics_functions() {
  constexpr ImportName m{"lunatic::metrics"};
  return {
      host_function<&counter, m, "counter">(),
      host_function<&increment_counter, m, "increment_counter">(),
      host_function<&gauge, m, "gauge">(),
      host_function<&increment_gauge, m, "increment_gauge">(),
      host_function<&decrement_gauge, m, "decrement_gauge">(),
      host_function<&histogram, m, "histogram">(),
  };
}

}  // namespace lunatic::host
