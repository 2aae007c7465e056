// memory_store.h — a test-only, in-memory store::Store: revisions, compares and atomic
// transactions like the real backends (no watch, no compaction). Lets model and api tests run
// without a data directory. fail_next_txns makes the next N transactions lose a race, to test
// retries.
#pragma once

#include <map>
#include <mutex>

#include "store/store.h"

namespace openvpc::testing {

class MemoryStore : public store::Store {
 public:
  Result<std::optional<store::KeyValue>> get(std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto it = kvs_.find(std::string(key));
    if (it == kvs_.end()) return std::optional<store::KeyValue>{};
    return std::optional<store::KeyValue>{it->second};
  }
  Result<store::RangeResult> range(std::string_view prefix, int64_t limit) override {
    std::lock_guard lock(mutex_);
    store::RangeResult result;
    result.revision = revision_;
    for (auto it = kvs_.lower_bound(std::string(prefix));
         it != kvs_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      if (limit > 0 && static_cast<int64_t>(result.kvs.size()) == limit) {
        result.more = true;
        break;
      }
      result.kvs.push_back(it->second);
    }
    return result;
  }
  Result<store::TxnResult> txn(const std::vector<store::Compare>& compares,
                               const std::vector<store::Operation>& ops) override {
    std::lock_guard lock(mutex_);
    ++txn_count;
    if (fail_next_txns > 0) {
      --fail_next_txns;
      return store::TxnResult{false, revision_};
    }
    for (const auto& compare : compares) {
      auto it = kvs_.find(compare.key);
      int64_t current = it == kvs_.end() ? 0 : it->second.mod_revision;
      if (current != compare.mod_revision) return store::TxnResult{false, revision_};
    }
    if (ops.empty()) return store::TxnResult{true, revision_};
    ++revision_;
    for (const auto& op : ops) {
      if (op.kind == store::Operation::Kind::erase) {
        kvs_.erase(op.key);
        continue;
      }
      auto& kv = kvs_[op.key];
      if (kv.create_revision == 0) kv.create_revision = revision_;
      kv.key = op.key;
      kv.value = op.value;
      kv.mod_revision = revision_;
    }
    return store::TxnResult{true, revision_};
  }
  Result<std::unique_ptr<store::Watch>> watch(std::string_view, int64_t) override {
    return make_error("store.unavailable", "memory store has no watch");
  }
  Result<void> compact(int64_t) override { return {}; }
  Result<int64_t> current_revision() override {
    std::lock_guard lock(mutex_);
    return revision_;
  }

  int fail_next_txns = 0;
  int txn_count = 0;

 private:
  std::mutex mutex_;
  std::map<std::string, store::KeyValue> kvs_;
  int64_t revision_ = 0;
};

}  // namespace openvpc::testing
