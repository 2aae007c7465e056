// sqlite_store.cc — the default store backend: one SQLite file, DIR/openvpc.db.
//
// Durability: WAL journal with synchronous=FULL, so a transaction the API acknowledged
// survives a crash of the process or of the machine. Tables:
//   meta(name, value)     'revision' (the store revision), 'compact_revision'
//   kv(key, value, create_revision, mod_revision)       the current state
//   history(revision, sub, kind, key, value, create_revision)   one row per change, replayed
//                                                       by watches; compaction deletes rows
// Threading: one connection behind one mutex; watches are in-process, woken by a condition
// variable that every committed transaction notifies. Every write runs in BEGIN IMMEDIATE and
// reads the revision from the file, so another process writing the same file cannot make two
// transactions share a revision (its changes wake our watches only at their next timeout).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "store/key_range.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace openvpc::store {
namespace {

using sqlite::Database;
using sqlite::ResetOnExit;
using sqlite::Statement;

constexpr int kSchemaVersion = 1;
constexpr int64_t kMaxRevisionsPerWatchRead = 1000;

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY, value BLOB NOT NULL,
      create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS history(revision INTEGER NOT NULL, sub INTEGER NOT NULL,
      kind INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
      create_revision INTEGER NOT NULL, PRIMARY KEY(revision, sub)) WITHOUT ROWID;
  INSERT OR IGNORE INTO meta VALUES('revision', 1), ('compact_revision', 0);
)sql";

// The prepared statements of one connection (destroyed before it: declared after it).
struct Statements {
  Statement begin_read, begin_write, commit, rollback;
  Statement get_meta, set_meta;
  Statement get, range_from, range_between, put, erase;
  Statement history_add, history_from, history_between, history_compact;
};

