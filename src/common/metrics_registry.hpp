// Named metrics (counters, gauges, histograms) that guests set through lunatic::metrics, kept
// for the Prometheus endpoint (docs/observability.md). As Lunatic's exporter does, a metric is
// made by its first use; its name is turned into a Prometheus name (every character outside
// [a-zA-Z0-9_:] becomes '_', so Lunatic's "a.b" is "a_b").
//
// Bounded, since guests choose the names: at most kMaxMetrics metrics of at most kMaxNameBytes
// bytes. An update that would make one more, or one of another kind under a name already in use
// (a counter used as a gauge), is ignored and counted in dropped_updates().
//
// Thread-safe. An update of an existing metric takes a shared lock and one atomic operation, and
// allocates nothing (its Prometheus name is spelled in a buffer on the stack).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lunatic {

class MetricsRegistry {
 public:
  static constexpr std::size_t kMaxMetrics = 4096;
  static constexpr std::size_t kMaxNameBytes = 256;
  // Prometheus's default buckets (seconds-like values), the upper bounds of a histogram's
  // buckets before +Inf.
  static constexpr std::array<double, 11> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1.0,  2.5,   5.0,  10.0};

  void counter_add(std::string_view name, std::uint64_t value);
  void gauge_set(std::string_view name, double value);
  void gauge_add(std::string_view name, double delta);
  void histogram_record(std::string_view name, double value);

  // Prometheus text exposition format 0.0.4, metrics in name order, leaving out the names in
  // `reserved` (the runtime's own, written before these).
  std::string prometheus_text(const std::vector<std::string>& reserved = {}) const;
  std::uint64_t dropped_updates() const { return dropped_.load(std::memory_order_relaxed); }

  // The Prometheus name of a guest's name.
  static std::string prometheus_name(std::string_view name);

 private:
  enum class Kind : std::uint8_t { kCounter, kGauge, kHistogram };
  struct Metric {
    explicit Metric(Kind k) : kind(k) {}
    const Kind kind;
    std::atomic<std::uint64_t> count{0};  // a counter's value; a histogram's observations
    std::atomic<double> value{0};         // a gauge's value; a histogram's sum
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};  // histograms only
  };

  // The metric of that name and kind, made if need be; nullptr when the update is dropped.
  Metric* find_or_make(std::string_view name, Kind kind);

  // Lets the map be searched by a string_view, without making a std::string of the key.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };

  mutable std::shared_mutex mutex_;
  // By Prometheus name.
  std::unordered_map<std::string, std::unique_ptr<Metric>, NameHash, std::equal_to<>> metrics_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace lunatic
