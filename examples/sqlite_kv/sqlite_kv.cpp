// A persistent key-value server: a named server process keeps its entries in SQLite, in a file
// of a preopened directory, under a one-for-one supervisor. Run it with the directory for the
// database:
//
//   lunatic run --dir ./data:/data sqlite_kv.wasm
//
// It writes a few keys, makes the server crash (a bug, as it would be in real code), lets the
// supervisor restart it, and reads the keys back from the new server: what was written is on
// disk, not in the dead process. Each run adds one to a count kept in the database, so a second
// run shows the first one's data.
#include <chrono>
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <lunatic/sqlite.hpp>
#include <optional>
#include <string>
#include <variant>

using namespace std::chrono_literals;

namespace {

constexpr const char* kDatabase = "/data/kv.db";

struct Put {
  std::string key;
  std::string value;
};
struct Get {
  std::string key;
};
struct Crash {};

struct Kv {
  using Arg = int;
  using Request = std::variant<Put, Get, Crash>;
  using Response = std::optional<std::string>;  // Get: the value, if any

  static Kv init(int) {
    auto db = lunatic::sqlite::Connection::open(kDatabase).value();
    db.execute("CREATE TABLE IF NOT EXISTS kv(k TEXT PRIMARY KEY, v TEXT NOT NULL)").value();
    return Kv{db, db.prepare("INSERT OR REPLACE INTO kv VALUES (?1, ?2)"),
              db.prepare("SELECT v FROM kv WHERE k = ?1")};
  }

  Response handle_request(const Request& request) {
    if (const auto* put = std::get_if<Put>(&request)) {
      insert.bind_all(put->key, put->value);
      insert.run().value();
      insert.reset();
      return std::nullopt;
    }
    if (const auto* get = std::get_if<Get>(&request)) {
      select.bind(1, get->key);
      auto row = select.next().value();
      select.reset();
      if (!row) return std::nullopt;
      return row->text(0);
    }
    volatile int one = 1, zero = 0;
    return std::to_string(one / zero);  // Crash: i32.div_s traps; this process dies, not the data
  }

  lunatic::sqlite::Connection db;
  lunatic::sqlite::Statement insert;
  lunatic::sqlite::Statement select;
};

void tree(int, lunatic::Mailbox<lunatic::SupervisorRequest> mailbox) {
  lunatic::Supervisor supervisor(lunatic::Strategy::kOneForOne,
                                 {.max_restarts = 3, .period = lunatic::Milliseconds(2000)});
  supervisor.add_child("kv", [] { return lunatic::start_server<Kv>(0, {.name = "kv"}); });
  supervisor.run(mailbox);
}

// The server registered as "kv", once the supervisor has it running.
lunatic::ServerRef<Kv> kv_server() {
  for (;;) {
    auto server = lunatic::ServerRef<Kv>::lookup("kv");
    if (server && server->alive()) return *server;
    lunatic::sleep(1ms);
  }
}

std::string get(const std::string& key) {
  auto value = kv_server().request(Get{key}, 2s).value();
  return value.value_or("(none)");
}

}  // namespace

int main() {
  // Linked: if the supervisor gives up (say, no directory for the database), main goes too,
  // instead of waiting for a "kv" that will never come.
  lunatic::spawn_link(&tree, 0).value();
  const int runs = std::stoi(get("runs") == "(none)" ? "0" : get("runs")) + 1;
  kv_server().request(Put{"runs", std::to_string(runs)}, 2s).value();
  std::printf("run %d of this database\n", runs);
  kv_server().request(Put{"greeting", "hello"}, 2s).value();
  kv_server().request(Put{"run-" + std::to_string(runs), "was here"}, 2s).value();
  std::printf("get greeting -> %s\n", get("greeting").c_str());

  auto crashed = kv_server().request(Crash{}, 2s);
  std::printf("crash request -> %s\n", crashed ? "answered" : "the server died");
  std::printf("after the restart: greeting -> %s, run-1 -> %s\n", get("greeting").c_str(),
              get("run-1").c_str());
}