Result<Statements> prepare_all(Database& db) {
  Statements s;
  struct Entry {
    Statement* target;
    const char* sql;
  };
  const Entry entries[] = {
      {&s.begin_read, "BEGIN"},
      {&s.begin_write, "BEGIN IMMEDIATE"},
      {&s.commit, "COMMIT"},
      {&s.rollback, "ROLLBACK"},
      {&s.get_meta, "SELECT value FROM meta WHERE name = ?1"},
      {&s.set_meta, "UPDATE meta SET value = ?2 WHERE name = ?1"},
      {&s.get, "SELECT key, value, create_revision, mod_revision FROM kv WHERE key = ?1"},
      {&s.range_from,
       "SELECT key, value, create_revision, mod_revision FROM kv WHERE key >= ?1 "
       "ORDER BY key LIMIT ?3"},
      {&s.range_between,
       "SELECT key, value, create_revision, mod_revision FROM kv WHERE key >= ?1 AND key < ?2 "
       "ORDER BY key LIMIT ?3"},
      {&s.put,
       "INSERT INTO kv VALUES(?1, ?2, ?3, ?3) ON CONFLICT(key) DO UPDATE SET "
       "value = excluded.value, mod_revision = excluded.mod_revision RETURNING create_revision"},
      {&s.erase, "DELETE FROM kv WHERE key = ?1 RETURNING create_revision"},
      {&s.history_add, "INSERT INTO history VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
      {&s.history_from,
       "SELECT revision, kind, key, value, create_revision FROM history WHERE revision >= ?1 "
       "AND revision <= ?2 AND key >= ?3 ORDER BY revision, sub"},
      {&s.history_between,
       "SELECT revision, kind, key, value, create_revision FROM history WHERE revision >= ?1 "
       "AND revision <= ?2 AND key >= ?3 AND key < ?4 ORDER BY revision, sub"},
      {&s.history_compact, "DELETE FROM history WHERE revision < ?1"},
  };
  for (const auto& entry : entries) {
    auto statement = db.prepare(entry.sql);
    if (!statement) return statement.error();
    *entry.target = std::move(*statement);
  }
  return s;
}

// State shared by the store and its watches; a watch keeps it alive past the store.
struct Core {
  std::mutex mutex;
  std::condition_variable changed;  // notified after every commit that changed the revision
  int64_t revision = 0;             // last revision seen by this process
  std::string path;
  Database db;
  Statements sql;

  // Fails when the file under the data dir is not the one we opened (dir removed, renamed).
  Result<void> check_file() {
    if (db.file_moved()) {
      return make_error("store.unavailable", "sqlite: " + path + " was removed or moved");
    }
    return {};
  }

  Result<int64_t> meta(const char* name) {
    ResetOnExit reset(sql.get_meta);
    sql.get_meta.bind_text(1, name);
    auto row = sql.get_meta.step();
    if (!row) return row.error();
    if (!*row) return make_error("store.corrupt", std::string("sqlite: meta row missing: ") + name);
    return sql.get_meta.column_int(0);
  }

  Result<void> set_meta(const char* name, int64_t value) {
    ResetOnExit reset(sql.set_meta);
    return sql.set_meta.bind_text(1, name).bind(2, value).run();
  }
};

// Runs body inside BEGIN (or BEGIN IMMEDIATE) ... COMMIT; rolls back when body fails.
template <typename T, typename Body>
Result<T> in_transaction(Core& core, bool write, Body&& body) {
  if (auto file = core.check_file(); !file) return file.error();
  Statement& begin = write ? core.sql.begin_write : core.sql.begin_read;
  {
    ResetOnExit reset(begin);
    if (auto started = begin.run(); !started) return started.error();
  }
  Result<T> result = body();
  Statement& end = result ? core.sql.commit : core.sql.rollback;
  ResetOnExit reset(end);
  if (auto ended = end.run(); !ended) {
    if (result) {  // a failed COMMIT leaves the transaction open: roll it back
      ResetOnExit reset_rollback(core.sql.rollback);
      (void)core.sql.rollback.run();
    }
    return ended.error();
  }
  return result;
}

KeyValue read_kv(const Statement& row) {
  return KeyValue{row.column_bytes(0), row.column_bytes(1), row.column_int(2), row.column_int(3)};
}

class SqliteWatch final : public Watch {
 public:
  SqliteWatch(std::shared_ptr<Core> core, std::string prefix, int64_t from_revision)
      : core_(std::move(core)),
        prefix_(std::move(prefix)),
        end_(prefix_end(prefix_)),
        next_revision_(from_revision) {}

  Result<std::vector<Event>> next(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(core_->mutex);
    for (;;) {
      auto events = read_events();
      if (!events || !events->empty()) return events;
      const bool woken = core_->changed.wait_until(
          lock, deadline, [&] { return core_->revision >= next_revision_; });
      if (!woken) return read_events();  // last look: another process may have written
    }
  }

 private:
  // Events from next_revision_ up to the store revision (at most a bounded batch); advances
  // next_revision_ past every revision it read, matching or not. Caller holds the mutex.
  Result<std::vector<Event>> read_events() {
    return in_transaction<std::vector<Event>>(*core_, false, [&]() -> Result<std::vector<Event>> {
      auto revision = core_->meta("revision");
      if (!revision) return revision.error();
      auto compacted = core_->meta("compact_revision");
      if (!compacted) return compacted.error();
      if (next_revision_ < *compacted) {
        return make_error("store.compacted", "sqlite: revision " + std::to_string(next_revision_) +
                                                 " is compacted (compaction at " +
                                                 std::to_string(*compacted) + ")");
      }
      std::vector<Event> events;
      if (*revision < next_revision_) return events;
      const int64_t last = std::min(*revision, next_revision_ + kMaxRevisionsPerWatchRead - 1);
      Statement& query = end_.empty() ? core_->sql.history_from : core_->sql.history_between;
      ResetOnExit reset(query);
      query.bind(1, next_revision_).bind(2, last).bind(3, prefix_);
      if (!end_.empty()) query.bind(4, end_);
      for (;;) {
        auto row = query.step();
        if (!row) return row.error();
        if (!*row) break;
        Event event;
        event.kind = query.column_int(1) == 0 ? Event::Kind::put : Event::Kind::erase;
        event.kv.key = query.column_bytes(2);
        event.kv.mod_revision = query.column_int(0);
        if (event.kind == Event::Kind::put) {
          event.kv.value = query.column_bytes(3);
          event.kv.create_revision = query.column_int(4);
        }
        events.push_back(std::move(event));
      }
      next_revision_ = last + 1;
      return events;
    });
  }

  std::shared_ptr<Core> core_;
  std::string prefix_;
  std::string end_;
  int64_t next_revision_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<std::optional<KeyValue>> get(std::string_view key) override {
    std::lock_guard lock(core_->mutex);
    if (auto file = core_->check_file(); !file) return file.error();
    Statement& get = core_->sql.get;
    ResetOnExit reset(get);
    get.bind(1, key);
    auto row = get.step();
    if (!row) return row.error();
    if (!*row) return std::optional<KeyValue>();
    return std::optional<KeyValue>(read_kv(get));
  }

  Result<RangeResult> range(std::string_view prefix, int64_t limit) override {
    std::lock_guard lock(core_->mutex);
    return in_transaction<RangeResult>(*core_, false, [&]() -> Result<RangeResult> {
      auto revision = core_->meta("revision");
      if (!revision) return revision.error();
      RangeResult result;
      result.revision = *revision;
      const std::string end = prefix_end(prefix);
      Statement& query = end.empty() ? core_->sql.range_from : core_->sql.range_between;
      ResetOnExit reset(query);
      // One row past the limit tells whether there are more.
      query.bind(1, prefix).bind(3, limit > 0 ? limit + 1 : int64_t{-1});
      if (!end.empty()) query.bind(2, end);
      for (;;) {
        auto row = query.step();
        if (!row) return row.error();
        if (!*row) break;
        if (limit > 0 && static_cast<int64_t>(result.kvs.size()) == limit) {
          result.more = true;
          break;
        }
        result.kvs.push_back(read_kv(query));
      }
      return result;
    });
  }

  Result<TxnResult> txn(const std::vector<Compare>& compares,
                        const std::vector<Operation>& ops) override {
    if (auto valid = check_transaction(compares, ops); !valid) return valid.error();
    std::lock_guard lock(core_->mutex);
    auto result = in_transaction<TxnResult>(*core_, true, [&] { return apply(compares, ops); });
    if (result && result->revision > core_->revision) {
      core_->revision = result->revision;
      core_->changed.notify_all();
    }
    return result;
  }

  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, int64_t from_revision) override {
    if (from_revision <= 0) {
      auto revision = current_revision();
      if (!revision) return revision.error();
      from_revision = *revision + 1;
    } else {
      std::lock_guard lock(core_->mutex);
      auto compacted =
          in_transaction<int64_t>(*core_, false, [&] { return core_->meta("compact_revision"); });
      if (!compacted) return compacted.error();
      if (from_revision < *compacted) {
        return make_error("store.compacted",
                          "sqlite: revision " + std::to_string(from_revision) + " is compacted");
      }
    }
    return std::unique_ptr<Watch>(
        std::make_unique<SqliteWatch>(core_, std::string(prefix), from_revision));
  }

  Result<void> compact(int64_t revision) override {
    std::lock_guard lock(core_->mutex);
    auto done = in_transaction<bool>(*core_, true, [&]() -> Result<bool> {
      auto current = core_->meta("revision");
      if (!current) return current.error();
      auto compacted = core_->meta("compact_revision");
      if (!compacted) return compacted.error();
      if (revision <= *compacted) {
        return make_error("store.compacted",
                          "sqlite: revision " + std::to_string(revision) + " is already compacted");
      }
      if (revision > *current) {
        return make_error("store.invalid_argument",
                          "sqlite: compaction at future revision " + std::to_string(revision));
      }
      ResetOnExit reset(core_->sql.history_compact);
      if (auto deleted = core_->sql.history_compact.bind(1, revision).run(); !deleted) {
        return deleted.error();
      }
      if (auto set = core_->set_meta("compact_revision", revision); !set) return set.error();
      return true;
    });
    if (!done) return done.error();
    return {};
  }

  Result<int64_t> current_revision() override {
    std::lock_guard lock(core_->mutex);
    return in_transaction<int64_t>(*core_, false, [&] { return core_->meta("revision"); });
  }

 private:
  // The body of txn(), inside BEGIN IMMEDIATE.
  Result<TxnResult> apply(const std::vector<Compare>& compares, const std::vector<Operation>& ops) {
    auto revision = core_->meta("revision");
    if (!revision) return revision.error();
    for (const auto& compare : compares) {
      auto holds = compare_holds(compare);
      if (!holds) return holds.error();
      if (!*holds) return TxnResult{false, *revision};
    }
    const int64_t next = *revision + 1;
    int64_t changes = 0;
    for (const auto& op : ops) {
      auto changed = apply_one(op, next, changes);
      if (!changed) return changed.error();
      if (*changed) ++changes;
    }
    if (changes == 0) return TxnResult{true, *revision};
    if (auto set = core_->set_meta("revision", next); !set) return set.error();
    return TxnResult{true, next};
  }

  Result<bool> compare_holds(const Compare& compare) {
    Statement& get = core_->sql.get;
    ResetOnExit reset(get);
    get.bind(1, compare.key);
    auto row = get.step();
    if (!row) return row.error();
    const int64_t mod_revision = *row ? get.column_int(3) : 0;
    return mod_revision == compare.mod_revision;
  }

  // Applies one operation at revision and records it in history as change number sub;
  // false when it changed nothing (an erase of an absent key).
  Result<bool> apply_one(const Operation& op, int64_t revision, int64_t sub) {
    const bool put = op.kind == Operation::Kind::put;
    Statement& write = put ? core_->sql.put : core_->sql.erase;
    ResetOnExit reset(write);
    write.bind(1, op.key);
    if (put) write.bind(2, op.value).bind(3, revision);
    auto row = write.step();
    if (!row) return row.error();
    if (!*row) return false;
    const int64_t create_revision = write.column_int(0);
    if (auto rest = write.run(); !rest) return rest.error();
    Statement& history = core_->sql.history_add;
    ResetOnExit reset_history(history);
    history.bind(1, revision).bind(2, sub).bind(3, int64_t{put ? 0 : 1}).bind(4, op.key);
    history.bind(5, put ? std::string_view(op.value) : std::string_view()).bind(6, create_revision);
    if (auto added = history.run(); !added) return added.error();
    return true;
  }

  std::shared_ptr<Core> core_;
};

