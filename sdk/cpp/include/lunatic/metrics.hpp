// lunatic::metrics: counters, gauges and histograms the runtime exports to Prometheus
// (`lunatic run --prometheus`, docs/observability.md). A metric is made by its first use; names
// are UTF-8, and "a.b" is exported as "a_b".
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <lunatic/detail/message_io.hpp>
#include <string_view>

namespace lunatic::metrics {

namespace detail {
inline std::uint32_t size(std::string_view name) { return static_cast<std::uint32_t>(name.size()); }
}  // namespace detail

// Adds `value` to the counter.
inline void counter(std::string_view name, std::uint64_t value) {
  lunatic_metrics_counter(lunatic::detail::address(name.data()), detail::size(name), value);
}
inline void increment_counter(std::string_view name) {
  lunatic_metrics_increment_counter(lunatic::detail::address(name.data()), detail::size(name));
}
// Sets the gauge.
inline void gauge(std::string_view name, double value) {
  lunatic_metrics_gauge(lunatic::detail::address(name.data()), detail::size(name), value);
}
inline void increment_gauge(std::string_view name, double value) {
  lunatic_metrics_increment_gauge(lunatic::detail::address(name.data()), detail::size(name), value);
}
inline void decrement_gauge(std::string_view name, double value) {
  lunatic_metrics_decrement_gauge(lunatic::detail::address(name.data()), detail::size(name), value);
}
// Records one observation.
inline void histogram(std::string_view name, double value) {
  lunatic_metrics_histogram(lunatic::detail::address(name.data()), detail::size(name), value);
}

}  // namespace lunatic::metrics
