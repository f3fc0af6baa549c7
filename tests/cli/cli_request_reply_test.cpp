// CLI tests. send_receive_skip_search (lunatic::message, and lunatic::distributed on node 0)
// through proc_request_reply.wasm: a reply that comes back at once must not be missed. In
// Lunatic the reply can only enter the mailbox once the call is waiting for it (the process's own
// task moves messages in), so it never is.
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;

class SendReceiveSkipSearch : public ProcessTest {};

TEST_F(SendReceiveSkipSearch, AnImmediateReplyIsNeverMissed) {
  auto r = run_guest("proc_request_reply", {"10000"}, {"--workers", "2"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "message: 10000 of 10000 answered, 0 timeouts, 0 wrong\n"
            "distributed: 10000 of 10000 answered, 0 timeouts, 0 wrong\n")
      << describe(r);
}

}  // namespace
