// bucket_table.h — fixed-memory exact-match table with 8-way buckets and LRU eviction.
//
// The flow cache and the connection table are both this. All memory is allocated by the
// constructor and never again: insert never rehashes, it evicts the least recently used way
// of a full bucket. A bucket is one cache line of 8 tags (high hash bits, never 0) and 8
// last-used stamps, so a lookup reads one bucket line and, on a tag hit, one slot.
//
// Not thread-safe by design: each worker owns its tables (DESIGN.md §3). Slot indices are
// stable for the lifetime of an entry; callers that keep an index also keep a key or an
// incarnation number to notice when the slot was reused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include "dataplane/conntrack/table_memory.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace openvpc::dataplane {

inline constexpr uint32_t kInvalidSlot = 0xffffffffu;

using conntrack::TableMemory;

template <typename Key, typename Value>
class BucketTable {
 public:
  static constexpr size_t kWays = 8;
  struct Slot {
    Key key;
    Value value;
  };
  struct InsertResult {
    uint32_t slot = kInvalidSlot;
    bool found = false;    // the key was already present
    bool evicted = false;  // a live entry was replaced
  };

  // capacity: the number of entries, rounded up to a power of two, at least kWays.
  explicit BucketTable(size_t capacity)
      : buckets_(bucket_count(capacity)), slots_(bucket_count(capacity) * kWays) {
    mask_ = buckets_.size() - 1;
  }

  size_t capacity() const { return slots_.size(); }
  size_t count() const { return count_; }

  void prefetch(uint64_t hash) const { __builtin_prefetch(&buckets_[hash & mask_]); }

  // The first way whose tag matches hash (a likely slot for the key), or kInvalidSlot. For
  // prefetching only: the key is not compared. Read the bucket after prefetch(hash).
  uint32_t candidate(uint64_t hash) const {
    const size_t b = hash & mask_;
    const uint32_t ways = matching_ways(buckets_[b], tag_of(hash));
    return ways == 0 ? kInvalidSlot : uint32_t(b * kWays + size_t(__builtin_ctz(ways)));
  }
  // The slot's lines and its bucket line (touch() writes the bucket).
  void prefetch_slot(uint32_t slot) const {
    const char* p = reinterpret_cast<const char*>(&slots_[slot]);
    for (size_t at = 0; at < sizeof(Slot); at += 64) __builtin_prefetch(p + at);
    __builtin_prefetch(&buckets_[slot / kWays]);
  }

  // Slot index of key, or kInvalidSlot.
  uint32_t find(const Key& key, uint64_t hash) const {
    const size_t b = hash & mask_;
    for (uint32_t ways = matching_ways(buckets_[b], tag_of(hash)); ways != 0; ways &= ways - 1) {
      const size_t slot = b * kWays + size_t(__builtin_ctz(ways));
      if (slots_[slot].key == key) return uint32_t(slot);
    }
    return kInvalidSlot;
  }

  // Finds key or claims a slot for it (an empty way, else the least recently used one).
  // A claimed slot has the key stored and a default-constructed value.
  InsertResult insert(const Key& key, uint64_t hash, uint32_t now) {
    InsertResult result;
    result.slot = find(key, hash);
    if (result.slot != kInvalidSlot) {
      result.found = true;
      touch(result.slot, now);
      return result;
    }
    const size_t b = hash & mask_;
    Bucket& bucket = buckets_[b];
    size_t victim = 0;
    for (size_t way = 0; way < kWays; ++way) {
      if (bucket.tags[way] == 0) {
        victim = way;
        break;
      }
      if (bucket.last_used[way] < bucket.last_used[victim]) victim = way;
    }
    result.evicted = bucket.tags[victim] != 0;
    if (!result.evicted) ++count_;
    bucket.tags[victim] = tag_of(hash);
    bucket.last_used[victim] = now;
    result.slot = uint32_t(b * kWays + victim);
    slots_[result.slot] = Slot{key, Value{}};
    return result;
  }

  void touch(uint32_t slot, uint32_t now) { buckets_[slot / kWays].last_used[slot % kWays] = now; }

  void erase(uint32_t slot) {
    uint32_t& tag = buckets_[slot / kWays].tags[slot % kWays];
    if (tag != 0) --count_;
    tag = 0;
  }

  bool occupied(uint32_t slot) const { return buckets_[slot / kWays].tags[slot % kWays] != 0; }
  Slot& at(uint32_t slot) { return slots_[slot]; }
  const Slot& at(uint32_t slot) const { return slots_[slot]; }

 private:
  struct alignas(64) Bucket {
    uint32_t tags[kWays] = {};
    uint32_t last_used[kWays] = {};
  };
  static uint32_t tag_of(uint64_t hash) { return uint32_t(hash >> 32) | 1u; }
  static size_t bucket_count(size_t capacity) {
    size_t buckets = 1;
    while (buckets * kWays < capacity) buckets <<= 1;
    return buckets;
  }
  // Bit w set when way w holds `tag`: one SSE2 compare per four ways where available.
  static uint32_t matching_ways(const Bucket& bucket, uint32_t tag) {
#if defined(__SSE2__)
    const __m128i wanted = _mm_set1_epi32(int(tag));
    const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&bucket.tags[0]));
    const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&bucket.tags[4]));
    const uint32_t low_bits =
        uint32_t(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(low, wanted))));
    const uint32_t high_bits =
        uint32_t(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(high, wanted))));
    return low_bits | (high_bits << 4);
#else
    uint32_t ways = 0;
    for (size_t way = 0; way < kWays; ++way) ways |= uint32_t(bucket.tags[way] == tag) << way;
    return ways;
#endif
  }

  TableMemory<Bucket> buckets_;
  TableMemory<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

}  // namespace openvpc::dataplane
