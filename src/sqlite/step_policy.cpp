#include "sqlite/step_policy.hpp"

#include <sqlite3.h>

#include <array>
#include <string>
#include <string_view>

namespace lunatic::sqlite {
namespace {

constexpr int kProgressEvery = 1000;  // VM operations between two progress callbacks

// Operations of simple INSERT, UPDATE and DELETE programs that never jump backwards (loops are
// closed by Next, Prev, Yield, Goto and their kind, none of which is here but Goto, checked
// apart).
constexpr std::array<std::string_view, 43> kStraightOps = {
    "Init",        "Halt",      "HaltIfNull", "Transaction", "OpenWrite",  "OpenRead",
    "Variable",    "Integer",   "Int64",      "Real",        "String8",    "String",
    "Null",        "SoftNull",  "Blob",       "MustBeInt",   "NotNull",    "IsNull",
    "NewRowid",    "NotExists", "NoConflict", "Found",       "NotFound",   "SeekRowid",
    "Insert",      "IdxInsert", "IdxDelete",  "IdxRowid",    "Delete",     "MakeRecord",
    "Rowid",       "Column",    "SCopy",      "Copy",        "IntCopy",    "Noop",
    "Affinity",    "TypeCheck", "Close",      "Explain",     "ReadCookie", "Once",
    "RealAffinity"};

// Operations whose work is a commit or other disk I/O rather than VM steps.
constexpr std::array<std::string_view, 6> kHeavyOps = {"AutoCommit",  "Savepoint", "Checkpoint",
                                                       "JournalMode", "Vacuum",    "IncrVacuum"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view op) {
  for (std::string_view entry : list) {
    if (op == entry) return true;
  }
  return false;
}

struct Budget {
  int calls_left;
  bool spent = false;
};

int on_progress(void* data) {
  auto* budget = static_cast<Budget*>(data);
  if (--budget->calls_left > 0) return 0;
  budget->spent = true;
  return 1;  // interrupts the step
}

}  // namespace

ProgramShape inspect_program(sqlite3* db, sqlite3_stmt* stmt) {
  const char* sql = sqlite3_sql(stmt);
  sqlite3_stmt* explain = nullptr;
  if (sql == nullptr || sqlite3_prepare_v2(db, (std::string("EXPLAIN ") + sql).c_str(), -1,
                                           &explain, nullptr) != SQLITE_OK) {
    sqlite3_finalize(explain);
    return {};
  }
  ProgramShape shape{.straight = true, .heavy = false};
  int rc;
  while ((rc = sqlite3_step(explain)) == SQLITE_ROW) {
    const int address = sqlite3_column_int(explain, 0);
    const auto* op = reinterpret_cast<const char*>(sqlite3_column_text(explain, 1));
    const int p2 = sqlite3_column_int(explain, 3);
    const std::string_view name = op != nullptr ? op : "";
    if (name == "Goto") {
      shape.straight = shape.straight && (p2 > address || p2 == 1);
    } else {
      shape.straight = shape.straight && listed(kStraightOps, name);
    }
    shape.heavy = shape.heavy || listed(kHeavyOps, name);
  }
  sqlite3_finalize(explain);
  if (rc != SQLITE_DONE) return {};
  return shape;
}

std::optional<int> try_step_inline(Statement& statement) {
  Database& database = statement.database();
  if (database.guest_set_busy_timeout()) return std::nullopt;
  sqlite3* db = database.handle();
  sqlite3_stmt* stmt = statement.handle();
  if (statement.straight() && sqlite3_txn_state(db, nullptr) == SQLITE_TXN_WRITE) {
    statement.mark_stepped();
    return sqlite3_step(stmt);
  }
  if (!statement.read_only() || statement.heavy() || !statement.fresh()) return std::nullopt;
  Budget budget{kInlineBudgetOps / kProgressEvery};
  sqlite3_progress_handler(db, kProgressEvery, &on_progress, &budget);
  const int rc = sqlite3_step(stmt);
  sqlite3_progress_handler(db, 0, nullptr, nullptr);
  if (budget.spent) {
    sqlite3_reset(stmt);
    return std::nullopt;
  }
  statement.mark_stepped();
  return rc;
}

}  // namespace lunatic::sqlite
