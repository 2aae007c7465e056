// sqlite_db.h — a thin RAII layer over the SQLite C API for the SQLite store: a connection and
// its prepared statements, with failures as Result errors instead of return codes.
//
// Error mapping: SQLITE_CORRUPT / SQLITE_NOTADB -> "store.corrupt"; everything else (cannot
// open, read-only, I/O error, disk full, busy) -> "store.unavailable". A Database and its
// Statements are used under one mutex by their owner; statements must die before the database.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace openvpc::store::sqlite {

Error error_from(sqlite3* db, int code, std::string_view what);

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  Statement(Statement&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Bind by 1-based index; text is bound as a BLOB so keys compare bytewise.
  Statement& bind(int index, std::string_view bytes);
  Statement& bind(int index, int64_t number);
  Statement& bind_text(int index, std::string_view text);
  // true: a row is ready to read; false: done.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Result<void> run();
  int64_t column_int(int index) const;
  std::string column_bytes(int index) const;
  bool column_null(int index) const;
  // Ends the current execution and clears the bindings; call before each reuse.
  void reset();

 private:
  sqlite3_stmt* statement_ = nullptr;
};

class Database {
 public:
  // Opens or creates path read-write; fails (store.unavailable) if only read-only is possible.
  static Result<Database> open(const std::string& path);
  Database() = default;
  Database(Database&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Result<void> exec(const char* sql);
  Result<Statement> prepare(const char* sql);
  // true when the database file was unlinked or renamed since it was opened.
  bool file_moved();
  sqlite3* handle() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// RAII: resets a statement when the scope ends, so no statement stays mid-step.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) { statement_.reset(); }
  ~ResetOnExit() { statement_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& statement_;
};

}  // namespace openvpc::store::sqlite
