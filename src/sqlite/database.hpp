// A SQLite connection and its prepared statements, owned through shared pointers: a call running
// on a pool thread keeps what it uses alive after its process has died (docs/sqlite.md).
//
// Thread: SQLite is opened without its own mutexes; a Database's mutex() must be held around
// every use of it and of its statements, except interrupt(), which any thread may call.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace lunatic::sqlite {

class Database {
 public:
  // Opens (creating it if need be) the database `filename`, which the caller has already
  // checked; a name with a symlink anywhere in it is refused. ":memory:" and "" open private
  // databases. Returns: the connection, or kIo with SQLite's message.
  static Expected<std::shared_ptr<Database>> open(const std::string& filename);
  ~Database();  // closes once the last statement is finalized
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  std::mutex& mutex() { return mutex_; }
  // Makes the statement running now, if any, stop soon with SQLITE_INTERRUPT.
  void interrupt();
  // Whether SQL compiled here set a busy timeout (PRAGMA busy_timeout = N): steps may then
  // sleep waiting for a lock (step_policy.hpp).
  bool guest_set_busy_timeout() const { return busy_timeout_set_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  static int authorize(void* self, int action, const char* first, const char* second,
                       const char* database, const char* trigger);
  sqlite3* db_;
  std::mutex mutex_;
  bool busy_timeout_set_ = false;
};

class Statement {
 public:
  // Compiles the first statement of `sql`. Caller holds database->mutex().
  // Returns: the statement, or kInvalidArgument with SQLite's message.
  static Expected<std::shared_ptr<Statement>> prepare(std::shared_ptr<Database> database,
                                                      const std::string& sql);
  ~Statement();  // finalizes under the database's mutex
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* handle() const { return stmt_; }
  Database& database() const { return *database_; }

  // What step_policy.hpp decides by: whether the statement only reads, the shape of its
  // program, and whether it has not been stepped since it was prepared or reset.
  bool read_only() const { return read_only_; }
  bool straight() const { return straight_; }
  bool heavy() const { return heavy_; }
  bool fresh() const { return fresh_; }
  void mark_stepped() { fresh_ = false; }
  // sqlite3_reset, after which the statement is fresh again.
  void reset();

 private:
  Statement(std::shared_ptr<Database> database, sqlite3_stmt* stmt, bool read_only, bool straight,
            bool heavy)
      : database_(std::move(database)),
        stmt_(stmt),
        read_only_(read_only),
        straight_(straight),
        heavy_(heavy) {}
  std::shared_ptr<Database> database_;
  sqlite3_stmt* stmt_;
  const bool read_only_;
  const bool straight_;
  const bool heavy_;
  bool fresh_ = true;
};

}  // namespace lunatic::sqlite
