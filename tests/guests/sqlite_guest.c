// sqlite_guest.wasm <mode> [args]: lunatic::sqlite through the raw ABI, its wire format written
// and read by hand (so the encoding is checked byte by byte, not by a shared SDK decoder).
//
//   types PATH        a table with every value type, written through bound statements and read
//                     back with read_row, read_column and the column functions
//   reread PATH       the rows `types` left in PATH (a file that outlived its process)
//   errors            bad SQL: execute's code, last_error's code and text; a failing step
//   open PATH...      tries to open each path, one line each ("ok" or the error text)
//   bad MODE          a child misuses the ABI (MODE: stmt_id, conn_id, sql_ptr, len_ptr,
//                     bind_data, column) and traps; the parent carries on with its own database
//   kill_long PATH    a child runs a huge write in PATH and is killed mid-way; other processes
//                     meanwhile query; afterwards PATH is intact and unlocked
//   budget            reads past the inline budget, alone and beside a statement part-way through
//   kill_read         (run with --workers 1) a child's long read moves off the worker: another
//                     process keeps querying meanwhile, and the reader dies when killed
//   hold PATH         a child holds PATH open; "paused 1" while it lives, "paused 2" after its
//                     death (the test counts the runtime's descriptors on PATH at each pause)
#include <stdlib.h>

#include "proc_util.h"

EXPORT("lunatic_alloc") uint32_t lunatic_alloc(uint32_t len) {
  return LUNATIC_PTR(malloc(len ? len : 1));
}

/* ---- encoding a BindList ---- */

typedef struct {
  uint8_t bytes[4096];
  uint32_t len;
  uint64_t count;
} binds_t;

static void put(binds_t* b, const void* data, uint32_t n) {
  memcpy(b->bytes + b->len, data, n);
  b->len += n;
}
static void put_u32(binds_t* b, uint32_t v) { put(b, &v, 4); }
static void put_u64(binds_t* b, uint64_t v) { put(b, &v, 8); }
static void put_string(binds_t* b, const void* data, uint64_t n) {
  put_u64(b, n);
  put(b, data, (uint32_t)n);
}
static void binds_begin(binds_t* b) {
  b->len = 8;  // the count, written by binds_end
  b->count = 0;
}
static void key_index(binds_t* b, uint64_t index) {
  put_u32(b, 1);
  put_u64(b, index);
  b->count++;
}
static void key_name(binds_t* b, const char* name) {
  put_u32(b, 2);
  put_string(b, name, strlen(name));
  b->count++;
}
static void key_none(binds_t* b) {
  put_u32(b, 0);
  b->count++;
}
static void value_null(binds_t* b) { put_u32(b, 0); }
static void value_blob(binds_t* b, const void* data, uint64_t n) {
  put_u32(b, 1);
  put_string(b, data, n);
}
static void value_text(binds_t* b, const char* s) {
  put_u32(b, 2);
  put_string(b, s, strlen(s));
}
static void value_double(binds_t* b, double d) {
  put_u32(b, 3);
  put(b, &d, 8);
}
static void value_int(binds_t* b, int32_t i) {
  put_u32(b, 4);
  put(b, &i, 4);
}
static void value_int64(binds_t* b, int64_t i) {
  put_u32(b, 5);
  put(b, &i, 8);
}
static void binds_send(binds_t* b, uint64_t stmt) {
  memcpy(b->bytes, &b->count, 8);
  lunatic_sqlite_bind_value(stmt, LUNATIC_PTR(b->bytes), b->len);
}

/* ---- decoding results ---- */

typedef struct {
  const uint8_t* p;
  uint32_t left;
} reader_t;

static void take(reader_t* r, void* out, uint32_t n) {
  if (r->left < n) {
    say("decode: short by %u bytes", n - r->left);
    exit(3);
  }
  memcpy(out, r->p, n);
  r->p += n;
  r->left -= n;
}
static uint32_t take_u32(reader_t* r) {
  uint32_t v;
  take(r, &v, 4);
  return v;
}
static uint64_t take_u64(reader_t* r) {
  uint64_t v;
  take(r, &v, 8);
  return v;
}

