// resource_map.h — ResourceMap<T>: an ordered string -> T map whose copies share structure.
//
// Every API mutation copies the Region and diffs the copy against the original
// (RegionStore::mutate); with std::map both are O(N) in the region's size. A ResourceMap keeps
// its entries in shared chunks, each a sorted vector of at most kChunkMax pointers to shared
// entries, and the chunks in shared segments of at most kSegmentMax chunk pointers
// (resource_map_segments.h), so:
//  - copying a map copies only the segment pointers (N / ~6 / ~48 reference-count increments);
//  - a write detaches (copies) only the segment, the chunk (its entry pointers) and the one
//    entry it touches, when another map still shares them;
//  - diff_resource_maps skips the segments, then the chunks, then the entries the two versions
//    share, so comparing a copy with its original costs the entries that changed, not N.
// Entries are shared one by one because a chunk copied whole (a std::map of values, before)
// made a write to one security group copy and compare the ~6 groups beside it, with their
// rules, strings and tags: most of a mutation's cost at 100k groups (bench/README.md).
// With one flat vector of chunk pointers (before), a copy at 100k security groups did ≈8 500
// reference-count increments and releasing it as many decrements, each a cache miss: 282 µs per
// Region copy, 0.10 × the mutation rate at 100 groups (bench/README.md, "Mutations at 100k").
//
// Invariants: chunks and segments are never empty; every key of a chunk sorts before every key
// of the next one; chunks, segments and entries that are shared (use_count > 1) are never
// written. A non-const iterator detaches each segment and chunk as it enters it, and an entry
// when it is dereferenced, so non-const iteration over a whole map copies every shared entry
// (correct, but O(N)): read through a const map (std::as_const) where a loop only reads.
//
// Differences from std::map, all deliberate:
//  - insert and erase invalidate iterators into the same map (chunks and segments split, merge
//    and disappear); references to elements stay valid (entries live on the heap);
//  - copying the map while holding a non-const iterator or reference into it and then writing
//    through it writes into an entry the copy shares: take references after the copy;
//  - a const reference to an entry still shared with a copy names the shared entry: a later
//    write through a non-const path gives this map its own entry, which that reference does not
//    see (take the reference through the non-const path, or after the write);
//  - no node handles (extract/merge) and no hint or heterogeneous overloads.
//
// Threading: as std::map (const access from many threads, writes from one; a non-const read is
// a write). A chunk, segment or entry is only ever written by a map that holds its one
// reference.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/resource_map_segments.h"

namespace openvpc::model {

// ChunkMax: a chunk splits in two when an insert takes it past this many entries. Larger chunks
// make copies cheaper (fewer pointers) and writes dearer (a bigger chunk of entry pointers to
// copy, and to compare in a diff): 8 suits resources (bench/README.md, "chunk sizes"); the
// secondary index's short keys (region_index.h) take 32. SegmentMax: the
// chunk pointers a segment holds before it splits; a write copies one segment, a copy holds
// N / ChunkMax / SegmentMax segment pointers (times ~1.5 for half-full chunks and segments).
template <typename T, size_t ChunkMax = 8, size_t SegmentMax = 64>
class ResourceMap {
 public:
  using value_type = std::pair<const std::string, T>;

 private:
  using Entry = std::shared_ptr<value_type>;
  // At most ChunkMax entries in key order (resource_map_segments.h reads front_key()).
  struct Chunk {
    std::vector<Entry> entries;
    const std::string& front_key() const { return entries.front()->first; }
    // The first entry whose key is not less than (past_equal: greater than) `key`.
    template <typename Entries>
    static auto bound(Entries& entries, const std::string& key, bool past_equal) {
      if (past_equal) {
        return std::upper_bound(entries.begin(), entries.end(), key,
                                [](const std::string& k, const Entry& e) { return k < e->first; });
      }
      return std::lower_bound(entries.begin(), entries.end(), key,
                              [](const Entry& e, const std::string& k) { return e->first < k; });
    }
    // The entry with `key`, or end().
    template <typename Entries>
    static auto find(Entries& entries, const std::string& key) {
      auto it = bound(entries, key, false);
      return it != entries.end() && (*it)->first == key ? it : entries.end();
    }
  };
  using ChunkPtr = std::shared_ptr<Chunk>;
  using Segments = detail::ChunkSegments<Chunk, SegmentMax>;
  using Position = typename Segments::Position;

 public:
  static constexpr size_t kChunkMax = ChunkMax;
  static constexpr size_t kSegmentMax = SegmentMax;

