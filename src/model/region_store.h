// region_store.h — the Region kept in the store, read and changed with optimistic concurrency.
//
// snapshot() returns the latest committed Region, reloading it only when the version key moved
// (another controller, or a restart). mutate() runs a change on a private copy of the latest
// Region and commits exactly the resources it changed plus the version key in ONE store
// transaction that compares the version key's mod_revision: if anything committed in between,
// the transaction fails, the Region is reloaded and the change runs again (bounded retries).
// So two conflicting mutations (the same private IP, overlapping subnets) never both succeed,
// even across controllers sharing one etcd. Thread-safe: mutations in one process are
// serialised by a mutex, snapshots are shared immutable pointers.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "common/result.h"
#include "model/region.h"
#include "store/store.h"

namespace openvpc::model {

class RegionStore {
 public:
  explicit RegionStore(store::Store& store) : store_(store) {}

  Result<std::shared_ptr<const Region>> snapshot();

  // change returns an Error to abort (nothing is written). A change that leaves the Region as
  // it was writes nothing. store.conflict after too many lost races.
  Result<std::shared_ptr<const Region>> mutate(const std::function<Result<void>(Region&)>& change);

  store::Store& store() { return store_; }

 private:
  struct Versioned {
    std::shared_ptr<const Region> region;
    int64_t version = 0;  // mod_revision of kVersionKey this region was read at
  };
  // The latest Region, reloaded when the version key's mod_revision differs from cached_.
  Result<Versioned> refresh();

  store::Store& store_;
  std::mutex cache_mutex_;
  std::shared_ptr<const Region> cached_;
  int64_t cached_version_ = -1;  // mod_revision of kVersionKey the cache was read at
  std::mutex mutate_mutex_;
};

}  // namespace openvpc::model
