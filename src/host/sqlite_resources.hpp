// A process's SQLite connections and statements, and the threads their work runs on.
//
// SQLite calls that may wait or run long (open, prepare, execute, and the steps that
// sqlite/step_policy.hpp does not keep) run on a small pool of threads while the process waits
// (BlockingCalls); the cheap ones (binding, reading the current row, reset, finalize) run on the
// process's own thread. Every call locks
// the connection's mutex; the process makes one call at a time and waits for it, so on its own
// thread the lock is never contended.
//
// When the process dies, its connections are interrupted (a query running for it stops soon)
// and what it held is handed to a pool thread, which finalizes and closes it once any call still
// running has ended: the worker never waits for SQLite, and nothing is left open.
// Thread: the thread running the owning process.
#pragma once

#include <memory>

#include "host/blocking_calls.hpp"
#include "host/resource_table.hpp"
#include "sqlite/database.hpp"

namespace lunatic::host {

struct SqliteResources {
  SqliteResources() = default;
  ~SqliteResources();
  SqliteResources(const SqliteResources&) = delete;
  SqliteResources& operator=(const SqliteResources&) = delete;

  ResourceTable<std::shared_ptr<sqlite::Database>> connections{"sqlite connection"};
  ResourceTable<std::shared_ptr<sqlite::Statement>> statements{"sqlite statement"};
};

// The runtime's SQLite threads: kSqliteThreads of them, started on first use and never joined
// (a query still running at exit must not hold the exit up).
inline constexpr std::size_t kSqliteThreads = 4;
BlockingCalls& sqlite_calls();

}  // namespace lunatic::host
