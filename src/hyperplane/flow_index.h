// flow_index.h — the hash index NatTable and LbTable keep over their flow arrays.
//
// Each table stores its flows in a fixed array and finds them by two keys (NAT: inside and
// outside; load balancer: client and target side), so it keeps two FlowIndexes. An index is
// an open-addressing table of flow ids (id + 1; 0 is empty) with linear probing and
// backward-shift deletion (no tombstones, so a long-lived table never degrades), at least
// twice as many slots as flows. It stores no keys: the caller's hash picks the home slot and
// its predicate compares the flow an id names. Written here rather than taken from a library
// because the hot path needs exactly this: one 4-byte slot to prefetch per packet, then the
// flow, with no allocation after construction.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace openvpc::hyperplane {

class FlowIndex {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  explicit FlowIndex(size_t flows = 0)
      : slots_(std::bit_ceil(std::max<size_t>(16, 2 * flows)), 0), mask_(slots_.size() - 1) {}

  void clear() { std::fill(slots_.begin(), slots_.end(), 0); }

  // The home slot of `hash`, for a batch's first prefetch pass.
  void prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  // The id in the home slot of `hash` (the flow to prefetch next; it may be another flow
  // that probed there), or kNone when the slot is empty.
  uint32_t first(uint64_t hash) const {
    const uint32_t entry = slots_[hash & mask_];
    return entry == 0 ? kNone : entry - 1;
  }

  // The first id along the probe run of `hash` for which matches(id) holds, or kNone.
  template <typename Matches>
  uint32_t find(uint64_t hash, Matches&& matches) const {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const uint32_t entry = slots_[i];
      if (entry == 0) return kNone;
      if (matches(entry - 1)) return entry - 1;
    }
  }

  // Indexes `id` under `hash` (the caller has checked the key is not indexed yet).
  void insert(uint64_t hash, uint32_t id) {
    size_t i = hash & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = id + 1;
  }

  // Removes `id`, indexed under `hash`; hash_of(other id) gives the hash another indexed flow
  // was inserted under (entries after the hole that probed past it move back into it).
  template <typename HashOf>
  void erase(uint32_t id, uint64_t hash, HashOf&& hash_of) {
    size_t hole = hash & mask_;
    while (slots_[hole] != id + 1) {
      if (slots_[hole] == 0) return;  // not indexed
      hole = (hole + 1) & mask_;
    }
    slots_[hole] = 0;
    for (size_t i = (hole + 1) & mask_; slots_[i] != 0; i = (i + 1) & mask_) {
      const size_t home = hash_of(slots_[i] - 1) & mask_;
      if (((i - home) & mask_) >= ((i - hole) & mask_)) {
        slots_[hole] = slots_[i];
        slots_[i] = 0;
        hole = i;
      }
    }
  }

 private:
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

}  // namespace openvpc::hyperplane