/* Appends one SqliteValue as text: null, int:N, real:R, text:'S', blob:HEX. */
static void describe_value(reader_t* r, char* out, size_t cap) {
  size_t at = strlen(out);
  uint32_t tag = take_u32(r);
  switch (tag) {
    case 0:
      snprintf(out + at, cap - at, "null");
      return;
    case 1: {
      uint64_t n = take_u64(r);
      at += (size_t)snprintf(out + at, cap - at, "blob:");
      for (uint64_t i = 0; i < n; ++i) {
        uint8_t byte;
        take(r, &byte, 1);
        at += (size_t)snprintf(out + at, cap - at, "%02x", byte);
      }
      return;
    }
    case 2: {
      uint64_t n = take_u64(r);
      char text[256] = {0};
      take(r, text, (uint32_t)n);
      snprintf(out + at, cap - at, "text:'%s'", text);
      return;
    }
    case 3: {
      double d;
      take(r, &d, 8);
      snprintf(out + at, cap - at, "real:%g", d);
      return;
    }
    case 4:
      snprintf(out + at, cap - at, "int:%lld", (long long)take_u64(r));
      return;
    default:
      snprintf(out + at, cap - at, "tag %u?", tag);
      return;
  }
}

static reader_t buffer(uint32_t ptr, uint32_t len) {
  reader_t r = {(const uint8_t*)(uintptr_t)ptr, len};
  return r;
}

static const char* row_text(uint64_t stmt) {
  static char out[1024];
  out[0] = 0;
  uint32_t len = 0;
  uint32_t ptr = lunatic_sqlite_read_row(stmt, LUNATIC_PTR(&len));
  reader_t r = buffer(ptr, len);
  uint64_t n = take_u64(&r);
  for (uint64_t i = 0; i < n; ++i) {
    if (i) strcat(out, " ");
    describe_value(&r, out, sizeof out);
  }
  if (r.left) say("row: %u bytes left over", r.left);
  free((void*)(uintptr_t)ptr);
  return out;
}

static const char* last_error(uint64_t conn) {
  static char out[512];
  uint32_t len = 0;
  uint32_t ptr = lunatic_sqlite_last_error(conn, LUNATIC_PTR(&len));
  reader_t r = buffer(ptr, len);
  uint8_t has;
  take(&r, &has, 1);
  int at = has ? snprintf(out, sizeof out, "code %u", take_u32(&r))
               : snprintf(out, sizeof out, "no code");
  take(&r, &has, 1);
  if (has) {
    uint64_t n = take_u64(&r);
    char text[256] = {0};
    take(&r, text, n < sizeof text ? (uint32_t)n : sizeof text - 1);
    snprintf(out + at, sizeof out - (size_t)at, ", message '%s'", text);
  } else {
    snprintf(out + at, sizeof out - (size_t)at, ", no message");
  }
  free((void*)(uintptr_t)ptr);
  return out;
}

/* ---- helpers ---- */

static uint64_t open_db(const char* path) {
  uint64_t id = 0;
  uint64_t r = lunatic_sqlite_open(LUNATIC_PTR(path), (uint32_t)strlen(path), LUNATIC_PTR(&id));
  if (r != 0) {
    say("open %s: %s", path, error_text(id));
    exit(1);
  }
  return id;
}
static uint32_t exec(uint64_t conn, const char* sql) {
  return lunatic_sqlite_execute(conn, LUNATIC_PTR(sql), (uint32_t)strlen(sql));
}
static uint64_t prepare(uint64_t conn, const char* sql) {
  return lunatic_sqlite_query_prepare(conn, LUNATIC_PTR(sql), (uint32_t)strlen(sql));
}
static void exec_or_die(uint64_t conn, const char* sql) {
  uint32_t rc = exec(conn, sql);
  if (rc != 0) {
    say("execute '%s': %u (%s)", sql, rc, last_error(conn));
    exit(1);
  }
}
/* The single integer a query returns. */
static int64_t query_int(uint64_t conn, const char* sql) {
  uint64_t stmt = prepare(conn, sql);
  int64_t value = -1;
  if (lunatic_sqlite_step(stmt) == LUNATIC_SQLITE_ROW) {
    uint32_t len = 0;
    uint32_t ptr = lunatic_sqlite_read_column(stmt, 0, LUNATIC_PTR(&len));
    reader_t r = buffer(ptr, len);
    if (take_u32(&r) == 4) value = (int64_t)take_u64(&r);
    free((void*)(uintptr_t)ptr);
  }
  lunatic_sqlite_finalize(stmt);
  return value;
}

/* ---- modes ---- */

