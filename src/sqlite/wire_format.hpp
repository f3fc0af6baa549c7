// Lunatic's wire format for lunatic::sqlite (crates/lunatic-sqlite-api's wire_format): the Rust
// types as bincode 1 encodes them by default. Integers are little-endian and fixed-size, an enum
// variant is a u32 index, a String or Vec a u64 length and then its items, an Option a u8 tag.
//
//   BindList    = Vec<BindPair>;  BindPair = (BindKey, BindValue)
//   BindKey     = None | Numeric(u64) | String(String)
//   BindValue   = Null | Blob(Vec<u8>) | Text(String) | Double(f64) | Int(i32) | Int64(i64)
//   SqliteValue = Null | Blob(Vec<u8>) | Text(String) | Double(f64) | Integer(i64) | I64(i64)
//   SqliteRow   = Vec<SqliteValue>;  SqliteError = (Option<u32>, Option<String>)
//
// Thread: any; no state.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct sqlite3_stmt;

namespace lunatic::sqlite {

// Decodes a BindList and binds each pair to `stmt` as it goes (SQLite copies every text and
// blob). A pair keyed None binds at 1, as Lunatic's does; a named one binds by name, with or
// without its prefix. Returns: an empty string, or what is malformed or cannot be bound (pairs
// before it are bound).
std::string bind_list(sqlite3_stmt* stmt, std::span<const std::uint8_t> bytes);

// Appends column `column` of the current row of `stmt` as a SqliteValue.
void encode_column(sqlite3_stmt* stmt, int column, std::vector<std::uint8_t>& out);
// Appends the current row of `stmt` as a SqliteRow.
void encode_row(sqlite3_stmt* stmt, std::vector<std::uint8_t>& out);
// Appends a Vec<String>.
void encode_strings(const std::vector<std::string>& strings, std::vector<std::uint8_t>& out);
// Appends a SqliteError.
void encode_error(std::optional<std::uint32_t> code, const std::optional<std::string>& message,
                  std::vector<std::uint8_t>& out);

}  // namespace lunatic::sqlite
