// SQLite for C++ guests over lunatic::sqlite: a connection, prepared statements with typed
// binding, rows of typed values. The database lives in one of the process's preopened
// directories (or ":memory:"); calls look blocking, and the runtime suspends only the calling
// process while SQLite works. Connections close when their process ends (the ABI has no close);
// statements are move-only owners of their ids, finalized on destruction.
//
//   auto db = lunatic::sqlite::Connection::open("/data/kv.db").value();
//   db.execute("CREATE TABLE IF NOT EXISTS kv(k TEXT PRIMARY KEY, v TEXT)").value();
//   auto get = db.prepare("SELECT v FROM kv WHERE k = ?1");
//   get.bind(1, "key");
//   if (auto row = get.next().value()) use(*row->text(0));
//
// Including this header defines the export `lunatic_alloc`, through which the runtime returns
// rows (the ABI's convention; lunatic-rs defines the same).
#pragma once

#include <lunatic/abi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/result.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// Hands the runtime a buffer it fills with a result; the SDK frees it once decoded.
extern "C" inline __attribute__((export_name("lunatic_alloc"), used)) std::uint32_t lunatic_alloc(
    std::uint32_t len) {
  return lunatic::detail::address(std::malloc(len != 0 ? len : 1));
}

namespace lunatic::sqlite {

struct Null {
  friend bool operator==(Null, Null) { return true; }
};
struct Blob {
  std::vector<std::uint8_t> bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};
// One SQLite value: NULL, INTEGER, REAL, TEXT or BLOB.
using Value = std::variant<Null, std::int64_t, double, std::string, Blob>;

// A row of a query's result, its columns in order.
class Row {
 public:
  Row() = default;
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  const Value& operator[](std::size_t column) const { return values_[column]; }
  const std::vector<Value>& values() const { return values_; }
  bool is_null(std::size_t column) const { return std::holds_alternative<Null>(values_[column]); }
  // The column as that type, or nullopt when it holds another (SQLite does not convert here).
  std::optional<std::int64_t> integer(std::size_t column) const {
    return get<std::int64_t>(column);
  }
  std::optional<double> real(std::size_t column) const { return get<double>(column); }
  std::optional<std::string> text(std::size_t column) const { return get<std::string>(column); }
  std::optional<Blob> blob(std::size_t column) const { return get<Blob>(column); }

 private:
  template <class T>
  std::optional<T> get(std::size_t column) const {
    if (column >= values_.size()) return std::nullopt;
    if (const T* value = std::get_if<T>(&values_[column])) return *value;
    return std::nullopt;
  }
  std::vector<Value> values_;
};

namespace detail {

// Lunatic's wire format (docs/abi.md, lunatic::sqlite): bincode 1, little-endian, fixed-size
// integers, a u32 per enum variant, a u64 before every string or vector.
class Writer {
 public:
  void clear() { size_ = 0; }
  template <class T>
  void put(T value) {
    std::memcpy(reserve(sizeof value), &value, sizeof value);
  }
  void put_bytes(const void* data, std::size_t size) {
    put<std::uint64_t>(size);
    if (size != 0) std::memcpy(reserve(size), data, size);
  }
  std::span<const std::uint8_t> bytes() const { return {buffer_.data(), size_}; }