static int types(const char* path) {
  uint64_t conn = open_db(path);
  say("connection id %llu", (unsigned long long)conn);
  exec_or_die(conn, "CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n)");
  uint64_t insert = prepare(conn, "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)");
  binds_t b;
  binds_begin(&b);
  key_index(&b, 1), value_int(&b, -7);
  key_index(&b, 2), value_double(&b, 2.5);
  key_index(&b, 3), value_text(&b, "héllo");
  key_index(&b, 4), value_blob(&b, "\x00\x01\xfe", 3);
  key_index(&b, 5), value_null(&b);
  binds_send(&b, insert);
  say("insert 1: step %u, changes %u", lunatic_sqlite_step(insert), lunatic_sqlite_changes(conn));
  lunatic_sqlite_statement_reset(insert);
  lunatic_sqlite_finalize(insert);

  insert = prepare(conn, "INSERT INTO t (i, s, b, r) VALUES (:big, :s, @b, $r)");
  binds_begin(&b);
  key_name(&b, "big"), value_int64(&b, 9000000000123LL);
  key_name(&b, ":s"), value_text(&b, "");
  key_name(&b, "@b"), value_blob(&b, "", 0);
  key_name(&b, "r"), value_double(&b, -0.125);
  binds_send(&b, insert);
  say("insert 2: step %u", lunatic_sqlite_step(insert));
  // Reset keeps the bindings: the same row again, then one with only the first value new.
  lunatic_sqlite_statement_reset(insert);
  binds_begin(&b);
  key_none(&b), value_int(&b, 3);
  binds_send(&b, insert);
  say("insert 3: step %u", lunatic_sqlite_step(insert));
  lunatic_sqlite_finalize(insert);

  uint64_t select = prepare(conn, "SELECT i, r, s, b, n AS empty FROM t ORDER BY i");
  say("column count %u", lunatic_sqlite_column_count(select));
  uint32_t len = 0;
  uint32_t ptr = lunatic_sqlite_column_names(select, LUNATIC_PTR(&len));
  reader_t r = buffer(ptr, len);
  uint64_t n = take_u64(&r);
  char names[256] = "";
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t size = take_u64(&r);
    char name[64] = {0};
    take(&r, name, (uint32_t)size);
    strcat(names, i ? "," : "");
    strcat(names, name);
  }
  say("column names %s", names);
  free((void*)(uintptr_t)ptr);
  ptr = lunatic_sqlite_column_name(select, 4, LUNATIC_PTR(&len));
  say("column 4 is '%.*s'", (int)len, (const char*)(uintptr_t)ptr);
  free((void*)(uintptr_t)ptr);
  uint32_t rc;
  while ((rc = lunatic_sqlite_step(select)) == LUNATIC_SQLITE_ROW) {
    say("row %s", row_text(select));
    ptr = lunatic_sqlite_read_column(select, 2, LUNATIC_PTR(&len));
    char one[256] = "";
    r = buffer(ptr, len);
    describe_value(&r, one, sizeof one);
    say("  column 2 alone: %s", one);
    free((void*)(uintptr_t)ptr);
  }
  say("select ends with %u", rc);
  lunatic_sqlite_statement_reset(select);
  say("after reset the first row again: %u %s", lunatic_sqlite_step(select), row_text(select));
  lunatic_sqlite_finalize(select);
  return 0;
}

static int reread(const char* path) {
  uint64_t conn = open_db(path);
  uint64_t select = prepare(conn, "SELECT i, r, s, b, n FROM t ORDER BY i");
  while (lunatic_sqlite_step(select) == LUNATIC_SQLITE_ROW) say("row %s", row_text(select));
  return 0;
}

static int errors(void) {
  uint64_t conn = open_db(":memory:");
  say("last error at first: %s", last_error(conn));
  say("execute bad SQL: %u", exec(conn, "SELEC nonsense"));
  say("last error: %s", last_error(conn));
  exec_or_die(conn, "CREATE TABLE u(k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  uint64_t insert = prepare(conn, "INSERT INTO u VALUES (1, NULL)");
  say("step violating NOT NULL: %u", lunatic_sqlite_step(insert));
  say("last error: %s", last_error(conn));
  lunatic_sqlite_statement_reset(insert);
  lunatic_sqlite_finalize(insert);
  say("execute good SQL: %u", exec(conn, "INSERT INTO u VALUES (1, 'a')"));
  say("changes %u", lunatic_sqlite_changes(conn));
  return 0;
}

static int open_paths(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    uint64_t id = 0;
    uint64_t r =
        lunatic_sqlite_open(LUNATIC_PTR(argv[i]), (uint32_t)strlen(argv[i]), LUNATIC_PTR(&id));
    if (r == 0) {
      uint32_t rc = exec(id, "CREATE TABLE IF NOT EXISTS probe(x)");
      say("open %s: ok (create %u)", argv[i], rc);
    } else {
      say("open %s: refused: %s", argv[i], error_text(id));
    }
  }
  return 0;
}

