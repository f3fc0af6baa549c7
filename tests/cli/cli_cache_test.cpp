// CLI tests. The artifact cache: misses, hits, damaged artifacts, concurrent cold runs.
#include "support/cli_support.hpp"

#include <algorithm>
#include <string>
#include <thread>

namespace {

using namespace cli_test;

class Cache : public PrivateCacheTest {};

TEST_F(Cache, AColdRunMissesAndStoresAnArtifactThatTheNextRunHits) {
  auto cold = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(cold, 0);
  EXPECT_EQ(cold.out, "Hello, world!\n") << describe(cold);
  EXPECT_EQ(cache_state(cold), "miss");
  EXPECT_FALSE(artifacts_under(cache_ / "lunatic").empty())
      << "no .lart under " << cache_ / "lunatic";

  auto warm = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(warm, 0);
  EXPECT_EQ(warm.out, "Hello, world!\n") << describe(warm);
  EXPECT_EQ(cache_state(warm), "hit");
}

TEST_F(Cache, TheDefaultAutoModeCachesBothVariantsFromOneColdRun) {
  auto cold = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(cold, 0);
  EXPECT_EQ(cache_state(cold), "miss");
  auto arts = artifacts_under(cache_ / "lunatic");
  ASSERT_EQ(arts.size(), 2u) << "expected a guard and a bounds artifact";
  std::vector<std::string> modes;
  for (auto& a : arts) {
    std::string bytes = read_file(a);
    modes.push_back(contains(bytes, "\"memory_mode\":\"guard\"") ? "guard" : "bounds");
  }
  std::sort(modes.begin(), modes.end());
  EXPECT_EQ(modes, (std::vector<std::string>{"bounds", "guard"}));
  for (const char* mode : {"guard", "bounds", "auto"}) {
    auto warm = lunatic({"run", "--timings", "--memory-mode", mode, guest("hello")});
    EXPECT_EXIT_CODE(warm, 0);
    EXPECT_EQ(cache_state(warm), "hit") << mode;
  }
}

TEST_F(Cache, TimingsAreOneJsonLineWithAllFields) {
  auto r = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  auto j = timings_of(r);
  for (const char* field :
       {"wait_ms", "compile_ms", "load_ms", "instantiate_ms", "run_ms", "total_ms"}) {
    ASSERT_TRUE(j.contains(field)) << "no \"" << field << "\" in " << j.dump();
    ASSERT_TRUE(j[field].is_number()) << "\"" << field << "\" is not a number in " << j.dump();
    EXPECT_GE(j[field].get<double>(), 0.0) << field;
  }
  EXPECT_GE(j["total_ms"].get<double>(), j["run_ms"].get<double>());
  EXPECT_GT(j["compile_ms"].get<double>(), 0.0) << "a cold run compiles";
  EXPECT_LE(j["total_ms"].get<double>(), r.seconds * 1000.0 + 1.0)
      << "total is longer than the process lived";
}

TEST_F(Cache, WithoutTimingsNoTimingsLineIsPrinted) {
  auto r = lunatic({"run", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(contains(r.err, "lunatic-timings")) << describe(r);
}

TEST_F(Cache, DifferentModulesGetDifferentArtifacts) {
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  auto after_one = artifacts_under(cache_ / "lunatic");
  EXPECT_EXIT_CODE(lunatic({"run", guest("exit_code"), "return", "0"}), 0);
  auto after_two = artifacts_under(cache_ / "lunatic");
  EXPECT_GT(after_two.size(), after_one.size());
  auto hello = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EQ(hello.out, "Hello, world!\n") << describe(hello);
  EXPECT_EQ(cache_state(hello), "hit");
  auto exit3 = lunatic({"run", "--timings", guest("exit_code"), "return", "3"});
  EXPECT_EXIT_CODE(exit3, 3);
  EXPECT_EQ(cache_state(exit3), "hit");
}

TEST_F(Cache, ACopyOfAModuleUnderAnotherNameHitsTheSameArtifact) {
  fs::path copy = dir_ / "renamed.wasm";
  fs::copy_file(guest("hello"), copy);
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  auto r = lunatic({"run", "--timings", copy.string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  EXPECT_EQ(cache_state(r), "hit");
}

TEST_F(Cache, AChangedModuleAtTheSamePathIsRecompiled) {
  fs::path app = dir_ / "app.wasm";
  fs::copy_file(guest("hello"), app);
  EXPECT_EXIT_CODE(lunatic({"run", app.string()}), 0);
  fs::copy_file(guest("exit_code"), app, fs::copy_options::overwrite_existing);
  auto r = lunatic({"run", "--timings", app.string(), "exit", "3"});
  EXPECT_EXIT_CODE(r, 3);
  EXPECT_EQ(r.out, "leaving with 3 via exit\n") << describe(r);
  EXPECT_EQ(cache_state(r), "miss");
}

TEST_F(Cache, UsesHomeDotCacheWhenXdgCacheHomeIsUnset) {
  RunOptions opt;
  opt.env["XDG_CACHE_HOME"] = std::nullopt;
  auto r = lunatic({"run", guest("hello")}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(artifacts_under(home_ / ".cache" / "lunatic").empty())
      << "no .lart under ~/.cache/lunatic";
  EXPECT_TRUE(artifacts_under(cache_).empty());
}

TEST_F(Cache, FlippedBytesInACachedArtifactAreDetectedAndRebuilt) {
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  auto arts = artifacts_under(cache_ / "lunatic");
  ASSERT_FALSE(arts.empty());
  for (auto& a : arts) {
    std::string bytes = read_file(a);
    ASSERT_GT(bytes.size(), 256u);
    for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i)
      bytes[i] = static_cast<char>(bytes[i] ^ 0xFF);
    write_file(a, bytes);
  }
  auto r = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  EXPECT_EQ(cache_state(r), "miss");
  EXPECT_TRUE(contains(r.err, "damaged")) << "no warning about the damaged artifact" << describe(r);

  auto again = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(again, 0);
  EXPECT_EQ(again.out, "Hello, world!\n") << describe(again);
  EXPECT_EQ(cache_state(again), "hit");
  EXPECT_FALSE(contains(again.err, "damaged")) << describe(again);
}

TEST_F(Cache, ATruncatedCachedArtifactIsDetectedAndRebuilt) {
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "truncated to half" : "truncated to zero bytes");
    auto arts = artifacts_under(cache_ / "lunatic");
    ASSERT_FALSE(arts.empty());
    for (auto& a : arts) fs::resize_file(a, round == 0 ? fs::file_size(a) / 2 : 0);
    auto r = lunatic({"run", "--timings", guest("hello")});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
    EXPECT_EQ(cache_state(r), "miss");
    EXPECT_TRUE(contains(r.err, "damaged"))
        << "no warning about the damaged artifact" << describe(r);
  }
  auto again = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EQ(again.out, "Hello, world!\n") << describe(again);
  EXPECT_EQ(cache_state(again), "hit");
}

TEST_F(Cache, AnotherModulesArtifactInTheCacheSlotIsDetectedAndRebuilt) {
  // Cache exit_code, keep its artifact, then cache hello and put exit_code's artifact in its
  // place: running hello must not run exit_code. One memory mode, so one artifact per module.
  EXPECT_EXIT_CODE(lunatic({"run", "--memory-mode", "guard", guest("exit_code"), "return", "0"}),
                   0);
  auto first = artifacts_under(cache_ / "lunatic");
  ASSERT_EQ(first.size(), 1u);
  std::string other = read_file(first.front());
  EXPECT_EXIT_CODE(lunatic({"run", "--memory-mode", "guard", guest("hello")}), 0);
  auto both = artifacts_under(cache_ / "lunatic");
  ASSERT_EQ(both.size(), 2u);
  fs::path hello_art = both[0] == first.front() ? both[1] : both[0];
  write_file(hello_art, other);

  auto r = lunatic({"run", "--memory-mode", "guard", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  EXPECT_EQ(cache_state(r), "miss");
  EXPECT_TRUE(contains(r.err, "damaged")) << "no warning about the wrong artifact" << describe(r);
}

// The second waits for the first one's compile and takes its artifacts.
TEST_F(Cache, TwoConcurrentColdRunsOfOneModuleCompileItOnce) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    fs::path cache = dir_ / ("shared-cache-" + std::to_string(round));
    RunOptions opt;
    opt.env["XDG_CACHE_HOME"] = cache.string();
    RunResult a, b;
    std::thread ta([&] {
      a = lunatic({"run", "--timings", guest("exit_code"), "exit", "3"}, opt);
    });
    std::thread tb([&] {
      b = lunatic({"run", "--timings", guest("exit_code"), "exit", "3"}, opt);
    });
    ta.join();
    tb.join();
    int misses = 0;
    for (const RunResult* r : {&a, &b}) {
      EXPECT_EXIT_CODE(*r, 3);
      EXPECT_EQ(r->out, "leaving with 3 via exit\n") << describe(*r);
      auto state = cache_state(*r);
      EXPECT_TRUE(state == "miss" || state == "hit") << state;
      misses += state == "miss";
      EXPECT_FALSE(contains(r->err, "damaged")) << describe(*r);
    }
    EXPECT_EQ(misses, 1) << "both compiled, or neither\n" << describe(a) << describe(b);
    auto after = lunatic({"run", "--timings", guest("exit_code"), "exit", "3"}, opt);
    EXPECT_EXIT_CODE(after, 3);
    EXPECT_EQ(cache_state(after), "hit");
    EXPECT_FALSE(contains(after.err, "damaged")) << describe(after);
  }
}

}  // namespace
