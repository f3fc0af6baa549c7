#include "sqlite/wire_format.hpp"

#include <sqlite3.h>

#include <bit>
#include <cstring>

namespace lunatic::sqlite {
namespace {

static_assert(std::endian::native == std::endian::little, "the wire format is little-endian");

template <class T>
void put(std::vector<std::uint8_t>& out, T value) {
  const auto at = out.size();
  out.resize(at + sizeof value);
  std::memcpy(out.data() + at, &value, sizeof value);
}

void put_bytes(std::vector<std::uint8_t>& out, const void* data, std::size_t size) {
  put<std::uint64_t>(out, size);
  const auto* begin = static_cast<const std::uint8_t*>(data);
  out.insert(out.end(), begin, begin + size);
}

// Reads the wire format front to back; every read checks the bytes left.
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
  bool get_bytes(std::span<const std::uint8_t>& value) {
    std::uint64_t size = 0;
    if (!get(size) || size > bytes_.size()) return false;
    value = bytes_.first(size);
    bytes_ = bytes_.subspan(size);
    return true;
  }
  std::size_t left() const { return bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
};

// The index of a named parameter: the name as given, else with each of SQLite's prefixes
// (lunatic-rs callers write "name" for ":name"). 0 when there is none.
int parameter_index(sqlite3_stmt* stmt, const std::string& name) {
  if (int index = sqlite3_bind_parameter_index(stmt, name.c_str()); index != 0) return index;
  for (const char* prefix : {":", "@", "$"}) {
    if (int index = sqlite3_bind_parameter_index(stmt, (prefix + name).c_str()); index != 0)
      return index;
  }
  return 0;
}

// Reads one BindValue and binds it at `index`. Returns: SQLite's code, or -1 when malformed.
int bind_value(Reader& reader, sqlite3_stmt* stmt, int index) {
  std::uint32_t tag = 0;
  if (!reader.get(tag)) return -1;
  std::span<const std::uint8_t> bytes;
  switch (tag) {
    case 0:
      return sqlite3_bind_null(stmt, index);
    case 1:
      if (!reader.get_bytes(bytes)) return -1;
      // An empty span's data() may be null, which SQLite would bind as NULL, not as x''.
      if (bytes.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
      return sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    case 2:
      if (!reader.get_bytes(bytes)) return -1;
      return sqlite3_bind_text64(stmt, index, reinterpret_cast<const char*>(bytes.data()),
                                 bytes.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    case 3: {
      double number = 0;
      return reader.get(number) ? sqlite3_bind_double(stmt, index, number) : -1;
    }
    case 4: {
      std::int32_t number = 0;
      return reader.get(number) ? sqlite3_bind_int64(stmt, index, number) : -1;
    }
    case 5: {
      std::int64_t number = 0;
      return reader.get(number) ? sqlite3_bind_int64(stmt, index, number) : -1;
    }
    default:
      return -1;
  }
}

}  // namespace

std::string bind_list(sqlite3_stmt* stmt, std::span<const std::uint8_t> bytes) {
  Reader reader(bytes);
  std::uint64_t count = 0;
  if (!reader.get(count)) return "bind list: no length";
  for (std::uint64_t i = 0; i < count; ++i) {
    auto pair = [i] { return "bind list: pair " + std::to_string(i); };
    std::uint32_t key = 0;
    if (!reader.get(key)) return pair() + " is malformed";
    int index = 1;  // BindKey::None (0)
    if (key == 1) {
      std::uint64_t number = 0;
      if (!reader.get(number)) return pair() + " is malformed";
      if (number == 0 || number > INT32_MAX)
        return pair() + ": no parameter " + std::to_string(number);
      index = static_cast<int>(number);
    } else if (key == 2) {
      std::span<const std::uint8_t> name;
      if (!reader.get_bytes(name)) return pair() + " is malformed";
      const std::string text(name.begin(), name.end());
      index = parameter_index(stmt, text);
      if (index == 0) return pair() + ": no parameter named '" + text + "'";
    } else if (key != 0) {
      return pair() + " is malformed";
    }
    const int rc = bind_value(reader, stmt, index);
    if (rc < 0) return pair() + " is malformed";
    if (rc != SQLITE_OK) return pair() + ": " + sqlite3_errstr(rc);
  }
  return {};
}

void encode_column(sqlite3_stmt* stmt, int column, std::vector<std::uint8_t>& out) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      put<std::uint32_t>(out, 4);
      put<std::int64_t>(out, sqlite3_column_int64(stmt, column));
      return;
    case SQLITE_FLOAT:
      put<std::uint32_t>(out, 3);
      put<double>(out, sqlite3_column_double(stmt, column));
      return;
    case SQLITE_TEXT: {
      const auto* text = sqlite3_column_text(stmt, column);
      put<std::uint32_t>(out, 2);
      put_bytes(out, text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
      return;
    }
    case SQLITE_BLOB: {
      const void* blob = sqlite3_column_blob(stmt, column);
      put<std::uint32_t>(out, 1);
      put_bytes(out, blob, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
      return;
    }
    default:
      put<std::uint32_t>(out, 0);
      return;
  }
}

void encode_row(sqlite3_stmt* stmt, std::vector<std::uint8_t>& out) {
  const int columns = sqlite3_column_count(stmt);
  put<std::uint64_t>(out, static_cast<std::uint64_t>(columns));
  for (int column = 0; column < columns; ++column) encode_column(stmt, column, out);
}

void encode_strings(const std::vector<std::string>& strings, std::vector<std::uint8_t>& out) {
  put<std::uint64_t>(out, strings.size());
  for (const std::string& string : strings) put_bytes(out, string.data(), string.size());
}

void encode_error(std::optional<std::uint32_t> code, const std::optional<std::string>& message,
                  std::vector<std::uint8_t>& out) {
  put<std::uint8_t>(out, code.has_value());
  if (code) put<std::uint32_t>(out, *code);
  put<std::uint8_t>(out, message.has_value());
  if (message) put_bytes(out, message->data(), message->size());
}

}  // namespace lunatic::sqlite
