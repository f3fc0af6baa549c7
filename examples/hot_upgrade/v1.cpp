// Version 1 of the hot_upgrade example (hot_upgrade.hpp): the stats server counts requests.
#include "hot_upgrade.hpp"

LUNATIC_CODE_VERSION("hot-upgrade-v1");

namespace {

struct V1 {
  static constexpr const char* kName = "v1";

  struct Stats {
    using Arg = int;
    using Request = hot_upgrade::Note;
    using Response = hot_upgrade::Counts;
    static constexpr const char* kUpgradeKind = "stats";
    std::int64_t total = 0;

    static Stats init(int) { return Stats{}; }
    hot_upgrade::Counts handle_request(const hot_upgrade::Note&) { return {++total, -1}; }
    // Back from version 2 (a rollback): its total, and the per-path counts are let go.
    static lunatic::Result<Stats> code_change(std::string_view old_version,
                                              std::span<const std::uint8_t> old_state);
  };

  static std::string body(const std::string& path, const hot_upgrade::Counts& counts,
                          std::int64_t served_here) {
    return "v1: hello from " + path + ": request " + std::to_string(served_here) +
           " on this connection, " + std::to_string(counts.total) + " in all\n";
  }
};

struct StatsV2 {  // version 2's state, as it hands it over
  std::int64_t total;
  std::map<std::string, std::int64_t> paths;
};

lunatic::Result<V1::Stats> V1::Stats::code_change(std::string_view old_version,
                                                  std::span<const std::uint8_t> old_state) {
  if (old_version != "hot-upgrade-v2") {
    return lunatic::Error{lunatic::ErrorKind::kInvalidInput,
                          "no conversion from " + std::string(old_version)};
  }
  auto old = lunatic::msgpack::from_bytes<StatsV2>(old_state);
  if (!old) return old.error();
  return Stats{old->total};
}

const bool registered = hot_upgrade::add_takeovers<V1>();

}  // namespace

int main(int argc, char** argv) { return hot_upgrade::run<V1>(argc, argv); }
