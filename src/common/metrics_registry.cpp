#include "common/metrics_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <vector>

namespace lunatic {
namespace {

bool prometheus_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Prometheus's spelling of a sample value: Go's float formatting, with its names for the
// special values.
std::string sample(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

// The Prometheus name of `name` written into `out`, which holds name.size() + 1 characters.
std::string_view spell_prometheus_name(std::string_view name, char* out) {
  // Every other character becomes one a name may start with: only a digit needs a '_' before.
  const bool prefix = name.empty() || (name.front() >= '0' && name.front() <= '9');
  char* next = out;
  if (prefix) *next++ = '_';
  for (const char c : name) *next++ = prometheus_char(c, false) ? c : '_';
  return {out, static_cast<std::size_t>(next - out)};
}

}  // namespace

std::string MetricsRegistry::prometheus_name(std::string_view name) {
  std::string out(name.size() + 1, '\0');
  out.resize(spell_prometheus_name(name, out.data()).size());
  return out;
}

MetricsRegistry::Metric* MetricsRegistry::find_or_make(std::string_view name, Kind kind) {
  if (name.size() > kMaxNameBytes) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  std::array<char, kMaxNameBytes + 1> spelled;
  const std::string_view key = spell_prometheus_name(name, spelled.data());
  {
    std::shared_lock lock(mutex_);
    if (const auto found = metrics_.find(key); found != metrics_.end()) {
      if (found->second->kind == kind) return found->second.get();
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
  }
  std::unique_lock lock(mutex_);
  auto found = metrics_.find(key);
  if (found == metrics_.end()) {
    if (metrics_.size() >= kMaxMetrics) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    found = metrics_.emplace(std::string(key), std::make_unique<Metric>(kind)).first;
  }
  if (found->second->kind != kind) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  return found->second.get();
}

void MetricsRegistry::counter_add(std::string_view name, std::uint64_t value) {
  if (Metric* metric = find_or_make(name, Kind::kCounter)) {
    metric->count.fetch_add(value, std::memory_order_relaxed);
  }
}

void MetricsRegistry::gauge_set(std::string_view name, double value) {
  if (Metric* metric = find_or_make(name, Kind::kGauge)) {
    metric->value.store(value, std::memory_order_relaxed);
  }
}

void MetricsRegistry::gauge_add(std::string_view name, double delta) {
  if (Metric* metric = find_or_make(name, Kind::kGauge)) {
    metric->value.fetch_add(delta, std::memory_order_relaxed);
  }
}

void MetricsRegistry::histogram_record(std::string_view name, double value) {
  Metric* metric = find_or_make(name, Kind::kHistogram);
  if (metric == nullptr) return;
  // Per bucket, not cumulative: the exposition adds them up.
  const auto bucket = std::isnan(value) ? kBuckets.end()
                                        : std::lower_bound(kBuckets.begin(), kBuckets.end(), value);
  if (bucket != kBuckets.end()) {
    metric->buckets[static_cast<std::size_t>(bucket - kBuckets.begin())].fetch_add(
        1, std::memory_order_relaxed);
  }
  metric->value.fetch_add(value, std::memory_order_relaxed);
  metric->count.fetch_add(1, std::memory_order_relaxed);
}

std::string MetricsRegistry::prometheus_text(const std::vector<std::string>& reserved) const {
  std::shared_lock lock(mutex_);
  std::vector<const std::pair<const std::string, std::unique_ptr<Metric>>*> sorted;
  sorted.reserve(metrics_.size());
  for (const auto& entry : metrics_) {
    if (std::find(reserved.begin(), reserved.end(), entry.first) == reserved.end()) {
      sorted.push_back(&entry);
    }
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string out;
  for (const auto* entry : sorted) {
    const std::string& name = entry->first;
    const Metric& metric = *entry->second;
    out += fmt::format("# HELP {} A guest's, through lunatic::metrics.\n", name);
    switch (metric.kind) {
      case Kind::kCounter:
        out += fmt::format("# TYPE {} counter\n{} {}\n", name, name,
                           metric.count.load(std::memory_order_relaxed));
        break;
      case Kind::kGauge:
        out += fmt::format("# TYPE {} gauge\n{} {}\n", name, name,
                           sample(metric.value.load(std::memory_order_relaxed)));
        break;
      case Kind::kHistogram: {
        out += fmt::format("# TYPE {} histogram\n", name);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
          cumulative += metric.buckets[i].load(std::memory_order_relaxed);
          out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, sample(kBuckets[i]), cumulative);
        }
        const std::uint64_t count = metric.count.load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name,
                           std::max(count, cumulative), name,
                           sample(metric.value.load(std::memory_order_relaxed)), name, count);
        break;
      }
    }
  }
  return out;
}

}  // namespace lunatic
