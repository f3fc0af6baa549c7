// CLI tests. lunatic::sqlite through sqlite_guest.wasm: every value type through the wire format,
// prepared statements, errors, the sandbox, traps that end only the misbehaving process, a
// process killed in the middle of a long write, and connections closed when their process dies.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/background_server.hpp"
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;

class Sqlite : public ProcessTest {};

const char* const kTypesOutput =
    "connection id 0\n"
    "insert 1: step 101, changes 1\n"
    "insert 2: step 101\n"
    "insert 3: step 101\n"
    "column count 5\n"
    "column names i,r,s,b,empty\n"
    "column 4 is 'empty'\n"
    "row int:-7 real:2.5 text:'h\xc3\xa9llo' blob:0001fe null\n"
    "  column 2 alone: text:'h\xc3\xa9llo'\n"
    "row int:3 real:-0.125 text:'' blob: null\n"
    "  column 2 alone: text:''\n"
    "row int:9000000000123 real:-0.125 text:'' blob: null\n"
    "  column 2 alone: text:''\n"
    "select ends with 101\n"
    "after reset the first row again: 100 int:-7 real:2.5 text:'h\xc3\xa9llo' blob:0001fe null\n";

TEST_F(Sqlite, EveryValueTypeGoesInThroughBindingsAndComesBackThroughTheWireFormat) {
  auto r = run_guest("sqlite_guest", {"types", ":memory:"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, kTypesOutput) << describe(r);
}

TEST_F(Sqlite, ADatabaseInAPreopenOutlivesTheProcessThatWroteIt) {
  const fs::path box = dir_ / "box";
  fs::create_directories(box);
  auto written =
      run_guest("sqlite_guest", {"types", "/data/kv.db"}, {"--dir", box.string() + ":/data"});
  EXPECT_EXIT_CODE(written, 0);
  EXPECT_EQ(written.out, kTypesOutput) << describe(written);
  EXPECT_TRUE(fs::is_regular_file(box / "kv.db"));
  auto read =
      run_guest("sqlite_guest", {"reread", "/data/kv.db"}, {"--dir", box.string() + ":/data"});
  EXPECT_EXIT_CODE(read, 0);
  EXPECT_EQ(read.out,
            "row int:-7 real:2.5 text:'h\xc3\xa9llo' blob:0001fe null\n"
            "row int:3 real:-0.125 text:'' blob: null\n"
            "row int:9000000000123 real:-0.125 text:'' blob: null\n")
      << describe(read);
}

TEST_F(Sqlite, BadSqlGivesItsCodeAndLastErrorGivesTheText) {
  auto r = run_guest("sqlite_guest", {"errors"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "last error at first: no code, no message\n"
            "execute bad SQL: 1\n"
            "last error: code 1, message 'near \"SELEC\": syntax error'\n"
            "step violating NOT NULL: 19\n"
            "last error: code 19, message 'NOT NULL constraint failed: u.v'\n"
            "execute good SQL: 0\n"
            "changes 1\n")
      << describe(r);
}

TEST_F(Sqlite, PathsResolveInsidePreopensAndEveryWayOutIsRefused) {
  const fs::path root = dir_ / "root";
  const fs::path box = root / "box";
  fs::create_directories(box / "sub");
  write_file(root / "secret.db", "");
  fs::create_symlink("../secret.db", box / "rel_link.db");
  fs::create_symlink(root / "secret.db", box / "abs_link.db");
  fs::create_directory_symlink(root, box / "dir_link");
  fs::create_directory_symlink("sub", box / "in_link");
  auto r = run_guest("sqlite_guest",
                     {"open", "/data/a.db", "/data/sub/../b.db", "/data/in_link/c.db",
                      ":memory:", "", "/data/../secret.db", (root / "secret.db").string(),
                      "/data/rel_link.db", "/data/abs_link.db", "/data/dir_link/secret.db",
                      "/data/sub/../../secret.db", "/data", "elsewhere.db"},
                     {"--dir", box.string() + ":/data"});
  EXPECT_EXIT_CODE(r, 0);
  for (const char* ok : {"/data/a.db", "/data/sub/../b.db", "/data/in_link/c.db", ":memory:", ""}) {
    EXPECT_TRUE(has_line(r.out, std::string("open ") + ok + ": ok (create 0)"))
        << ok << describe(r);
  }
  for (const char* out : {"/data/../secret.db", "/data/rel_link.db", "/data/abs_link.db",
                          "/data/dir_link/secret.db", "/data/sub/../../secret.db"}) {
    EXPECT_TRUE(has_line(r.out, std::string("open ") + out + ": refused: cannot open '" + out +
                                    "': cannot reach '" + out + "': it leads out of /data"))
        << out << describe(r);
  }
  EXPECT_TRUE(contains(r.out, "open " + (root / "secret.db").string() + ": refused: cannot open '" +
                                  (root / "secret.db").string() + "': '" +
                                  (root / "secret.db").string() +
                                  "' is not inside a directory this process can reach (it has "
                                  "/data)"))
      << describe(r);
  EXPECT_TRUE(
      contains(r.out, "open /data: refused: cannot open '/data': '/data' names a directory"))
      << describe(r);
  EXPECT_TRUE(contains(r.out, "open elsewhere.db: refused")) << describe(r);
  EXPECT_EQ(fs::file_size(root / "secret.db"), 0u) << "the file outside was written";
  EXPECT_TRUE(fs::is_regular_file(box / "b.db"));
  EXPECT_TRUE(fs::is_regular_file(box / "sub" / "c.db"));
}

TEST_F(Sqlite, AProcessWithoutPreopensOpensOnlyInMemoryDatabases) {
  auto r = run_guest("sqlite_guest", {"open", "x.db", ":memory:"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "open x.db: refused: cannot open 'x.db': 'x.db' is not inside a directory this "
            "process can reach (it has none)\n"
            "open :memory:: ok (create 0)\n")
      << describe(r);
  EXPECT_FALSE(fs::exists(work_ / "x.db"));
}

TEST_F(Sqlite, MisusingTheAbiTrapsOnlyTheProcessThatDidIt) {
  const std::pair<const char*, const char*> cases[] = {
      {"stmt_id", "lunatic::sqlite::sqlite3_step: sqlite statement id 99 does not exist"},
      {"conn_id", "lunatic::sqlite::execute: sqlite connection id 99 does not exist"},
      {"sql_ptr", "lunatic::sqlite::execute: string out of bounds"},
      {"len_ptr", "lunatic::sqlite::read_row: length pointer out of bounds"},
      {"bind_data", "lunatic::sqlite::bind_value: bind list: pair 0 is malformed"},
      {"column", "lunatic::sqlite::read_column: column 2 out of range"},
  };
  for (const auto& [mode, trap] : cases) {
    auto r = run_guest("sqlite_guest", {"bad", mode});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, "child: process-died child\nparent reads 42\n") << mode << describe(r);
    EXPECT_TRUE(contains(r.err, trap)) << mode << describe(r);
    EXPECT_FALSE(contains(r.out, "bad child survived")) << mode << describe(r);
  }
}

TEST_F(Sqlite, KillingAProcessMidWriteLeavesTheDatabaseIntactAndOthersRunning) {
  const fs::path box = dir_ / "box";
  fs::create_directories(box);
  auto r =
      run_guest("sqlite_guest", {"kill_long", "/data/k.db"}, {"--dir", box.string() + ":/data"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"writer starts", "writer still running: 1",
                            "writer: process-died writer", "writer died within 2 s: yes"});
  EXPECT_TRUE(has_line(r.out, "counter counted at least 10: yes")) << describe(r);
  EXPECT_TRUE(has_line(r.out, "integrity: 100 text:'ok'")) << describe(r);
  EXPECT_TRUE(has_line(r.out, "rows in big: 0")) << describe(r);
  EXPECT_TRUE(has_line(r.out, "exclusive: 0")) << describe(r);
  EXPECT_TRUE(has_line(r.out, "keep rows: 2")) << describe(r);
  EXPECT_FALSE(contains(r.out, "writer finished")) << describe(r);
}

TEST_F(Sqlite, AReadPastTheInlineBudgetIsRerunWholeAloneAndBesideAStatementPartWay) {
  auto r = run_guest("sqlite_guest", {"budget"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "alone: 2000000\n"
            "a: 100 int:1\n"
            "beside a: 2000000\n"
            "a: int:2\n"
            "a: int:3\n"
            "a: int:4\n"
            "a ends with 101\n")
      << describe(r);
}

TEST_F(Sqlite, ALongReadMovesOffTheWorkerSoOthersOnItKeepRunning) {
  auto r = run_guest("sqlite_guest", {"kill_read"}, {"--workers", "1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "reader starts\n"
            "reader still running: 1\n"
            "counter counted at least 10: yes\n"
            "counter: process-died counter\n"
            "reader: process-died reader\n"
            "reader died within 2 s: yes\n")
      << describe(r);
}

// How many of the runtime's descriptors are open on `file`.
int descriptors_on(pid_t pid, const fs::path& file) {
  int count = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    std::error_code ignored;
    if (fs::read_symlink(entry.path(), ignored) == file) ++count;
  }
  return count;
}

TEST_F(Sqlite, ADeadProcessLeavesNoDescriptorOnItsDatabase) {
  const fs::path box = fs::canonical(dir_) / "box";
  fs::create_directories(box);
  BackgroundServer runtime({lunatic_binary(), "run", "--dir", box.string() + ":/data",
                            guest("sqlite_guest"), "hold", "/data/h.db"},
                           background_environment(), std::chrono::seconds(60),
                           R"(paused ([0-9]+))");
  ASSERT_TRUE(runtime.port().has_value()) << runtime.output();
  EXPECT_GE(descriptors_on(runtime.pid(), box / "h.db"), 1) << "the living holder's connection";
  ASSERT_TRUE(runtime.wait_for_output("paused 2", std::chrono::seconds(20))) << runtime.output();
  EXPECT_EQ(descriptors_on(runtime.pid(), box / "h.db"), 0) << runtime.output();
}

}  // namespace
