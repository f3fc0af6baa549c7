// The native anchor of the sqlite suite: the same work as sqlite_sdk.cpp, in C against
// libsqlite3 directly.
//
//   sqlite_native DB N   N inserts in one transaction, then N point selects, into a new DB
//
// Prints `sqlite: mode=insert n=N ns=T checked=C` and the same for mode=select: C is the rows
// inserted, and the selects that found the value they expected.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sqlite_native DB N\n");
    return 2;
  }
  const long long n = atoll(argv[2]);
  sqlite3* db = NULL;
  check(sqlite3_open(argv[1], &db), db, "open");
  check(sqlite3_exec(db, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)", 0, 0, 0), db,
        "create");
  char value[32];

  sqlite3_stmt* insert = NULL;
  check(sqlite3_prepare_v2(db, "INSERT INTO kv VALUES (?1, ?2)", -1, &insert, NULL), db, "prepare");
  long long t = now_ns();
  check(sqlite3_exec(db, "BEGIN", 0, 0, 0), db, "begin");
  long long inserted = 0;
  for (long long i = 0; i < n; ++i) {
    int len = snprintf(value, sizeof value, "value-%lld", i);
    sqlite3_bind_int64(insert, 1, i);
    sqlite3_bind_text(insert, 2, value, len, SQLITE_TRANSIENT);
    if (sqlite3_step(insert) == SQLITE_DONE) ++inserted;
    sqlite3_reset(insert);
  }
  check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
  printf("sqlite: mode=insert n=%lld ns=%lld checked=%lld\n", n, now_ns() - t, inserted);
  sqlite3_finalize(insert);

  sqlite3_stmt* select = NULL;
  check(sqlite3_prepare_v2(db, "SELECT v FROM kv WHERE k = ?1", -1, &select, NULL), db, "prepare");
  t = now_ns();
  long long found = 0;
  for (long long i = 0; i < n; ++i) {
    const long long k = (i * 7919) % n;
    sqlite3_bind_int64(select, 1, k);
    if (sqlite3_step(select) == SQLITE_ROW) {
      int len = snprintf(value, sizeof value, "value-%lld", k);
      const unsigned char* text = sqlite3_column_text(select, 0);
      // A copy, as the guest gets one.
      char* copy = malloc((size_t)sqlite3_column_bytes(select, 0) + 1);
      memcpy(copy, text, (size_t)sqlite3_column_bytes(select, 0) + 1);
      if ((int)strlen(copy) == len && memcmp(copy, value, (size_t)len) == 0) ++found;
      free(copy);
    }
    sqlite3_reset(select);
  }
  printf("sqlite: mode=select n=%lld ns=%lld checked=%lld\n", n, now_ns() - t, found);
  sqlite3_finalize(select);
  sqlite3_close(db);
  return 0;
}
