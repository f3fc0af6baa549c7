// The sqlite suite's guest: N inserts in one transaction and N point selects through the C++
// SDK (lunatic/sqlite.hpp), the same work as sqlite_native.c.
//
//   lunatic run --dir D:/db sqlite_sdk.wasm /db/NAME N
//
// Prints `sqlite: mode=insert n=N ns=T checked=C` and the same for mode=select.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <lunatic/sqlite.hpp>
#include <string>
#include <string_view>

namespace {

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The value stored under key i, written as sqlite_native.c writes it.
std::string_view value_of(long long i, char (&buffer)[32]) {
  const int length = std::snprintf(buffer, sizeof buffer, "value-%lld", i);
  return {buffer, static_cast<std::size_t>(length)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sqlite_sdk DB N\n");
    return 2;
  }
  const long long n = std::atoll(argv[2]);
  auto db = lunatic::sqlite::Connection::open(argv[1]).value();
  db.execute("CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)").value();

  auto insert = db.prepare("INSERT INTO kv VALUES (?1, ?2)");
  long long t = now_ns();
  db.execute("BEGIN").value();
  long long inserted = 0;
  char buffer[32];
  for (long long i = 0; i < n; ++i) {
    insert.bind_all(i, value_of(i, buffer));
    if (insert.run()) ++inserted;
    insert.reset();
  }
  db.execute("COMMIT").value();
  std::printf("sqlite: mode=insert n=%lld ns=%lld checked=%lld\n", n, now_ns() - t, inserted);

  auto select = db.prepare("SELECT v FROM kv WHERE k = ?1");
  t = now_ns();
  long long found = 0;
  for (long long i = 0; i < n; ++i) {
    const long long k = (i * 7919) % n;
    select.bind(1, k);
    auto row = select.next();
    if (row && *row && (*row)->text(0) == value_of(k, buffer)) ++found;
    select.reset();
  }
  std::printf("sqlite: mode=select n=%lld ns=%lld checked=%lld\n", n, now_ns() - t, found);
  return 0;
}
