// CLI tests of the examples (examples/, built by the top-level build as a guest project with the
// SDK's toolchain file), and of that toolchain as a user's own project uses it.
#include "support/background_server.hpp"
#include "support/cli_support.hpp"

#include <chrono>
#include <string>

namespace {

using namespace cli_test;

class Examples : public ProcessTest {
 protected:
  RunResult run_example(std::string_view name, std::vector<std::string> options = {},
                        std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {"run"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(example(name));
    argv.insert(argv.end(), args.begin(), args.end());
    return lunatic(argv);
  }
  // `lunatic run <example>.wasm 0` in the background: the example picks a free port and says it.
  std::unique_ptr<BackgroundServer> start_server(std::string_view name) {
    auto server = std::make_unique<BackgroundServer>(
        std::vector<std::string>{lunatic_binary(), "run", example(name), "0"},
        background_environment(), std::chrono::seconds(90));
    EXPECT_TRUE(server->port()) << name << " did not start; it printed: " << server->output();
    return server;
  }
};

TEST_F(Examples, PingPong) {
  auto r = run_example("ping_pong");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "ping: hit 1\npong: hit 2\nping: hit 3\npong: hit 4\nping: hit 5\npong: hit 6\n"
            "ping-pong: 6 hits\n")
      << describe(r);
}

TEST_F(Examples, KeyValueStoreServer) {
  auto r = run_example("kv_store");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "get greeting -> hi\n"
            "get client-0 -> hello from client-0\nget client-1 -> hello from client-1\n"
            "get client-2 -> hello from client-2\n"
            "remove greeting -> hi\nget greeting -> (none)\nstore: stopping with 3 entries\n"
            "after stop: process 2 does not exist\n")
      << describe(r);
}