 private:
  // Room for `size` more bytes; the buffer only grows, so a statement bound again and again
  // allocates once.
  std::uint8_t* reserve(std::size_t size) {
    if (size_ + size > buffer_.size()) buffer_.resize(std::max(2 * buffer_.size(), size_ + size));
    std::uint8_t* at = buffer_.data() + size_;
    size_ += size;
    return at;
  }
  std::vector<std::uint8_t> buffer_;
  std::size_t size_ = 0;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  template <class T>
  bool get(T& value) {
    if (bytes_.size() < sizeof value) return false;
    std::memcpy(&value, bytes_.data(), sizeof value);
    bytes_ = bytes_.subspan(sizeof value);
    return true;
  }
  bool get_bytes(std::span<const std::uint8_t>& out) {
    std::uint64_t size = 0;
    if (!get(size) || size > bytes_.size()) return false;
    out = bytes_.first(static_cast<std::size_t>(size));
    bytes_ = bytes_.subspan(static_cast<std::size_t>(size));
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

inline bool read_value(Reader& reader, Value& value) {
  std::uint32_t tag = 0;
  if (!reader.get(tag)) return false;
  std::span<const std::uint8_t> bytes;
  switch (tag) {
    case 0:
      value = Null{};
      return true;
    case 1:
      if (!reader.get_bytes(bytes)) return false;
      value = Blob{{bytes.begin(), bytes.end()}};
      return true;
    case 2:
      if (!reader.get_bytes(bytes)) return false;
      value = std::string(bytes.begin(), bytes.end());
      return true;
    case 3:
      return reader.get(value.emplace<double>());
    case 4:
    case 5:
      return reader.get(value.emplace<std::int64_t>());
    default:
      return false;
  }
}

// Takes the buffer a call returned through lunatic_alloc and frees it after `decode`.
template <class Decode>
auto with_result(std::uint32_t pointer, std::uint32_t length, Decode decode) {
  auto* data = reinterpret_cast<std::uint8_t*>(static_cast<std::uintptr_t>(pointer));
  auto result = decode(Reader({data, length}));
  std::free(data);
  return result;
}

inline Error decode_error() {
  return Error{ErrorKind::kDecode, "malformed lunatic::sqlite result"};
}

}  // namespace detail

class Statement;

class Connection {
 public:
  // Opens (creating if need be) the database at `path`, inside one of the process's preopened
  // directories, or ":memory:". Fails (kHost) with the runtime's reason: the path leads
  // outside them, or SQLite cannot open it.
  static Result<Connection> open(std::string_view path) {
    std::uint64_t id = 0;
    const std::uint64_t code =
        lunatic_sqlite_open(lunatic::detail::address(path.data()),
                            static_cast<std::uint32_t>(path.size()), lunatic::detail::address(&id));
    if (code != 0) return Error{ErrorKind::kHost, lunatic::detail::take_host_error(id)};
    return Connection(id);
  }

  // Runs every statement of `sql`; fails with SQLite's code and message.
  Result<void> execute(std::string_view sql) const {
    const std::uint32_t code = lunatic_sqlite_execute(id_, lunatic::detail::address(sql.data()),
                                                      static_cast<std::uint32_t>(sql.size()));
    if (code != 0) return last_error();
    return {};
  }

  // Compiles the first statement of `sql`. SQL that SQLite refuses traps the process (the ABI
  // has no way to say so); test untrusted SQL with execute() first.
  Statement prepare(std::string_view sql) const;

  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::uint32_t changes() const { return lunatic_sqlite_changes(id_); }

  // The connection's last error: "SQLite error N: message" (kHost).
  Error last_error() const {
    std::uint32_t length = 0;
    const std::uint32_t pointer = lunatic_sqlite_last_error(id_, lunatic::detail::address(&length));
    return detail::with_result(pointer, length, [](detail::Reader reader) {
      std::uint8_t has_code = 0, has_message = 0;
      std::uint32_t code = 0;
      std::span<const std::uint8_t> message;
      if (!reader.get(has_code) || (has_code && !reader.get(code)) || !reader.get(has_message) ||
          (has_message && !reader.get_bytes(message))) {
        return detail::decode_error();
      }
      return Error{ErrorKind::kHost, "SQLite error " + std::to_string(code) + ": " +
                                         std::string(message.begin(), message.end())};
    });
  }

  std::uint64_t id() const { return id_; }

 private:
  explicit Connection(std::uint64_t id) : id_(id) {}
  std::uint64_t id_;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept
      : id_(std::exchange(other.id_, kNone)), connection_(other.connection_) {}
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      finalize();
      id_ = std::exchange(other.id_, kNone);
      connection_ = other.connection_;
    }
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { finalize(); }

  // Binds `value` to parameter `index` (from 1) or `name` (":name", or "name" for any prefix).
  // A name or index the statement lacks traps, as the ABI does.
  template <class T>
  void bind(std::uint64_t index, const T& value) {
    begin_bind();
    writer_.put<std::uint32_t>(1);
    writer_.put<std::uint64_t>(index);
    put_value(value);
    send_bind();
  }
  template <class T>
  void bind(std::string_view name, const T& value) {
    begin_bind();
    writer_.put<std::uint32_t>(2);
    writer_.put_bytes(name.data(), name.size());
    put_value(value);
    send_bind();
  }
  // Binds the values to parameters 1, 2, ... in one host call.
  template <class... T>
  void bind_all(const T&... values) {
    writer_.clear();
    writer_.put<std::uint64_t>(sizeof...(T));
    std::uint64_t index = 0;
    ((writer_.put<std::uint32_t>(1), writer_.put<std::uint64_t>(++index), put_value(values)), ...);
    send_bind();
  }

