// lunatic::metrics: counters, gauges and histograms a guest names, as in Lunatic 0.13
// (crates/lunatic-metrics-api), kept in the environment's MetricsRegistry.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> metrics_functions();

}  // namespace lunatic::host