TEST_F(Examples, SupervisionTreeRestartsCrashedWorkersAndCarriesOn) {
  auto r = run_example("supervision");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(
      r, {
             "== 1. a supervisor with 3 workers (one-for-one, at most 3 restarts in 2 s)",
             "   job  5: worker-2 crashed (process 5 died)",
             "   job  5: worker-2 -> 174764",
             "   worker-2: process 6, restarted 1 time(s)",
             "   all 12 jobs done, checksum 2143848: the system carried on",
             "   the supervisor (process 2) has died, and took its workers with it: yes",
             "   processes spawned: 10007",
         });
  EXPECT_NE(r.err.find("integer divide by zero"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("gives up: more than 3 restarts in 2000 ms"), std::string::npos)
      << describe(r);
}

TEST_F(Examples, SqliteKeyValueServerKeepsItsDataThroughACrashAndAcrossRuns) {
  const fs::path data = dir_ / "data";
  fs::create_directories(data);
  const std::vector<std::string> dir = {"--dir", data.string() + ":/data"};
  auto first = run_example("sqlite_kv", dir);
  EXPECT_EXIT_CODE(first, 0);
  EXPECT_EQ(first.out,
            "run 1 of this database\n"
            "get greeting -> hello\n"
            "crash request -> the server died\n"
            "after the restart: greeting -> hello, run-1 -> was here\n")
      << describe(first);
  EXPECT_TRUE(contains(first.err, "integer divide by zero")) << describe(first);
  auto second = run_example("sqlite_kv", dir);
  EXPECT_EXIT_CODE(second, 0);
  EXPECT_TRUE(has_line(second.out, "run 2 of this database")) << describe(second);
  // No directory for the database: the server cannot start, its supervisor gives up, and main,
  // linked to it, ends the run at once rather than waiting for a server that never comes.
  const auto started = std::chrono::steady_clock::now();
  auto without = run_example("sqlite_kv");
  EXPECT_NE(without.exit_code, 0) << "opened a database with no directory to keep it in";
  EXPECT_TRUE(contains(without.err, "child 'kv' did not start")) << describe(without);
  EXPECT_TRUE(contains(without.err, "process 1 was killed: linked process")) << describe(without);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

TEST_F(Examples, ModuleLoadedAtRunTime) {
  auto r = run_example("dynamic_module", {"--dir", std::string(EXAMPLES_DIR) + ":/plugins"},
                       {"/plugins/plugin.wasm"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out.rfind("loaded /plugins/plugin.wasm: ", 0), 0u) << describe(r);
  EXPECT_NE(r.out.find("compiling garbage: guest-module: "), std::string::npos) << describe(r);
  expect_lines_in_order(r, {"plugin square(1) = 1", "plugin square(5) = 25",
                            "spawning a missing export: that child failed, this one carries on"});
  auto missing = run_example("dynamic_module", {}, {"/plugins/plugin.wasm"});
  EXPECT_EXIT_CODE(missing, 2);
  EXPECT_NE(missing.err.find("cannot read /plugins/plugin.wasm"), std::string::npos)
      << describe(missing);
}

// A user's project: the toolchain file and lunatic_add_guest, in two lines of CMake.
TEST_F(Examples, AUsersOwnProjectBuildsAGuestWithTheToolchainFile) {
  const fs::path project = dir_ / "project";
  fs::create_directories(project);
  write_file(project / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.25)\nproject(mine CXX)\n"
             "include(" SDK_DIR
             "/cmake/LunaticGuest.cmake)\n"
             "lunatic_add_guest(app main.cpp)\n");
  write_file(project / "main.cpp",
             "#include <lunatic/lunatic.hpp>\n#include <cstdio>\n"
             "void child(int x, lunatic::Mailbox<int>) { std::printf(\"child got %d\\n\", x); }\n"
             "int main() { lunatic::spawn(&child, 7).value(); "
             "lunatic::sleep(std::chrono::milliseconds(200)); }\n");
  const fs::path build = dir_ / "build";
  auto configure = run_command({CMAKE_PROGRAM, "-S", project.string(), "-B", build.string(),
                                "-DCMAKE_TOOLCHAIN_FILE=" SDK_DIR "/cmake/wasm32-wasi.cmake"});
  ASSERT_EQ(configure.exit_code, 0) << describe(configure);
  auto compile = run_command({CMAKE_PROGRAM, "--build", build.string()});
  ASSERT_EQ(compile.exit_code, 0) << describe(compile);
  auto r = lunatic({"run", (build / "app.wasm").string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "child got 7\n") << describe(r);

  // Without the toolchain, the include says what is missing.
  auto host =
      run_command({CMAKE_PROGRAM, "-S", project.string(), "-B", (dir_ / "host-build").string()});
  EXPECT_NE(host.exit_code, 0);
  EXPECT_NE(host.err.find("need the wasm32-wasi toolchain"), std::string::npos) << describe(host);
}

TEST_F(Examples, TcpEchoServesEveryClientWhileASilentOneWaits) {
  auto server = start_server("tcp_echo");
  if (!server->port()) return;
  TestClient silent(*server->port());  // connects and never sends: holds only its own process
  ASSERT_TRUE(silent.connected());
  for (int i = 0; i < 3; ++i) {
    TestClient client(*server->port());
    ASSERT_TRUE(client.connected());
    const std::string text = "hello from client " + std::to_string(i);
    ASSERT_TRUE(client.send(text));
    EXPECT_EQ(client.receive(text.size()), text);
  }
}

TEST_F(Examples, ChatRoomRelaysLinesAndTellsWhoJoinsAndLeaves) {
  auto server = start_server("chat");
  if (!server->port()) return;
  TestClient alice(*server->port()), bob(*server->port());
  ASSERT_TRUE(alice.connected() && bob.connected());
  ASSERT_TRUE(alice.send("alice\n"));
  EXPECT_EQ(alice.receive_until("\n"), "* welcome, alice (1 in the room)\n");
  ASSERT_TRUE(bob.send("bob\n"));
  EXPECT_EQ(bob.receive_until("\n"), "* welcome, bob (2 in the room)\n");
  EXPECT_EQ(alice.receive_until("\n"), "* bob joined\n");
  ASSERT_TRUE(alice.send("hi bob\r\n"));
  EXPECT_EQ(bob.receive_until("\n"), "alice: hi bob\n");
  alice.close();
  EXPECT_EQ(bob.receive_until("\n"), "* alice left\n");
}

TEST_F(Examples, HttpHelloAnswersPipelinedRequestsAndCutsOffAClientSendingGarbage) {
  auto server = start_server("http_hello");
  if (!server->port()) return;
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
  TestClient client(*server->port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /again HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(client.receive(2 * response.size()), response + response);
  TestClient hostile(*server->port());
  ASSERT_TRUE(hostile.send(std::string(9000, 'x')));
  EXPECT_EQ(hostile.receive_until("\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\n\r\n"));  // the first client is still served
  EXPECT_EQ(client.receive(response.size()), response);
}

}  // namespace
