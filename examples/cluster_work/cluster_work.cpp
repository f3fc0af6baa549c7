// Spreads work over every node of a cluster: counts the primes below 2,000,000 in 40 slices,
// each slice a process on the next node in turn, and adds up the answers. The same program runs
// on one machine (`lunatic run`: one node, node 0) and on a cluster (`lunatic node --wasm`,
// scripts/cluster.sh): nothing in it says where its processes run.
#include <cstdint>
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <map>
#include <vector>

using lunatic::Mailbox;
using lunatic::NodeId;
using lunatic::Process;

struct Slice {
  std::uint64_t begin;
  std::uint64_t end;
  Process<std::vector<std::uint64_t>> reply_to;
};

bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  for (std::uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// One slice: [begin, end) -> {primes found, the node that counted them}.
void count_primes(Slice slice, Mailbox<int>) {
  std::uint64_t count = 0;
  for (std::uint64_t n = slice.begin; n < slice.end; ++n) count += is_prime(n) ? 1 : 0;
  slice.reply_to.send({count, lunatic::this_node().value});
}

int main() {
  constexpr std::uint64_t kLimit = 2'000'000;
  constexpr std::uint64_t kSlices = 40;
  const std::vector<NodeId> nodes = lunatic::nodes();
  std::printf("%zu node(s) in the cluster; this is node %llu\n", nodes.size(),
              static_cast<unsigned long long>(lunatic::this_node().value));
  const Process<std::vector<std::uint64_t>> me(lunatic::this_process_id());
  for (std::uint64_t i = 0; i < kSlices; ++i) {
    const NodeId node = nodes[i % nodes.size()];
    const Slice slice{i * kLimit / kSlices, (i + 1) * kLimit / kSlices, me};
    if (auto spawned = lunatic::spawn_on(node, &count_primes, slice); !spawned) {
      std::printf("spawn on node %llu failed: %s\n", static_cast<unsigned long long>(node.value),
                  spawned.error().message.c_str());
      return 1;
    }
  }
  std::uint64_t primes = 0;
  std::map<std::uint64_t, int> slices_per_node;
  for (std::uint64_t i = 0; i < kSlices; ++i) {
    const auto answer = Mailbox<std::vector<std::uint64_t>>().receive().value();
    primes += answer[0];
    ++slices_per_node[answer[1]];
  }
  for (const auto& [node, slices] : slices_per_node) {
    std::printf("node %llu counted %d slices\n", static_cast<unsigned long long>(node), slices);
  }
  std::printf("primes below %llu: %llu\n", static_cast<unsigned long long>(kLimit),
              static_cast<unsigned long long>(primes));
  return primes == 148'933 ? 0 : 1;
}
