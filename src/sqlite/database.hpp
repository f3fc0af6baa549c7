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

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::mutex mutex_;
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

 private:
  Statement(std::shared_ptr<Database> database, sqlite3_stmt* stmt)
      : database_(std::move(database)), stmt_(stmt) {}
  std::shared_ptr<Database> database_;
  sqlite3_stmt* stmt_;
};

}  // namespace lunatic::sqlite
