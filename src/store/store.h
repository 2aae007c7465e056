// store.h — the revisioned key-value store the control plane keeps its state in.
//
// One interface, two backends: an embedded SQLite file (the default: durable, one node) and
// an etcd v3 cluster (several controllers share a region). The store holds bytes, not
// resources (DESIGN.md §5).
//
// Invariants, on both backends:
//  - The store has one revision counter. Every successful transaction that changes at least
//    one key (a put, or an erase of a present key) increments it by exactly one; all its
//    changes carry that revision. Reads and failed transactions leave it alone.
//  - Each key remembers the revision that created it (create_revision) and the one that last
//    changed it (mod_revision); an erased key is absent, and a later put recreates it.
//  - A transaction's compares and operations are atomic: all operations apply, or none.
//    Two operations on the same key in one transaction are rejected (store.invalid_argument).
//  - Keys sort bytewise. An empty prefix means every key.
//  - Watches deliver every change under their prefix, in revision order, exactly once, from
//    from_revision on (from_revision <= 0: changes after the watch was created).
//  - compact(r) forgets history before r; watching from a revision below r then fails with
//    store.compacted (from watch(), or from next() when compaction overtakes a lagging watch).
//
// Errors (Error::code): "store.unavailable" the backend cannot be reached or written (etcd
// down, SQLite data dir removed or read-only); "store.compacted"; "store.corrupt" the backend
// answered with something that is not a valid store; "store.invalid_argument". No call throws.
// Implementations are thread-safe; a Watch is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace openvpc::store {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
};

struct RangeResult {
  std::vector<KeyValue> kvs;  // sorted by key
  int64_t revision = 0;       // the store revision this range was read at
  bool more = false;          // true when limit cut the answer short
};

// A transaction compares, then applies all its operations atomically, or none.
struct Compare {
  std::string key;
  int64_t mod_revision = 0;  // holds iff the key's current mod_revision equals this
                             // (0: key absent)
};

struct Operation {
  enum class Kind { put, erase } kind = Kind::put;
  std::string key;
  std::string value;  // ignored for erase
};

struct TxnResult {
  bool succeeded = false;  // false: a compare failed and nothing was applied
  int64_t revision = 0;    // revision after the txn
};

struct Event {
  enum class Kind { put, erase } kind = Kind::put;
  KeyValue kv;  // for erase: key and mod_revision (the erase's revision) only
};

class Watch {  // events of keys under a prefix, in revision order, from a revision on
 public:
  virtual ~Watch() = default;
  // Waits up to timeout for events; empty vector on timeout; Error when the watch broke
  // (e.g. compacted: code "store.compacted") — resume with a new watch from the last
  // revision + 1.
  virtual Result<std::vector<Event>> next(std::chrono::milliseconds timeout) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::optional<KeyValue>> get(std::string_view key) = 0;
  // Keys with prefix, sorted; limit > 0 returns at most limit keys (more says if there were).
  virtual Result<RangeResult> range(std::string_view prefix, int64_t limit = 0) = 0;
  virtual Result<TxnResult> txn(const std::vector<Compare>& compares,
                                const std::vector<Operation>& ops) = 0;
  virtual Result<std::unique_ptr<Watch>> watch(std::string_view prefix, int64_t from_revision) = 0;
  // Forgets history before revision (at most current_revision()); compacting at or below an
  // earlier compaction fails with store.compacted.
  virtual Result<void> compact(int64_t revision) = 0;
  virtual Result<int64_t> current_revision() = 0;
};

// Opens (creating if needed) data_dir/openvpc.db; creates data_dir itself, not its parents.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir);
// endpoints like "http://127.0.0.1:2379"; requests go to the first that answers.
Result<std::unique_ptr<Store>> open_etcd_store(const std::vector<std::string>& endpoints);

}  // namespace openvpc::store
