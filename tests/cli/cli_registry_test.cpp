// CLI tests. lunatic::registry through msg_registry.wasm: put, get and remove, names shared by
// every process and by get_or_spawn, stale names, a get_or_spawn race, and the traps of bad
// names and pointers.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class Registry : public ProcessTest {
 protected:
  RunResult run(std::vector<std::string> args) {
    return run_guest("msg_registry", std::move(args));
  }
};

TEST_F(Registry, PutGetAndRemoveWorkOnExactNames) {
  auto r = run({"basics"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "get before put: not found\n"
            "get after put: found node 0 pid 1001\n"
            "get of another name: not found\n"
            "get of a prefix: not found\n"
            "get after a second put: found node 0 pid 1002\n"
            "the empty name: found node 0 pid 1001\n"
            "a UTF-8 name: found node 0 pid 1001\n"
            "get after remove: not found\n"
            "removing a missing name changes nothing: found node 0 pid 1001\n")
      << describe(r);
}

TEST_F(Registry, NamesAreSharedByEveryProcessAndByGetOrSpawn) {
  auto r = run({"shared"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "another process finds main's name: yes\n"
            "get_or_spawn of a put name: 2 (2: found), main\n"
            "get_or_spawn of a new name: 0 (0: spawned)\n"
            "get of that name: found node 0 the spawned child\n"
            "the child started: yes\n")
      << describe(r);
}

TEST_F(Registry, ANameOutlivesItsProcessUntilRemoved) {
  auto r = run({"stale"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "child ended: yes\n"
            "its name: found node 0 the ended child\n"
            "after remove: not found\n")
      << describe(r);
}

TEST_F(Registry, ManyProcessesRacingGetOrSpawnOnOneNameSpawnExactlyOne) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto r = run({"race", "200"});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out,
              "answers: 200, spawned: 1, found: 199, other: 0\n"
              "every caller got the same process: yes\n"
              "processes started: 1, the one registered: yes\n")
        << describe(r);
  }
}

TEST_F(Registry, BadNamesAndPointersTrap) {
  struct Case {
    std::string fn, what, reason;
  };
  for (const Case& c : std::vector<Case>{
           {"put", "name_oob", "lunatic::registry::put: string out of bounds"},
           {"put", "not_utf8", "lunatic::registry::put: string is not valid UTF-8"},
           {"get", "name_oob", "lunatic::registry::get: string out of bounds"},
           {"get", "not_utf8", "lunatic::registry::get: string is not valid UTF-8"},
           {"get", "out_oob", "lunatic::registry::get: pointer out of bounds"},
           {"remove", "name_oob", "lunatic::registry::remove: string out of bounds"},
           {"remove", "not_utf8", "lunatic::registry::remove: string is not valid UTF-8"},
       }) {
    SCOPED_TRACE(c.fn + " " + c.what);
    auto r = run({"bad", c.fn, c.what});
    expect_trap(r, c.reason);
    EXPECT_EQ(r.out, "calling " + c.fn + " with " + c.what + "\n") << describe(r);
  }
}

}  // namespace