  using key_type = std::string;
  using mapped_type = T;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;

  template <bool Const>
  class Iterator {
    using Map = std::conditional_t<Const, const ResourceMap, ResourceMap>;
    using Inner = std::conditional_t<Const, typename std::vector<Entry>::const_iterator,
                                     typename std::vector<Entry>::iterator>;

   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = ResourceMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;

    Iterator() = default;
    // A non-const iterator converts to a const one, as std::map's does.
    template <bool OtherConst, typename = std::enable_if_t<Const && !OtherConst>>
    Iterator(const Iterator<OtherConst>& other)  // NOLINT(google-explicit-constructor)
        : map_(other.map_), at_(other.at_), inner_(other.inner_) {}

    // A non-const dereference detaches the entry: the map gets its own copy if another shares
    // it (the chunk is this map's own already: enter() detached it).
    reference operator*() const {
      if constexpr (!Const) {
        if (inner_->use_count() != 1) {
          *inner_ = std::make_shared<value_type>(**inner_);
        } else {  // as ChunkSegments::owned: after the other owner's last reads
          std::atomic_thread_fence(std::memory_order_acquire);
        }
      }
      return **inner_;
    }
    pointer operator->() const { return &**this; }

    Iterator& operator++() {
      if (++inner_ == map_->segments_.chunk(at_).entries.end()) {
        enter(map_->segments_.next(at_), false);
      }
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    Iterator& operator--() {
      if (at_ == map_->segments_.end() || inner_ == map_->segments_.chunk(at_).entries.begin()) {
        enter(map_->segments_.prev(at_), true);
      } else {
        --inner_;
      }
      return *this;
    }
    Iterator operator--(int) {
      Iterator before = *this;
      --*this;
      return before;
    }

    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.at_ == b.at_ && a.inner_ == b.inner_;
    }

   private:
    friend class ResourceMap;
    template <bool>
    friend class Iterator;

    Iterator(Map* map, Position at, Inner inner) : map_(map), at_(at), inner_(inner) {}

    // Moves to the chunk at `at` (its first entry, or its last if `at_last`); end() is past the
    // last chunk. A non-const iterator detaches the segment and the chunk it enters.
    void enter(Position at, bool at_last) {
      at_ = at;
      if (at == map_->segments_.end()) {
        inner_ = Inner{};
        return;
      }
      auto& entries = chunk_of(*map_, at).entries;
      inner_ = at_last ? std::prev(entries.end()) : entries.begin();
    }

    static const Chunk& chunk_of(const ResourceMap& map, Position at) {
      return map.segments_.chunk(at);
    }
    static Chunk& chunk_of(ResourceMap& map, Position at) { return map.segments_.own(at); }

