// MetricsRegistry: what lunatic::metrics keeps and how Prometheus reads it.
#include "common/metrics_registry.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace lunatic {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsRegistry, NamesBecomePrometheusNames) {
  EXPECT_EQ(MetricsRegistry::prometheus_name("lunatic.process.spawned"), "lunatic_process_spawned");
  EXPECT_EQ(MetricsRegistry::prometheus_name("ok_name:sub"), "ok_name:sub");
  EXPECT_EQ(MetricsRegistry::prometheus_name("9lives"), "_9lives");
  EXPECT_EQ(MetricsRegistry::prometheus_name(""), "_");
  EXPECT_EQ(MetricsRegistry::prometheus_name(".hidden"), "_hidden");
  EXPECT_EQ(MetricsRegistry::prometheus_name("caf\xc3\xa9 au-lait"), "caf___au_lait");
}

TEST(MetricsRegistry, CountersAddGaugesAreSetAndMoved) {
  MetricsRegistry metrics;
  metrics.counter_add("hits", 2);
  metrics.counter_add("hits", 5);
  metrics.gauge_set("depth", 4.5);
  metrics.gauge_add("depth", -1.5);
  const std::string text = metrics.prometheus_text();
  EXPECT_TRUE(has_line(text, "# TYPE hits counter")) << text;
  EXPECT_TRUE(has_line(text, "hits 7")) << text;
  EXPECT_TRUE(has_line(text, "depth 3")) << text;
  EXPECT_LT(text.find("depth"), text.find("hits")) << "in name order: " << text;
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeAndSpecialValuesAreSpelledAsPrometheusDoes) {
  MetricsRegistry metrics;
  for (double v : {0.001, 0.005, 0.3, 100.0}) metrics.histogram_record("lat", v);
  metrics.histogram_record("odd", std::numeric_limits<double>::quiet_NaN());
  metrics.gauge_set("up", std::numeric_limits<double>::infinity());
  const std::string text = metrics.prometheus_text();
  EXPECT_TRUE(has_line(text, "lat_bucket{le=\"0.005\"} 2")) << text;  // le: at most the bound
  EXPECT_TRUE(has_line(text, "lat_bucket{le=\"0.25\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "lat_bucket{le=\"0.5\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "lat_bucket{le=\"+Inf\"} 4")) << text;
  EXPECT_TRUE(has_line(text, "lat_count 4")) << text;
  EXPECT_TRUE(has_line(text, "odd_bucket{le=\"10\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "odd_bucket{le=\"+Inf\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "odd_sum NaN")) << text;
  EXPECT_TRUE(has_line(text, "up +Inf")) << text;
}

TEST(MetricsRegistry, AnotherKindUnderANameInUseTooLongANameOrOneMetricTooManyAreDropped) {
  MetricsRegistry metrics;
  metrics.counter_add("a.b", 1);
  metrics.gauge_set("a_b", 5);  // the same Prometheus name, another kind
  metrics.counter_add(std::string(MetricsRegistry::kMaxNameBytes + 1, 'x'), 1);
  EXPECT_EQ(metrics.dropped_updates(), 2u);
  for (std::size_t i = 1; i < MetricsRegistry::kMaxMetrics; ++i) {
    metrics.counter_add("m" + std::to_string(i), 1);
  }
  EXPECT_EQ(metrics.dropped_updates(), 2u);
  metrics.counter_add("one_too_many", 1);
  metrics.counter_add("a.b", 1);  // an existing one still counts
  EXPECT_EQ(metrics.dropped_updates(), 3u);
  const std::string text = metrics.prometheus_text();
  EXPECT_TRUE(has_line(text, "a_b 2")) << text.substr(0, 200);
  EXPECT_FALSE(has_line(text, "one_too_many 1"));
}

TEST(MetricsRegistry, ANameOfTheLongestLengthKeepsItsUnderscoreBeforeADigit) {
  MetricsRegistry metrics;
  const std::string longest = "9" + std::string(MetricsRegistry::kMaxNameBytes - 1, '.');
  metrics.counter_add(longest, 4);
  EXPECT_EQ(metrics.dropped_updates(), 0u);
  const std::string text = metrics.prometheus_text();
  EXPECT_TRUE(has_line(text, MetricsRegistry::prometheus_name(longest) + " 4")) << text;
  EXPECT_EQ(MetricsRegistry::prometheus_name(longest).size(), MetricsRegistry::kMaxNameBytes + 1);
}

TEST(MetricsRegistry, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        metrics.counter_add("shared", 1);
        metrics.counter_add("own" + std::to_string(t), 1);
        metrics.gauge_add("g", 1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.prometheus_text();
  EXPECT_TRUE(has_line(text, "shared 40000")) << text;
  EXPECT_TRUE(has_line(text, "own3 10000")) << text;
  EXPECT_TRUE(has_line(text, "g 40000")) << text;
}

}  // namespace
}  // namespace lunatic
