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
#include <variant>
#include <vector>

#include "common/error.hpp"

struct sqlite3_stmt;

namespace lunatic::sqlite {

// A bound value's place: the next one (BindKey::None, which Lunatic binds at 1), an index from
// 1, or a parameter name.
using BindKey = std::variant<std::monostate, std::uint64_t, std::string>;

struct Blob {
  std::vector<std::uint8_t> bytes;
};
struct Null {};
// BindValue's variants in wire order: Int(i32) is kept apart from Int64 only on the wire.
using BindValue = std::variant<Null, Blob, std::string, double, std::int32_t, std::int64_t>;

struct BindPair {
  BindKey key;
  BindValue value;
};

// Decodes a BindList. Returns: the pairs, or kInvalidArgument saying where it is malformed.
Expected<std::vector<BindPair>> decode_bind_list(std::span<const std::uint8_t> bytes);

// Binds the pairs to `stmt`. Returns: an empty string, or why a pair could not be bound.
std::string bind_all(sqlite3_stmt* stmt, const std::vector<BindPair>& pairs);

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