    Map* map_ = nullptr;
    Position at_{};
    Inner inner_{};
  };

  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  ResourceMap() = default;
  ResourceMap(std::initializer_list<value_type> values) {
    for (const auto& value : values) insert(value);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const_iterator begin() const { return at_chunk_start<true>(this, segments_.begin()); }
  const_iterator end() const { return const_iterator(this, segments_.end(), {}); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  iterator begin() { return at_chunk_start<false>(this, segments_.begin()); }
  iterator end() { return iterator(this, segments_.end(), {}); }

  const_iterator find(const std::string& key) const {
    Position at = segments_.find(key);
    if (at == segments_.end()) return end();
    const auto& entries = segments_.chunk(at).entries;
    auto inner = Chunk::find(entries, key);
    if (inner == entries.end()) return end();
    return const_iterator(this, at, inner);
  }
  iterator find(const std::string& key) {
    Position at = segments_.find(key);
    if (at == segments_.end()) return end();
    const auto& reading = segments_.chunk(at).entries;
    auto found = Chunk::find(reading, key);
    if (found == reading.end()) return end();
    const auto offset = found - reading.begin();  // a detached copy keeps the order
    return iterator(this, at, segments_.own(at).entries.begin() + offset);
  }
  bool contains(const std::string& key) const { return find(key) != end(); }
  // The first entry whose key is not less than (upper_bound: greater than) `key`; read-only:
  // range scans of an index.
  const_iterator lower_bound(const std::string& key) const { return bound(key, false); }
  const_iterator upper_bound(const std::string& key) const { return bound(key, true); }
  size_t count(const std::string& key) const { return contains(key) ? 1 : 0; }

  const T& at(const std::string& key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("ResourceMap::at: no " + key);
    return it->second;
  }
  T& at(const std::string& key) {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("ResourceMap::at: no " + key);
    return it->second;
  }
  T& operator[](const std::string& key) { return try_emplace(key).first->second; }
  T& operator[](std::string&& key) { return try_emplace(std::move(key)).first->second; }

  // Inserts key -> T(args...) unless the key is present; emplace is the same for a key and
  // mapped-value arguments (the only way the Region's callers use it).
  template <typename Key, typename... Args>
  std::pair<iterator, bool> try_emplace(Key&& key, Args&&... args) {
    const std::string& key_ref = key;
    Position at = segments_.find(key_ref);
    if (at == segments_.end()) {  // sorts before every key: the first chunk
      if (segments_.empty()) segments_.push_first(std::make_shared<Chunk>());
      at = segments_.begin();
    }
    auto& entries = segments_.own(at).entries;
    auto inner = Chunk::bound(entries, key_ref, false);
    if (inner != entries.end() && (*inner)->first == key_ref) {
      return {iterator(this, at, inner), false};
    }
    inner = entries.insert(
        inner, std::make_shared<value_type>(std::piecewise_construct,
                                            std::forward_as_tuple(std::forward<Key>(key)),
                                            std::forward_as_tuple(std::forward<Args>(args)...)));
    ++size_;
    if (entries.size() > kChunkMax) {
      const std::string& inserted_key = (*inner)->first;  // the entry stays where it is
      ChunkPtr upper = split(entries);
      const bool in_upper = inserted_key >= upper->front_key();
      Position upper_at = segments_.insert_after(at, std::move(upper));
      if (in_upper) at = upper_at;
      auto& now = segments_.own(at).entries;  // owned already: no copy
      inner = Chunk::find(now, inserted_key);
    }
    return {iterator(this, at, inner), true};
  }
  template <typename Key, typename... Args>
  std::pair<iterator, bool> emplace(Key&& key, Args&&... args) {
    return try_emplace(std::forward<Key>(key), std::forward<Args>(args)...);
  }
  std::pair<iterator, bool> insert(const value_type& value) {
    return try_emplace(value.first, value.second);
  }
  std::pair<iterator, bool> insert(value_type&& value) {
    return try_emplace(value.first, std::move(value.second));
  }
  template <typename Value>
  std::pair<iterator, bool> insert_or_assign(const std::string& key, Value&& value) {
    auto result = try_emplace(key, std::forward<Value>(value));
    if (!result.second) result.first->second = std::forward<Value>(value);
    return result;
  }

  size_t erase(const std::string& key) {
    auto it = find(key);
    if (it == end()) return 0;
    erase(it);
    return 1;
  }
  // Returns the iterator after the erased entry.
  iterator erase(const_iterator position) {
    Position at = position.at_;
    std::string key = position->first;  // position may point into a chunk shared until detached
    auto& entries = segments_.own(at).entries;
    auto next = entries.erase(Chunk::find(entries, key));
    --size_;
    if (entries.empty()) return at_chunk_start<false>(this, segments_.remove(at));
    if (next == entries.end()) return at_chunk_start<false>(this, segments_.next(at));
    return iterator(this, at, next);
  }
  iterator erase(iterator position) { return erase(const_iterator(position)); }

  // std::erase_if for the map (called unqualified, found by ADL): copies only the shared
  // segments and chunks that hold an entry to erase.
  template <typename Predicate>
  friend size_t erase_if(ResourceMap& map, Predicate predicate) {
    size_t erased = 0;
    Segments& segments = map.segments_;
    for (Position at = segments.begin(); at != segments.end();) {
      const auto& reading = segments.chunk(at).entries;
      auto matches = [&](const Entry& entry) { return predicate(std::as_const(*entry)); };
      if (std::none_of(reading.begin(), reading.end(), matches)) {
        at = segments.next(at);
        continue;
      }
      auto& entries = segments.own(at).entries;
      erased += std::erase_if(entries, matches);
      at = entries.empty() ? segments.remove(at) : segments.next(at);
    }
    map.size_ -= erased;
    return erased;
  }

  void clear() {
    segments_.clear();
    size_ = 0;
  }

  friend bool operator==(const ResourceMap& a, const ResourceMap& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

  // How many chunks (segments) this map holds, and how many of them are the very ones `other`
  // holds (shared, not copied): what a copy-and-write costs, for tests and benchmarks.
  size_t chunk_count() const { return segments_.chunk_count(); }
  size_t chunks_shared_with(const ResourceMap& other) const {
    return segments_.chunks_shared_with(other.segments_);
  }
  size_t segment_count() const { return segments_.segment_count(); }
  size_t segments_shared_with(const ResourceMap& other) const {
    return segments_.segments_shared_with(other.segments_);
  }

  // Whether both maps hold the very same chunks (one is an unwritten copy of the other):
  // O(segments) when they share every segment, no entry compared.
  bool same_chunks(const ResourceMap& other) const {
    return segments_.same_chunks(other.segments_);
  }

  // Calls visit(old, now) (pointers to entries, null for the side that lacks the key) for every
  // key of the chunks the two maps do not share whose entry they do not share either, in key
  // order: a superset of the keys that differ, found in what the entries that differ cost.
  template <typename Visit>
  friend void for_each_unshared_entry(const ResourceMap& before, const ResourceMap& after,
                                      Visit&& visit) {
    std::vector<const Chunk*> old_chunks, new_chunks;
    Segments::split_unshared(before.segments_, after.segments_, old_chunks, new_chunks);
    for_each_pair(old_chunks, new_chunks, visit);
  }

  // Calls erased(key) for each key only in `before`, then put(key, value) for each key of
  // `after` that is new or whose value differs, both in key order. Segments, chunks and entries
  // both maps share are the same in both, so only the others are compared.
  template <typename Erased, typename Put>
  friend void diff_resource_maps(const ResourceMap& before, const ResourceMap& after,
                                 Erased&& erased, Put&& put) {
    std::vector<const Chunk*> old_chunks, new_chunks;
    Segments::split_unshared(before.segments_, after.segments_, old_chunks, new_chunks);
    for_each_pair(old_chunks, new_chunks, [&](const value_type* old, const value_type* now) {
      if (now == nullptr) erased(old->first);
    });
    for_each_pair(old_chunks, new_chunks, [&](const value_type* old, const value_type* now) {
      if (now != nullptr && (old == nullptr || !(old->second == now->second))) {
        put(now->first, now->second);
      }
    });
  }

 private:
  const_iterator bound(const std::string& key, bool past_equal) const {
    Position at = segments_.find(key);
    if (at == segments_.end()) return begin();  // key sorts before every entry
    const Chunk& chunk = segments_.chunk(at);
    auto inner = Chunk::bound(chunk.entries, key, past_equal);
    if (inner == chunk.entries.end()) return at_chunk_start<true>(this, segments_.next(at));
    return const_iterator(this, at, inner);
  }

  // Moves the upper half of an (owned) chunk's entries into a new chunk, returned.
  static ChunkPtr split(std::vector<Entry>& full) {
    auto upper = std::make_shared<Chunk>();
    auto middle = full.begin() + static_cast<std::ptrdiff_t>(full.size() / 2);
    upper->entries.assign(std::make_move_iterator(middle), std::make_move_iterator(full.end()));
    full.erase(middle, full.end());
    return upper;
  }

  template <bool Const, typename Map>
  static Iterator<Const> at_chunk_start(Map* map, Position at) {
    Iterator<Const> it(map, at, {});
    it.enter(at, false);
    return it;
  }

  // Merges the entries of two sorted chunk lists by key: visit(old, now) with null for the side
  // that lacks the key; an entry both lists hold (the very same one) is skipped.
  template <typename Visit>
  static void for_each_pair(const std::vector<const Chunk*>& olds,
                            const std::vector<const Chunk*>& nows, Visit&& visit) {
    auto old_chunk = olds.begin();
    auto now_chunk = nows.begin();
    typename std::vector<Entry>::const_iterator old_it, now_it;
    if (old_chunk != olds.end()) old_it = (*old_chunk)->entries.begin();
    if (now_chunk != nows.end()) now_it = (*now_chunk)->entries.begin();
    auto advance = [](auto& chunk, auto& it, const auto& chunks) {
      if (++it == (*chunk)->entries.end() && ++chunk != chunks.end()) {
        it = (*chunk)->entries.begin();
      }
    };
    while (old_chunk != olds.end() || now_chunk != nows.end()) {
      if (now_chunk == nows.end() ||
          (old_chunk != olds.end() && (*old_it)->first < (*now_it)->first)) {
        visit(old_it->get(), nullptr);
        advance(old_chunk, old_it, olds);
      } else if (old_chunk == olds.end() || (*now_it)->first < (*old_it)->first) {
        visit(nullptr, now_it->get());
        advance(now_chunk, now_it, nows);
      } else {
        if (*old_it != *now_it) visit(old_it->get(), now_it->get());
        advance(old_chunk, old_it, olds);
        advance(now_chunk, now_it, nows);
      }
    }
  }

  Segments segments_;
  size_t size_ = 0;
};

}  // namespace openvpc::model
