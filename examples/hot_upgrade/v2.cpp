// Version 2 of the hot_upgrade example (hot_upgrade.hpp): the stats server's counter becomes a
// map of counts per path, converted from version 1's state, and the responses change.
#include "hot_upgrade.hpp"

LUNATIC_CODE_VERSION("hot-upgrade-v2");

namespace {

struct V2 {
  static constexpr const char* kName = "v2";

  struct Stats {
    using Arg = int;
    using Request = hot_upgrade::Note;
    using Response = hot_upgrade::Counts;
    static constexpr const char* kUpgradeKind = "stats";
    std::int64_t total = 0;
    std::map<std::string, std::int64_t> paths;

    static Stats init(int) { return Stats{}; }
    hot_upgrade::Counts handle_request(const hot_upgrade::Note& note) {
      return {++total, ++paths[note.path]};
    }
    // From version 1: its total goes on; paths are counted from the upgrade on.
    static lunatic::Result<Stats> code_change(std::string_view old_version,
                                              std::span<const std::uint8_t> old_state);
  };

  static std::string body(const std::string& path, const hot_upgrade::Counts& counts,
                          std::int64_t served_here) {
    return "v2: " + path + " asked " + std::to_string(counts.path) + " time(s) since v2; request " +
           std::to_string(served_here) + " on this connection, " + std::to_string(counts.total) +
           " in all\n";
  }
};

struct StatsV1 {  // version 1's state, as it hands it over
  std::int64_t total;
};

lunatic::Result<V2::Stats> V2::Stats::code_change(std::string_view old_version,
                                                  std::span<const std::uint8_t> old_state) {
  if (old_version != "hot-upgrade-v1") {
    return lunatic::Error{lunatic::ErrorKind::kInvalidInput,
                          "no conversion from " + std::string(old_version)};
  }
  auto old = lunatic::msgpack::from_bytes<StatsV1>(old_state);
  if (!old) return old.error();
  return Stats{old->total, {}};
}

const bool registered = hot_upgrade::add_takeovers<V2>();

}  // namespace

int main(int argc, char** argv) { return hot_upgrade::run<V2>(argc, argv); }
