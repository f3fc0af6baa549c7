// What the Prometheus endpoint serves: the runtime's own gauges, read at scrape time (so they
// cost nothing while nobody scrapes), then the guests' lunatic::metrics.
#pragma once

#include <string>

namespace lunatic::host {

class Environment;

std::string prometheus_text(Environment& environment);

}  // namespace lunatic::host
