#include "runtime/runtime_counters.hpp"

#include <algorithm>

namespace lunatic::runtime {

RuntimeCounters::RuntimeCounters(unsigned workers) {
  for (unsigned i = 0; i < workers; ++i) workers_.push_back(std::make_unique<CounterBlock>());
}

RuntimeCounters::Binding::Binding(RuntimeCounters& counters, unsigned index)
    : previous_(t_counter_binding) {
  t_counter_binding = {&counters, counters.workers_.at(index).get()};
}

RuntimeCounters::Binding::~Binding() { t_counter_binding = previous_; }

std::uint64_t RuntimeCounters::Totals::messages_sent() const {
  std::uint64_t sent = 0;
  for (std::size_t b = 0; b < kDepthBuckets; ++b) sent += depth_bucket(b);
  return sent;
}

RuntimeCounters::Totals RuntimeCounters::totals() const {
  Totals totals;
  auto add_block = [&](const CounterBlock& block) {
    for (std::size_t i = 0; i < totals.values.size(); ++i) {
      totals.values[i] += block.values[i].load(std::memory_order_relaxed);
    }
    totals.mailbox_depth_max =
        std::max(totals.mailbox_depth_max, block.mailbox_depth_max.load(std::memory_order_relaxed));
  };
  totals.steals_per_worker.reserve(workers_.size());
  for (const auto& block : workers_) {
    add_block(*block);
    totals.steals_per_worker.push_back((*block)[Counter::kSteals].load(std::memory_order_relaxed));
  }
  add_block(shared_);
  return totals;
}

}  // namespace lunatic::runtime
