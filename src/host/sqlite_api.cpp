// lunatic::sqlite. Ids of connections and statements count from 0 per process, as in Lunatic
// (lunatic-rs 0.14 never reads the id `open` writes and uses 0). Results of variable size go
// into a buffer the guest allocates (guest_alloc.hpp). Where the work runs: sqlite_resources.hpp.
#include "host/sqlite_api.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <climits>

#include <fmt/core.h>

#include "host/guest_abi.hpp"
#include "host/guest_alloc.hpp"
#include "host/sqlite_resources.hpp"
#include "sqlite/step_policy.hpp"
#include "sqlite/wire_format.hpp"
#include "wasi/preopen_grant.hpp"

namespace lunatic::host {
namespace {

using sqlite::Database;
using sqlite::Statement;

SqliteResources& resources_of(HostContext& context) {
  if (!context.sqlite) context.sqlite = std::make_unique<SqliteResources>();
  return *context.sqlite;
}

// The table's own pointer (no reference count touched: most calls need none); copy it to keep
// the object past a call that may change the table.
const std::shared_ptr<Database>& connection_of(HostContext& context, std::uint64_t id) {
  auto* connection = resources_of(context).connections.get(id);
  if (connection == nullptr) fail(fmt::format("sqlite connection id {} does not exist", id));
  return *connection;
}

const std::shared_ptr<Statement>& statement_of(HostContext& context, std::uint64_t id) {
  auto* statement = resources_of(context).statements.get(id);
  if (statement == nullptr) fail(fmt::format("sqlite statement id {} does not exist", id));
  return *statement;
}

// Runs `call` on a SQLite thread while the process waits, or right here outside a runtime
// process (nothing else would run on this thread meanwhile).
template <class T>
T off_worker(HostContext& context, std::function<T()> call) {
  if (context.blocking == nullptr) return call();
  return sqlite_calls().run<T>(*context.blocking, std::move(call));
}

// The file name SQLite opens for the guest's `path`: ":memory:" and "" (a private temporary
// database) as they are; anything else only inside a preopened directory, named by the real
// path of the directory the sandbox resolved it in. SQLite refuses a symlink anywhere in the
// name (SQLITE_OPEN_NOFOLLOW), so a component the guest swaps for a symlink between this check
// and the open makes the open fail, not leave the preopen.
Expected<std::string> database_file(HostContext& context, const std::string& path) {
  if (path.empty() || path == ":memory:") return path;
  std::span<const wasi::Preopen> preopens;
  if (context.config) preopens = context.config->preopened_dirs;
  auto location = wasi::locate_file(preopens, path);
  if (!location) return location.error();
  char directory[PATH_MAX];
  const std::string link = fmt::format("/proc/self/fd/{}", location->parent.get());
  const ssize_t size = ::readlink(link.c_str(), directory, sizeof directory);
  if (size <= 0 || static_cast<std::size_t>(size) >= sizeof directory) {
    return make_error(Errc::kIo, "cannot name the directory holding it");
  }
  return std::string(directory, static_cast<std::size_t>(size)) + "/" + location->leaf;
}

// open(path_ptr, path_len, id_ptr) -> i64: 0 with a connection id at id_ptr (u64), 1 with an
// error id there (the path is outside the process's preopens, or SQLite cannot open it).
// Traps: the path is not UTF-8 or out of bounds, id_ptr out of bounds.
std::uint64_t open(HostContext& context, std::uint32_t path_ptr, std::uint32_t path_len,
                   std::uint32_t id_ptr) {
  const std::string path = guest_utf8(context, path_ptr, path_len);
  if (!context.memory().try_bytes(id_ptr, sizeof(std::uint64_t))) fail("id pointer out of bounds");
  auto file = database_file(context, path);
  if (!file) {
    store_u64(context, id_ptr,
              add_error(context, "cannot open '" + path + "': " + file.error().message));
    return 1;
  }
  auto opened = off_worker<Expected<std::shared_ptr<Database>>>(
      context, [file = *file] { return Database::open(file); });
  if (!opened) {
    store_u64(context, id_ptr,
              add_error(context, "cannot open '" + path + "': " + opened.error().message));
    return 1;
  }
  store_u64(context, id_ptr, resources_of(context).connections.add(std::move(*opened)));
  return 0;
}

// query_prepare(connection, sql_ptr, sql_len) -> i64: the id of a statement compiled from the
// first statement of the SQL. Traps: unknown connection, SQL not UTF-8 or out of bounds, or
// SQLite refuses it (the trap carries its message; Lunatic traps there too).
std::uint64_t query_prepare(HostContext& context, std::uint64_t connection_id,
                            std::uint32_t sql_ptr, std::uint32_t sql_len) {
  std::shared_ptr<Database> connection = connection_of(context, connection_id);
  std::string sql = guest_utf8(context, sql_ptr, sql_len);
  auto prepared =
      off_worker<Expected<std::shared_ptr<Statement>>>(context, [connection, sql = std::move(sql)] {
        std::lock_guard guard(connection->mutex());
        return Statement::prepare(connection, sql);
      });
  if (!prepared) fail(prepared.error().message);
  return resources_of(context).statements.add(std::move(*prepared));
}

// execute(connection, sql_ptr, sql_len) -> i32: SQLite's result code for running every
// statement of the SQL (0 for success; last_error has the message). Traps: unknown connection,
// SQL not UTF-8 or out of bounds.
std::uint32_t execute(HostContext& context, std::uint64_t connection_id, std::uint32_t sql_ptr,
                      std::uint32_t sql_len) {
  std::shared_ptr<Database> connection = connection_of(context, connection_id);
  std::string sql = guest_utf8(context, sql_ptr, sql_len);
  const int rc = off_worker<int>(context, [connection, sql = std::move(sql)] {
    std::lock_guard guard(connection->mutex());
    return sqlite3_exec(connection->handle(), sql.c_str(), nullptr, nullptr, nullptr);
  });
  return static_cast<std::uint32_t>(rc);
}

// bind_value(statement, data_ptr, data_len): binds a BindList (wire_format.hpp). A pair keyed
// None binds at 1, as Lunatic's does; a named one binds by name. Traps: unknown statement, data
// out of bounds or malformed, an index or name the statement lacks.
void bind_value(HostContext& context, std::uint64_t statement_id, std::uint32_t data_ptr,
                std::uint32_t data_len) {
  const auto& statement = statement_of(context, statement_id);
  auto data = context.memory().try_bytes(data_ptr, data_len);
  if (!data) fail("bind data out of bounds");
  std::lock_guard guard(statement->database().mutex());
  if (auto why = sqlite::bind_list(statement->handle(), *data); !why.empty()) fail(why);
}

// sqlite3_changes(connection) -> i32: rows changed by the connection's last statement.
// Traps: unknown connection.
std::uint32_t changes(HostContext& context, std::uint64_t connection_id) {
  const auto& connection = connection_of(context, connection_id);
  std::lock_guard guard(connection->mutex());
  return static_cast<std::uint32_t>(sqlite3_changes(connection->handle()));
}

// statement_reset(statement): back to before its first step; bindings stay. Traps: unknown
// statement.
void statement_reset(HostContext& context, std::uint64_t statement_id) {
  const auto& statement = statement_of(context, statement_id);
  std::lock_guard guard(statement->database().mutex());
  statement->reset();
}

// last_error(connection, len_ptr) -> i32: a guest buffer holding the connection's last error as
// a SqliteError (its code and message; both None when the last call succeeded), its length at
// len_ptr. Traps: unknown connection, and as copy_to_guest_allocation.
std::uint32_t last_error(HostContext& context, std::uint64_t connection_id, std::uint32_t len_ptr) {
  const auto& connection = connection_of(context, connection_id);
  std::vector<std::uint8_t> bytes;
  {
    std::lock_guard guard(connection->mutex());
    const int code = sqlite3_errcode(connection->handle());
    if (code == SQLITE_OK) {
      sqlite::encode_error(std::nullopt, std::nullopt, bytes);
    } else {
      sqlite::encode_error(static_cast<std::uint32_t>(code),
                           std::string(sqlite3_errmsg(connection->handle())), bytes);
    }
  }
  return copy_to_guest_allocation(context, bytes, len_ptr);
}

// sqlite3_finalize(statement): drops the statement. Traps: unknown statement.
void finalize(HostContext& context, std::uint64_t statement_id) {
  if (!resources_of(context).statements.remove(statement_id)) {
    fail(fmt::format("sqlite statement id {} does not exist", statement_id));
  }
}

// sqlite3_step(statement) -> i32: 100 (SQLITE_ROW) with a row to read, 101 (SQLITE_DONE), or
// SQLite's error code (last_error has the message; Lunatic traps instead, and lunatic-rs
// panics on any other code, so its programs end either way). Traps: unknown statement.
std::uint32_t step(HostContext& context, std::uint64_t statement_id) {
  Statement& inline_statement = *statement_of(context, statement_id);
  {
    std::lock_guard guard(inline_statement.database().mutex());
    if (auto rc = sqlite::try_step_inline(inline_statement)) return static_cast<std::uint32_t>(*rc);
  }
  std::shared_ptr<Statement> statement = statement_of(context, statement_id);
  const int rc = off_worker<int>(context, [statement] {
    std::lock_guard guard(statement->database().mutex());
    statement->mark_stepped();
    return sqlite3_step(statement->handle());
  });
  return static_cast<std::uint32_t>(rc);
}

// The column index `column` of the statement, checked. Caller holds the database's mutex.
int column_index(const Statement& statement, std::uint32_t column) {
  if (column >= static_cast<std::uint32_t>(sqlite3_column_count(statement.handle()))) {
    fail(fmt::format("column {} out of range", column));
  }
  return static_cast<int>(column);
}

// read_column(statement, column, len_ptr) -> i32: a guest buffer holding column `column` of the
// current row as a SqliteValue (an integer is Integer), its length at len_ptr. Traps: unknown
// statement, column out of range, and as copy_to_guest_allocation.
std::uint32_t read_column(HostContext& context, std::uint64_t statement_id, std::uint32_t column,
                          std::uint32_t len_ptr) {
  const auto& statement = statement_of(context, statement_id);
  std::vector<std::uint8_t> bytes;
  {
    std::lock_guard guard(statement->database().mutex());
    sqlite::encode_column(statement->handle(), column_index(*statement, column), bytes);
  }
  return copy_to_guest_allocation(context, bytes, len_ptr);
}

// read_row(statement, len_ptr) -> i32: a guest buffer holding the current row as a SqliteRow,
// its length at len_ptr. Traps: unknown statement, and as copy_to_guest_allocation.
std::uint32_t read_row(HostContext& context, std::uint64_t statement_id, std::uint32_t len_ptr) {
  const auto& statement = statement_of(context, statement_id);
  std::vector<std::uint8_t> bytes;
  {
    std::lock_guard guard(statement->database().mutex());
    sqlite::encode_row(statement->handle(), bytes);
  }
  return copy_to_guest_allocation(context, bytes, len_ptr);
}

// column_count(statement) -> i32: how many columns its rows have. Traps: unknown statement.
std::uint32_t column_count(HostContext& context, std::uint64_t statement_id) {
  const auto& statement = statement_of(context, statement_id);
  std::lock_guard guard(statement->database().mutex());
  return static_cast<std::uint32_t>(sqlite3_column_count(statement->handle()));
}

// column_names(statement, len_ptr) -> i32: a guest buffer holding the column names as a
// Vec<String>, its length at len_ptr. Traps: unknown statement, and as copy_to_guest_allocation.
std::uint32_t column_names(HostContext& context, std::uint64_t statement_id,
                           std::uint32_t len_ptr) {
  const auto& statement = statement_of(context, statement_id);
  std::vector<std::uint8_t> bytes;
  {
    std::lock_guard guard(statement->database().mutex());
    std::vector<std::string> names;
    const int columns = sqlite3_column_count(statement->handle());
    for (int column = 0; column < columns; ++column) {
      const char* name = sqlite3_column_name(statement->handle(), column);
      names.emplace_back(name != nullptr ? name : "");
    }
    sqlite::encode_strings(names, bytes);
  }
  return copy_to_guest_allocation(context, bytes, len_ptr);
}

// column_name(statement, column, len_ptr) -> i32: a guest buffer holding the name of column
// `column` as plain UTF-8 (not the wire format, as in Lunatic), its length at len_ptr. Traps:
// unknown statement, column out of range, and as copy_to_guest_allocation.
std::uint32_t column_name(HostContext& context, std::uint64_t statement_id, std::uint32_t column,
                          std::uint32_t len_ptr) {
  const auto& statement = statement_of(context, statement_id);
  std::string name;
  {
    std::lock_guard guard(statement->database().mutex());
    const char* text = sqlite3_column_name(statement->handle(), column_index(*statement, column));
    if (text != nullptr) name = text;
  }
  return copy_to_guest_allocation(
      context, {reinterpret_cast<const std::uint8_t*>(name.data()), name.size()}, len_ptr);
}

}  // namespace

std::vector<engine::ImportFunction> sqlite_functions() {
  constexpr ImportName m{"lunatic::sqlite"};
  return {
      host_function<&open, m, "open">(),
      host_function<&query_prepare, m, "query_prepare">(),
      host_function<&execute, m, "execute">(),
      host_function<&bind_value, m, "bind_value">(),
      host_function<&changes, m, "sqlite3_changes">(),
      host_function<&statement_reset, m, "statement_reset">(),
      host_function<&last_error, m, "last_error">(),
      host_function<&finalize, m, "sqlite3_finalize">(),
      host_function<&step, m, "sqlite3_step">(),
      host_function<&read_column, m, "read_column">(),
      host_function<&column_names, m, "column_names">(),
      host_function<&read_row, m, "read_row">(),
      host_function<&column_count, m, "column_count">(),
      host_function<&column_name, m, "column_name">(),
  };
}

}  // namespace lunatic::host