Result<void> ensure_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) {
    struct stat info {};
    if (::stat(dir.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return {};
    return make_error("store.unavailable", "sqlite: data dir " + dir + " is not a directory");
  }
  return make_error("store.unavailable",
                    "sqlite: cannot create data dir " + dir + ": " + std::strerror(errno));
}

Result<void> initialise(Database& db) {
  // journal_mode answers with a row, so run it through exec (which ignores rows).
  if (auto wal = db.exec("PRAGMA journal_mode=WAL"); !wal) return wal.error();
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000"}) {
    if (auto set = db.exec(pragma); !set) return set.error();
  }
  auto version = db.prepare("PRAGMA user_version");
  if (!version) return version.error();
  auto row = version->step();
  if (!row) return row.error();
  const int64_t found = *row ? version->column_int(0) : 0;
  if (found != 0 && found != kSchemaVersion) {
    return make_error("store.corrupt", "sqlite: unknown schema version " + std::to_string(found));
  }
  if (auto schema = db.exec(kSchema); !schema) return schema.error();
  return db.exec("PRAGMA user_version=1");
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir) {
  if (auto dir = ensure_directory(data_dir); !dir) return dir.error();
  auto core = std::make_shared<Core>();
  core->path = data_dir + "/openvpc.db";
  auto db = Database::open(core->path);
  if (!db) return db.error();
  core->db = std::move(*db);
  if (auto ready = initialise(core->db); !ready) return ready.error();
  auto statements = prepare_all(core->db);
  if (!statements) {  // our tables exist with other columns: not a store we understand
    return make_error("store.corrupt", statements.error().message);
  }
  core->sql = std::move(*statements);
  auto revision = in_transaction<int64_t>(*core, false, [&] { return core->meta("revision"); });
  if (!revision) return revision.error();
  core->revision = *revision;
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(core)));
}

}  // namespace openvpc::store