  // Runs the statement to its next row: the row, nullopt when there are no more, or SQLite's
  // error (a constraint failed, the database is busy).
  Result<std::optional<Row>> next() {
    const std::uint32_t code = lunatic_sqlite_step(id_);
    if (code == LUNATIC_SQLITE_DONE) return std::optional<Row>();
    if (code != LUNATIC_SQLITE_ROW) return connection_.last_error();
    std::uint32_t length = 0;
    const std::uint32_t pointer = lunatic_sqlite_read_row(id_, lunatic::detail::address(&length));
    return detail::with_result(pointer, length,
                               [](detail::Reader reader) -> Result<std::optional<Row>> {
                                 std::uint64_t count = 0;
                                 if (!reader.get(count)) return detail::decode_error();
                                 std::vector<Value> values(static_cast<std::size_t>(count));
                                 for (Value& value : values) {
                                   if (!detail::read_value(reader, value))
                                     return detail::decode_error();
                                 }
                                 return std::optional<Row>(Row(std::move(values)));
                               });
  }
  // Runs the statement to its end (for INSERT, UPDATE, DELETE, DDL), ignoring rows.
  Result<void> run() {
    for (;;) {
      const std::uint32_t code = lunatic_sqlite_step(id_);
      if (code == LUNATIC_SQLITE_DONE) return {};
      if (code != LUNATIC_SQLITE_ROW) return connection_.last_error();
    }
  }
  // Back to before the first row, to run again; bindings stay.
  void reset() { lunatic_sqlite_statement_reset(id_); }

  std::uint32_t column_count() const { return lunatic_sqlite_column_count(id_); }
  std::vector<std::string> column_names() const {
    std::uint32_t length = 0;
    const std::uint32_t pointer =
        lunatic_sqlite_column_names(id_, lunatic::detail::address(&length));
    return detail::with_result(pointer, length, [](detail::Reader reader) {
      std::vector<std::string> names;
      std::uint64_t count = 0;
      std::span<const std::uint8_t> name;
      if (!reader.get(count)) return names;
      for (std::uint64_t i = 0; i < count && reader.get_bytes(name); ++i) {
        names.emplace_back(name.begin(), name.end());
      }
      return names;
    });
  }

 private:
  friend class Connection;
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  Statement(std::uint64_t id, Connection connection) : id_(id), connection_(connection) {}

  void finalize() {
    if (id_ != kNone) lunatic_sqlite_finalize(std::exchange(id_, kNone));
  }
  void begin_bind() {
    writer_.clear();
    writer_.put<std::uint64_t>(1);
  }
  void send_bind() {
    const std::span<const std::uint8_t> bytes = writer_.bytes();
    lunatic_sqlite_bind_value(id_, lunatic::detail::address(bytes.data()),
                              static_cast<std::uint32_t>(bytes.size()));
  }
  // BindValue: Null 0, Blob 1, Text 2, Double 3, Int64 5.
  void put_value(Null) { writer_.put<std::uint32_t>(0); }
  void put_value(const Blob& blob) {
    writer_.put<std::uint32_t>(1);
    writer_.put_bytes(blob.bytes.data(), blob.bytes.size());
  }
  void put_value(std::string_view text) {
    writer_.put<std::uint32_t>(2);
    writer_.put_bytes(text.data(), text.size());
  }
  void put_value(const std::string& text) { put_value(std::string_view(text)); }
  void put_value(const char* text) { put_value(std::string_view(text)); }
  void put_value(double number) {
    writer_.put<std::uint32_t>(3);
    writer_.put(number);
  }
  template <class T>
  requires std::is_integral_v<T>
  void put_value(T number) {
    writer_.put<std::uint32_t>(5);
    writer_.put(static_cast<std::int64_t>(number));
  }
  void put_value(const Value& value) {
    std::visit([this](const auto& v) { put_value(v); }, value);
  }

  std::uint64_t id_;
  Connection connection_;
  detail::Writer writer_;  // reused: a bind allocates only when it outgrows the last
};

inline Statement Connection::prepare(std::string_view sql) const {
  const std::uint64_t id = lunatic_sqlite_query_prepare(id_, lunatic::detail::address(sql.data()),
                                                        static_cast<std::uint32_t>(sql.size()));
  return Statement(id, *this);
}

}  // namespace lunatic::sqlite