EXPORT("bad_child") void bad_child(int32_t what) {
  uint64_t conn = open_db(":memory:");
  uint64_t stmt = prepare(conn, "SELECT 1, 2");
  (void)lunatic_sqlite_step(stmt);
  uint32_t len = 0;
  switch (what) {
    case 0:
      (void)lunatic_sqlite_step(stmt + 99);
      break;
    case 1:
      (void)lunatic_sqlite_execute(conn + 99, LUNATIC_PTR("SELECT 1"), 8);
      break;
    case 2:
      (void)lunatic_sqlite_execute(conn, BAD_PTR, 8);
      break;
    case 3:
      (void)lunatic_sqlite_read_row(stmt, BAD_PTR);
      break;
    case 4: {
      // One pair whose key has tag 9, which BindKey lacks.
      static const uint8_t junk[16] = {1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0};
      lunatic_sqlite_bind_value(stmt, LUNATIC_PTR(junk), sizeof junk);
      break;
    }
    case 5:
      (void)lunatic_sqlite_read_column(stmt, 2, LUNATIC_PTR(&len));
      break;
  }
  say("bad child survived");
}

static int bad(const char* which) {
  static const char* modes[] = {"stmt_id", "conn_id", "sql_ptr", "len_ptr", "bind_data", "column"};
  int what = -1;
  for (int i = 0; i < 6; ++i)
    if (strcmp(which, modes[i]) == 0) what = i;
  uint64_t conn = open_db(":memory:");
  exec_or_die(conn, "CREATE TABLE k(v); INSERT INTO k VALUES (41)");
  params_t p = {0};
  param_i32(&p, what);
  uint64_t child = spawn_or_report(0, "bad_child", &p);
  name_pid(child, "child");
  lunatic_monitor(child);
  report_next("child", 10000);
  say("parent reads %lld", (long long)query_int(conn, "SELECT v + 1 FROM k"));
  return 0;
}

/* Sends a path to a child that waits for it (tag PATH_TAG). */
#define PATH_TAG 0x51
static void send_path(uint64_t pid, const char* path) {
  lunatic_message_create_data(PATH_TAG, strlen(path));
  lunatic_message_write_data(LUNATIC_PTR(path), (uint32_t)strlen(path));
  lunatic_message_send(pid);
}
static const char* receive_path(void) {
  static char path[512];
  (void)receive_tag(PATH_TAG, LUNATIC_NO_TIMEOUT);
  uint32_t n = lunatic_message_read_data(LUNATIC_PTR(path), sizeof path - 1);
  path[n] = 0;
  return path;
}

/* The write a killed child never finishes: up to a billion rows in one transaction. */
EXPORT("long_writer") void long_writer(void) {
  uint64_t conn = open_db(receive_path());
  say("writer starts");
  exec(conn,
       "BEGIN; INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
       "WHERE x < 1000000000) SELECT x FROM c; COMMIT");
  say("writer finished (it should have been killed)");
}

/* A read that would take minutes: a prepared statement, so its first step starts on the
 * process's own thread and must move to a SQLite thread when it runs long. */
EXPORT("long_reader") void long_reader(void) {
  uint64_t conn = open_db(":memory:");
  uint64_t stmt = prepare(conn,
                          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE "
                          "x < 1000000000) SELECT count(*) FROM c");
  say("reader starts");
  (void)lunatic_sqlite_step(stmt);
  say("reader finished (it should have been killed)");
}

/* Counts in its own database until told to stop; says how far it got. */
EXPORT("counter") void counter(void) {
  uint64_t conn = open_db(":memory:");
  int64_t n = 0;
  while (receive_tag(GO_TAG, 0) == LUNATIC_TIMEOUT) n += query_int(conn, "SELECT 1");
  say("counter counted at least 10: %s", n >= 10 ? "yes" : "no");
}

