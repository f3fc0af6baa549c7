// What the Prometheus endpoint serves: the runtime's own metrics (gauges read now, the counters
// the workers keep summed now; docs/observability.md), then the guests' lunatic::metrics.
#pragma once

#include <string>

namespace lunatic::host {

class Environment;

std::string prometheus_text(Environment& environment);

}  // namespace lunatic::host
