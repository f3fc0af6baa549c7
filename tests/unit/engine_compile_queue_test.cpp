// Guest-supplied compiles run on the compile queue's threads: each ends with a module or a
// reason, signalled on its eventfd; a cancelled one ends at once, its C compilers killed.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <string>

#include "engine/compile/compile_queue.hpp"
#include "engine/engine.hpp"
#include "host/host_imports.hpp"
#include "support/guest.hpp"
#include "support/wat.hpp"

namespace lunatic::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// An engine with a cache of its own per test: nothing is found compiled already.
class CompileQueueTest : public ::testing::Test {
 protected:
  CompileQueueTest() : engine_(options(), host::host_imports()) {}

  static EngineOptions options() {
    EngineOptions options;
    static int next = 0;
    options.cache_root = testing::test_cache_root() / ("queue-" + std::to_string(next++));
    options.show_progress = false;
    return options;
  }

  // Waits for the job's eventfd (at most `seconds`). Returns: whether it became readable.
  static bool wait_ready(const QueuedCompile& job, int seconds) {
    pollfd fd{job.ready_fd(), POLLIN, 0};
    return ::poll(&fd, 1, seconds * 1000) == 1;
  }

  Engine engine_;
};

// Seconds of C compiler time: `functions` functions of `ops` operations each.
std::string big_module(int functions, int ops) {
  std::string wat = "(module";
  for (int f = 0; f < functions; ++f) {
    wat += "\n (func (export \"f" + std::to_string(f) + "\") (result i32) (i32.const " +
           std::to_string(f) + ")";
    for (int k = 0; k < ops; ++k) wat += " (i32.const " + std::to_string(k * 7 + f) + ") i32.add";
    wat += ")";
  }
  return testing::wat_to_wasm(wat + ")");
}

TEST_F(CompileQueueTest, ACompileEndsWithTheModuleAndSaysSoOnItsEventfd) {
  CompileQueue queue(engine_, /*compiler_memory=*/0, 1);
  auto job = queue.submit(testing::wat_to_wasm("(module (func (export \"f\")))"), "small");
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_TRUE(wait_ready(**job, 120));
  EXPECT_TRUE((*job)->done());
  auto module = (*job)->result();
  ASSERT_TRUE(module) << module.error().message;
  EXPECT_NE((*module)->description().find_export("f"), nullptr);
}

TEST_F(CompileQueueTest, BytesThatAreNotAModuleEndWithTheReason) {
  CompileQueue queue(engine_, /*compiler_memory=*/0, 1);
  auto job = queue.submit("not wasm", "garbage");
  ASSERT_TRUE(job);
  ASSERT_TRUE(wait_ready(**job, 60));
  auto module = (*job)->result();
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().code, Errc::kMalformedModule);
}

TEST_F(CompileQueueTest, ACompilerPastItsMemoryLimitFailsTheCompileWithItsOwnWords) {
  // Big enough that gcc and clang alike pass 16 MiB in a second or so.
  CompileQueue queue(engine_, /*compiler_memory=*/16 << 20, 1);
  auto job = queue.submit(big_module(300, 300), "hungry");
  ASSERT_TRUE(job);
  ASSERT_TRUE(wait_ready(**job, 120));
  auto module = (*job)->result();
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().code, Errc::kCompileFailed) << module.error().message;
  EXPECT_NE(module.error().message.find(
                "the C compiler ran out of memory on hungry (it may use 16 MiB): "),
            std::string::npos)
      << module.error().message;
}

TEST_F(CompileQueueTest, ACancelledCompileEndsAtOnceWithItsCompilersKilled) {
  CompileQueue queue(engine_, /*compiler_memory=*/0, 1);
  auto job = queue.submit(big_module(300, 300), "big");
  ASSERT_TRUE(job);
  // Long enough to be in the C compiler, which takes many seconds for this module.
  EXPECT_FALSE(wait_ready(**job, 2)) << "the compile finished too soon to be cancelled";
  const auto cancelled_at = Clock::now();
  (*job)->cancel();
  ASSERT_TRUE(wait_ready(**job, 30));
  // The compile takes many seconds; a cancel that works ends it at once (3.6 s was seen
  // under ASan on a loaded machine, the whole compile takes much longer).
  EXPECT_LT(seconds_since(cancelled_at), 5.0) << "the compile ran on after its cancel";
  auto module = (*job)->result();
  ASSERT_FALSE(module);
  EXPECT_EQ(module.error().code, Errc::kCancelled) << module.error().message;
}

TEST_F(CompileQueueTest, DestroyingTheQueueCancelsWhatRunsAndWhatWaits) {
  std::shared_ptr<QueuedCompile> running, waiting;
  const auto start = Clock::now();
  {
    CompileQueue queue(engine_, /*compiler_memory=*/0, 1);
    running = queue.submit(big_module(300, 300), "big").value();
    waiting = queue.submit(testing::wat_to_wasm("(module)"), "queued").value();
    EXPECT_FALSE(wait_ready(*running, 2));
  }
  EXPECT_LT(seconds_since(start), 10.0);
  EXPECT_TRUE(running->done());
  EXPECT_TRUE(waiting->done());
  EXPECT_EQ(running->result().error().code, Errc::kCancelled);
  EXPECT_EQ(waiting->result().error().code, Errc::kCancelled);
}

}  // namespace
}  // namespace lunatic::engine
