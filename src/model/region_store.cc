#include "model/region_store.h"

namespace openvpc::model {

namespace {
constexpr int kMaxAttempts = 32;
}

Result<RegionStore::Versioned> RegionStore::refresh() {
  auto version = store_.get(kVersionKey);
  if (!version) return version.error();
  int64_t current = *version ? (*version)->mod_revision : 0;
  {
    std::lock_guard lock(cache_mutex_);
    if (cached_ && cached_version_ == current) return Versioned{cached_, cached_version_};
  }
  // Read the region and the version key in one range so they are consistent: the version key
  // sorts before the region prefix only by accident, so read the common parent.
  auto all = store_.range("/openvpc/");
  if (!all) return all.error();
  int64_t read_version = 0;
  std::vector<store::KeyValue> region_kvs;
  for (auto& kv : all->kvs) {
    if (kv.key == kVersionKey) {
      read_version = kv.mod_revision;
    } else if (kv.key.rfind(kRegionPrefix, 0) == 0) {
      region_kvs.push_back(std::move(kv));
    }
  }
  auto region = decode_region(region_kvs);
  if (!region) return region.error();
  auto decoded = std::make_shared<Region>(std::move(*region));
  sync_indexes(decoded);  // built from nothing: O(N log N), as decoding is
  std::shared_ptr<const Region> shared = std::move(decoded);
  std::lock_guard lock(cache_mutex_);
  if (read_version >= cached_version_) {  // never replace a newer cache with an older read
    cached_ = shared;
    cached_version_ = read_version;
  }
  return Versioned{shared, read_version};
}

Result<std::shared_ptr<const Region>> RegionStore::snapshot() {
  auto latest = refresh();
  if (!latest) return latest.error();
  return latest->region;
}

Result<std::shared_ptr<const Region>> RegionStore::mutate(
    const std::function<Result<void>(Region&)>& change) {
  std::lock_guard serial(mutate_mutex_);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto base = refresh();
    if (!base) return base.error();
    int64_t version = base->version;
    auto next = std::make_shared<Region>(*base->region);
    auto changed = change(*next);
    if (!changed) return changed.error();
    sync_indexes(next);  // what is published is indexed (the cost: the chunks changed)
    auto ops = diff_region(*base->region, *next);
    if (ops.empty()) return std::shared_ptr<const Region>(next);
    ops.push_back(
        {store::Operation::Kind::put, std::string(kVersionKey), std::to_string(version + 1)});
    auto committed = store_.txn({{std::string(kVersionKey), version}}, ops);
    if (!committed) return committed.error();
    if (!committed->succeeded) continue;  // lost a race: reload and run the change again
    std::lock_guard lock(cache_mutex_);
    if (committed->revision >= cached_version_) {
      cached_ = next;
      cached_version_ = committed->revision;
    }
    return std::shared_ptr<const Region>(next);
  }
  return make_error("store.conflict", "too many concurrent changes; try again");
}

}  // namespace openvpc::model
