// CLI tests. lunatic::distributed on a single node through proc_distributed.wasm. Lunatic 0.13
// without a cluster traps on most of these; this runtime is node 0 and the only node (see
// docs/abi.md), with the error codes Lunatic documents for other nodes.
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;

class Distributed : public ProcessTest {};

TEST_F(Distributed, TheOnlyNodeIsNodeZero) {
  auto r = run_guest("proc_distributed");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"node_id: 0", "nodes_count: 1", "get_nodes(4): 1, [0 222 333 444]",
                            "get_nodes(0): 0, [111]"});
}

TEST_F(Distributed, ModuleIdIsStableAndTheSameInAChild) {
  auto r = run_guest("proc_distributed");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"module_id stable: yes", "local child has the same module_id: yes"});
}

TEST_F(Distributed, SpawnOnNodeZeroWorksLikeALocalSpawn) {
  auto r = run_guest("proc_distributed");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(
      r, {"spawn on node 0: 0", "the child on node 0 reports the pid spawn gave: yes",
          "the child on node 0 has the same module_id: yes"});
}

TEST_F(Distributed, SpawnOnAnotherNodeOrOfAnUnknownModuleReturnsTheDocumentedCodes) {
  auto r = run_guest("proc_distributed");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"spawn on node 1: 1", "its error has a text: yes",
                            "spawn on node 0 from an unknown module: 2"});
}

TEST_F(Distributed, SendOnNodeZeroWorksLikeALocalSendAndElsewhereReturnsTheDocumentedCodes) {
  auto r = run_guest("proc_distributed");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"send to node 0: 0", "received: data tag=77 size=2 \"hi\"",
                            "send to node 0, unknown process: 1", "send to node 5: 2",
                            "mailbox after the failed sends: timeout"});
}

TEST_F(Distributed, SendReceiveSkipSearchOnNodeZeroWaitsForTheReply) {
  auto r = run_guest("proc_distributed");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"send_receive_skip_search on node 0: 0, reply tag 89",
                            "send_receive_skip_search to node 9: 2",
                            "send_receive_skip_search waiting for a tag nobody sends: 9027",
                            "its message to itself arrived: data tag=77 size=0"});
}

TEST_F(Distributed, SpawnWithoutPermissionTrapsTheCaller) {
  auto r = run_guest("proc_distributed");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "distributed spawn without permission: link-died tag=81"))
      << describe(r);
  EXPECT_FALSE(contains(r.out, "denied distributed spawn returned")) << describe(r);
}

}  // namespace