static int kill_long(const char* path) {
  uint64_t conn = open_db(path);
  exec_or_die(conn,
              "CREATE TABLE keep(v TEXT); INSERT INTO keep VALUES ('kept'); CREATE TABLE big(x)");
  uint64_t writer = spawn_or_report(0, "long_writer", 0);
  name_pid(writer, "writer");
  lunatic_monitor(writer);
  uint64_t count = spawn_or_report(0, "counter", 0);
  name_pid(count, "counter");
  lunatic_monitor(count);
  send_path(writer, path);
  lunatic_sleep_ms(500);  // the writer is deep in its insert
  say("writer still running: %d", lunatic_exists(writer));
  uint64_t t = now_ns();
  lunatic_kill(writer);
  report_next("writer", 10000);
  say("writer died within 2 s: %s", now_ns() - t < 2000000000ull ? "yes" : "no");
  send_go(count);
  report_next("counter", 10000);
  // The killed query's transaction is rolled back and its locks let go (busy_timeout: the
  // SQLite thread may still be closing the writer's connection).
  exec_or_die(conn, "PRAGMA busy_timeout = 5000");
  uint64_t check = prepare(conn, "PRAGMA integrity_check");
  say("integrity: %u %s", lunatic_sqlite_step(check), row_text(check));
  lunatic_sqlite_finalize(check);
  say("rows in big: %lld", (long long)query_int(conn, "SELECT count(*) FROM big"));
  say("exclusive: %u", exec(conn, "BEGIN EXCLUSIVE; INSERT INTO keep VALUES ('after'); COMMIT"));
  say("keep rows: %lld", (long long)query_int(conn, "SELECT count(*) FROM keep"));
  return 0;
}

/* A read longer than the inline budget gives the right answer (it is rerun from the start on a
 * SQLite thread), alone and while another statement of the connection is part-way through its
 * rows, which the budget's interruption must not disturb. */
static int budget(void) {
  uint64_t conn = open_db(":memory:");
  const char* long_count =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
      "SELECT count(*) FROM c";
  say("alone: %lld", (long long)query_int(conn, long_count));
  uint64_t a =
      prepare(conn,
              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4) "
              "SELECT x FROM c");
  say("a: %u %s", lunatic_sqlite_step(a), row_text(a));
  say("beside a: %lld", (long long)query_int(conn, long_count));
  uint32_t rc;
  while ((rc = lunatic_sqlite_step(a)) == LUNATIC_SQLITE_ROW) say("a: %s", row_text(a));
  say("a ends with %u", rc);
  return 0;
}

/* With one worker: a long read in one process while another keeps querying. */
static int kill_read(void) {
  uint64_t reader = spawn_or_report(0, "long_reader", 0);
  name_pid(reader, "reader");
  lunatic_monitor(reader);
  uint64_t count = spawn_or_report(0, "counter", 0);
  name_pid(count, "counter");
  lunatic_monitor(count);
  lunatic_sleep_ms(500);
  say("reader still running: %d", lunatic_exists(reader));
  send_go(count);
  report_next("counter", 10000);
  uint64_t t = now_ns();
  lunatic_kill(reader);
  report_next("reader", 10000);
  say("reader died within 2 s: %s", now_ns() - t < 2000000000ull ? "yes" : "no");
  return 0;
}

/* Opens the path it is sent and keeps the connection until it dies. */
EXPORT("holder") void holder(void) {
  uint64_t conn = open_db(receive_path());
  exec_or_die(conn, "CREATE TABLE IF NOT EXISTS h(x); INSERT INTO h VALUES (1)");
  for (;;) (void)receive_tag(0x7FFF, LUNATIC_NO_TIMEOUT);
}

static int hold(const char* path) {
  uint64_t child = spawn_or_report(0, "holder", 0);
  name_pid(child, "holder");
  lunatic_monitor(child);
  send_path(child, path);
  lunatic_sleep_ms(300);
  say("paused 1");
  lunatic_sleep_ms(1500);
  lunatic_kill(child);
  report_next("holder", 10000);
  lunatic_sleep_ms(300);  // its connection closes on a SQLite thread
  say("paused 2");
  lunatic_sleep_ms(1500);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: sqlite_guest MODE [ARGS]");
    return 2;
  }
  const char* mode = argv[1];
  if (strcmp(mode, "types") == 0 && argc == 3) return types(argv[2]);
  if (strcmp(mode, "reread") == 0 && argc == 3) return reread(argv[2]);
  if (strcmp(mode, "errors") == 0) return errors();
  if (strcmp(mode, "open") == 0) return open_paths(argc, argv);
  if (strcmp(mode, "bad") == 0 && argc == 3) return bad(argv[2]);
  if (strcmp(mode, "kill_long") == 0 && argc == 3) return kill_long(argv[2]);
  if (strcmp(mode, "kill_read") == 0) return kill_read();
  if (strcmp(mode, "budget") == 0) return budget();
  if (strcmp(mode, "hold") == 0 && argc == 3) return hold(argv[2]);
  say("unknown mode %s", mode);
  return 2;
}
