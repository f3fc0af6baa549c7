// Which sqlite3_step calls run on the calling process's own thread, skipping the hop to a
// SQLite thread (which costs more than a point query or a row insert itself).
//
// A step runs inline only when it cannot wait and its work is bounded:
//   - never when the guest set a busy timeout on the connection (a step could then sleep
//     waiting for a lock; without one, a lock conflict returns SQLITE_BUSY at once, the same
//     inline as on a SQLite thread);
//   - a read-only statement's first step since it was prepared or reset (one that neither ends
//     a transaction nor checkpoints, vacuums or changes the journal: their work is disk I/O the
//     budget cannot see) runs under a budget of
//     kInlineBudgetOps virtual-machine operations: past it the step is interrupted (which
//     leaves a read-only statement's transaction alone), reset and run on a SQLite thread, from
//     the start, as if it had gone there at once;
//   - a statement whose program has no loop (an INSERT ... VALUES, an UPDATE or DELETE by key:
//     each operation runs at most once) inside a transaction that already holds the write lock
//     (so no COMMIT and its fsync happens here).
// Everything else (later steps of a read, writes that may loop or commit) runs on a SQLite
// thread. What remains inline is page reads on a cache miss and, in a long transaction, the
// page cache spilling to the file: disk I/O of the size WASI's fd_read and fd_write do inline.
// Thread: the caller holds the statement's database mutex.
#pragma once

#include <optional>

#include "sqlite/database.hpp"

namespace lunatic::sqlite {

inline constexpr int kInlineBudgetOps = 20000;

// Returns: the result of the step run here, or nullopt when it must run on a SQLite thread
// (nothing of it has taken effect then).
std::optional<int> try_step_inline(Statement& statement);

// What a statement's program (its EXPLAIN) shows. straight: it has no loop, every operation
// being in an allow-list of operations that never jump back, and its only backward jump the
// one every program ends with (back to its start, after opening the transaction). heavy: it
// commits, rolls back, checkpoints, vacuums or changes the journal mode.
struct ProgramShape {
  bool straight = false;
  bool heavy = true;
};
ProgramShape inspect_program(sqlite3* db, sqlite3_stmt* stmt);

}  // namespace lunatic::sqlite
