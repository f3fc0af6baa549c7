#include "sqlite/database.hpp"

#include <sqlite3.h>

#include "sqlite/step_policy.hpp"

namespace lunatic::sqlite {

Expected<std::shared_ptr<Database>> Database::open(const std::string& filename) {
  sqlite3* db = nullptr;
  // NOMUTEX: the owner serializes through mutex(); NOFOLLOW: no symlink in the name (the
  // caller resolved it; one appearing since is a race to leave the sandbox).
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  const int rc = sqlite3_open_v2(filename.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return make_error(Errc::kIo, std::move(message));
  }
  auto database = std::shared_ptr<Database>(new Database(db));
  sqlite3_set_authorizer(db, &Database::authorize, database.get());
  return database;
}

int Database::authorize(void* self, int action, const char* first, const char* second, const char*,
                        const char*) {
  if (action == SQLITE_PRAGMA && first != nullptr && second != nullptr &&
      sqlite3_stricmp(first, "busy_timeout") == 0) {
    static_cast<Database*>(self)->busy_timeout_set_ = true;
  }
  return SQLITE_OK;
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::interrupt() { sqlite3_interrupt(db_); }

Expected<std::shared_ptr<Statement>> Statement::prepare(std::shared_ptr<Database> database,
                                                        const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(database->handle(), sql.data(), static_cast<int>(sql.size()),
                                    &stmt, nullptr);
  if (rc != SQLITE_OK)
    return make_error(Errc::kInvalidArgument, sqlite3_errmsg(database->handle()));
  if (stmt == nullptr) return make_error(Errc::kInvalidArgument, "no SQL statement in the text");
  const bool read_only = sqlite3_stmt_readonly(stmt) != 0;
  const ProgramShape shape = inspect_program(database->handle(), stmt);
  return std::shared_ptr<Statement>(
      new Statement(std::move(database), stmt, read_only, shape.straight, shape.heavy));
}

void Statement::reset() {
  // Its result repeats the last step's, which the guest was given already.
  (void)sqlite3_reset(stmt_);
  fresh_ = true;
}

Statement::~Statement() {
  std::lock_guard guard(database_->mutex());
  sqlite3_finalize(stmt_);
}

}  // namespace lunatic::sqlite
