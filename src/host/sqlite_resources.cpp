#include "host/sqlite_resources.hpp"

#include <utility>
#include <vector>

namespace lunatic::host {

BlockingCalls& sqlite_calls() {
  static BlockingCalls* const calls = new BlockingCalls(kSqliteThreads);
  return *calls;
}

SqliteResources::~SqliteResources() {
  std::vector<std::shared_ptr<sqlite::Database>> connections = this->connections.take_all();
  std::vector<std::shared_ptr<sqlite::Statement>> statements = this->statements.take_all();
  if (connections.empty() && statements.empty()) return;
  for (const auto& connection : connections) connection->interrupt();
  // Statements first (each finalizes under its connection's lock, after any running call),
  // then the connections, the last reference to each closing it.
  sqlite_calls().post(
      [statements = std::move(statements), connections = std::move(connections)]() mutable {
        statements.clear();
        connections.clear();
      });
}

}  // namespace lunatic::host
