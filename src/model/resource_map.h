// resource_map.h — ResourceMap<T>: an ordered string -> T map whose copies share structure.
//
// Every API mutation copies the Region and diffs the copy against the original
// (RegionStore::mutate); with std::map both are O(N) in the region's size. A ResourceMap is a
// sorted vector of shared chunks, each a small std::map of at most kChunkMax entries, so:
//  - copying a map copies only the chunk pointers (N / ~12 reference-count increments);
//  - a write detaches (copies) only the chunk it touches, when another map still shares it;
//  - diff_resource_maps skips the chunks both versions share, so comparing a copy with its
//    original costs the chunks that changed, not N.
//
// Invariants: chunks are never empty; every key of chunk i sorts before every key of chunk
// i + 1; chunks that are shared (use_count > 1) are never written. A non-const iterator
// detaches each chunk as it enters it, so non-const iteration over a whole map copies every
// shared chunk (correct, but O(N)): read through a const map (std::as_const) where a loop only
// reads.
//
// Differences from std::map, all deliberate:
//  - insert and erase invalidate iterators into the same map (chunks split and disappear);
//    references to elements stay valid (chunks are node-based and split by moving nodes);
//  - copying the map while holding a non-const iterator or reference into it and then writing
//    through it writes into a chunk the copy shares: take references after the copy;
//  - no node handles (extract/merge) and no hint or heterogeneous overloads.
//
// Threading: as std::map (const access from many threads, writes from one). A chunk is only
// ever written by a map that holds its one reference.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace openvpc::model {

// ChunkMax: a chunk splits in two when an insert takes it past this many entries. Larger chunks
// make copies cheaper (fewer pointers) and writes dearer (a bigger chunk to copy): 16 suits
// resources; a secondary index of small keys (region_index.h) uses larger ones.
template <typename T, size_t ChunkMax = 16>
class ResourceMap {
  using Chunk = std::map<std::string, T>;
  using ChunkPtr = std::shared_ptr<Chunk>;

 public:
  static constexpr size_t kChunkMax = ChunkMax;

  using key_type = std::string;
  using mapped_type = T;
  using value_type = std::pair<const std::string, T>;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;

  template <bool Const>
  class Iterator {
    using Map = std::conditional_t<Const, const ResourceMap, ResourceMap>;
    using Inner =
        std::conditional_t<Const, typename Chunk::const_iterator, typename Chunk::iterator>;

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
        : map_(other.map_), chunk_(other.chunk_), inner_(other.inner_) {}

    reference operator*() const { return *inner_; }
    pointer operator->() const { return &*inner_; }

    Iterator& operator++() {
      if (++inner_ == map_->chunks_[chunk_]->end()) enter(chunk_ + 1, false);
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    Iterator& operator--() {
      if (chunk_ == map_->chunks_.size() || inner_ == map_->chunks_[chunk_]->begin()) {
        enter(chunk_ - 1, true);
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
      return a.chunk_ == b.chunk_ && a.inner_ == b.inner_;
    }

   private:
    friend class ResourceMap;
    template <bool>
    friend class Iterator;

    Iterator(Map* map, size_t chunk, Inner inner) : map_(map), chunk_(chunk), inner_(inner) {}

    // Moves to chunk `index` (its first entry, or its last if `at_last`); past the last chunk
    // is end(). A non-const iterator detaches the chunk it enters.
    void enter(size_t index, bool at_last) {
      chunk_ = index;
      if (index == map_->chunks_.size()) {
        inner_ = Inner{};
        return;
      }
      if constexpr (!Const) map_->detach(index);
      inner_ = at_last ? std::prev(map_->chunks_[index]->end()) : map_->chunks_[index]->begin();
    }

    Map* map_ = nullptr;
    size_t chunk_ = 0;
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

  const_iterator begin() const { return at_chunk_start<true>(this, 0); }
  const_iterator end() const { return const_iterator(this, chunks_.size(), {}); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  iterator begin() { return at_chunk_start<false>(this, 0); }
  iterator end() { return iterator(this, chunks_.size(), {}); }

  const_iterator find(const std::string& key) const {
    size_t index = chunk_for(key);
    if (index == chunks_.size()) return end();
    auto inner = std::as_const(*chunks_[index]).find(key);
    if (inner == chunks_[index]->cend()) return end();
    return const_iterator(this, index, inner);
  }
  iterator find(const std::string& key) {
    size_t index = chunk_for(key);
    if (index == chunks_.size() || !chunks_[index]->contains(key)) return end();
    detach(index);
    return iterator(this, index, chunks_[index]->find(key));
  }
  bool contains(const std::string& key) const { return find(key) != end(); }
  // The first entry whose key is not less than `key` (read-only: range scans of an index).
  const_iterator lower_bound(const std::string& key) const {
    size_t index = chunk_for(key);
    if (index == chunks_.size()) return begin();  // key sorts before every entry
    auto inner = std::as_const(*chunks_[index]).lower_bound(key);
    if (inner == chunks_[index]->cend()) return at_chunk_start<true>(this, index + 1);
    return const_iterator(this, index, inner);
  }
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
    size_t index = chunk_for(key);
    if (index == chunks_.size()) index = 0;  // sorts before every key: the first chunk
    if (chunks_.empty()) chunks_.push_back(std::make_shared<Chunk>());
    detach(index);
    Chunk& chunk = *chunks_[index];
    auto [inner, inserted] = chunk.try_emplace(std::forward<Key>(key), std::forward<Args>(args)...);
    if (!inserted) return {iterator(this, index, inner), false};
    ++size_;
    if (chunk.size() > kChunkMax) {
      const std::string& inserted_key = inner->first;  // a split moves the node, not its address
      split(index);
      if (inserted_key >= chunks_[index + 1]->begin()->first) ++index;
      inner = chunks_[index]->find(inserted_key);
    }
    return {iterator(this, index, inner), true};
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
    size_t index = position.chunk_;
    std::string key = position->first;  // position may point into a chunk shared until detached
    detach(index);
    Chunk& chunk = *chunks_[index];
    auto next = chunk.erase(chunk.find(key));
    --size_;
    if (chunk.empty()) {
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(index));
      return at_chunk_start<false>(this, index);
    }
    if (next == chunk.end()) return at_chunk_start<false>(this, index + 1);
    return iterator(this, index, next);
  }
  iterator erase(iterator position) { return erase(const_iterator(position)); }

  // std::erase_if for the map (called unqualified, found by ADL): copies only the shared chunks
  // that hold an entry to erase.
  template <typename Predicate>
  friend size_t erase_if(ResourceMap& map, Predicate predicate) {
    size_t erased = 0;
    for (size_t index = 0; index < map.chunks_.size();) {
      const Chunk& reading = *map.chunks_[index];
      if (std::none_of(reading.begin(), reading.end(),
                       [&](const value_type& entry) { return predicate(entry); })) {
        ++index;
        continue;
      }
      map.detach(index);
      erased += std::erase_if(*map.chunks_[index], predicate);
      if (map.chunks_[index]->empty()) {
        map.chunks_.erase(map.chunks_.begin() + static_cast<std::ptrdiff_t>(index));
      } else {
        ++index;
      }
    }
    map.size_ -= erased;
    return erased;
  }

  void clear() {
    chunks_.clear();
    size_ = 0;
  }

  friend bool operator==(const ResourceMap& a, const ResourceMap& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

  // How many chunks this map holds, and how many of them are the very chunks `other` holds
  // (shared, not copied): what a copy-and-write costs, for tests and benchmarks.
  size_t chunk_count() const { return chunks_.size(); }
  size_t chunks_shared_with(const ResourceMap& other) const {
    size_t shared = 0;
    for (const auto& chunk : chunks_) {
      shared += static_cast<size_t>(std::find(other.chunks_.begin(), other.chunks_.end(), chunk) !=
                                    other.chunks_.end());
    }
    return shared;
  }

  // Whether both maps hold the very same chunks (one is an unwritten copy of the other): O(chunks),
  // no entry compared.
  bool same_chunks(const ResourceMap& other) const { return chunks_ == other.chunks_; }

  // Calls visit(old, now) (pointers to entries, null for the side that lacks the key) for every
  // key of the chunks the two maps do not share, in key order: a superset of the keys that
  // differ, found in what the chunks that differ cost.
  template <typename Visit>
  friend void for_each_unshared_entry(const ResourceMap& before, const ResourceMap& after,
                                      Visit&& visit) {
    std::vector<const Chunk*> old_chunks, new_chunks;
    split_unshared(before, after, old_chunks, new_chunks);
    for_each_pair(old_chunks, new_chunks, visit);
  }

  // Calls erased(key) for each key only in `before`, then put(key, value) for each key of
  // `after` that is new or whose value differs, both in key order. Chunks both maps share hold
  // the same entries in both, so only the others are compared.
  template <typename Erased, typename Put>
  friend void diff_resource_maps(const ResourceMap& before, const ResourceMap& after,
                                 Erased&& erased, Put&& put) {
    std::vector<const Chunk*> old_chunks, new_chunks;
    split_unshared(before, after, old_chunks, new_chunks);
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
  // The chunk that holds (or would hold) `key`: the last one whose first key is <= key;
  // chunks_.size() when key sorts before every chunk (or there are none).
  size_t chunk_for(const std::string& key) const {
    auto after = std::partition_point(chunks_.begin(), chunks_.end(), [&](const ChunkPtr& chunk) {
      return chunk->begin()->first <= key;
    });
    if (after == chunks_.begin()) return chunks_.size();
    return static_cast<size_t>(after - chunks_.begin()) - 1;
  }

  // Makes chunk `index` this map's own before it is written.
  void detach(size_t index) {
    ChunkPtr& chunk = chunks_[index];
    if (chunk.use_count() == 1) {
      // use_count() is a relaxed load: order our writes after the other owner's last reads,
      // whose release was its reference-count decrement.
      std::atomic_thread_fence(std::memory_order_acquire);
      return;
    }
    chunk = std::make_shared<Chunk>(*chunk);
  }

  // Moves the upper half of (detached) chunk `index` into a new chunk after it.
  void split(size_t index) {
    Chunk& full = *chunks_[index];
    auto upper = std::make_shared<Chunk>();
    auto middle = std::next(full.begin(), static_cast<std::ptrdiff_t>(full.size() / 2));
    while (middle != full.end()) {
      auto moving = middle++;
      upper->insert(upper->end(), full.extract(moving));
    }
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(index) + 1, std::move(upper));
  }

  template <bool Const, typename Map>
  static Iterator<Const> at_chunk_start(Map* map, size_t index) {
    Iterator<Const> it(map, index, {});
    it.enter(index, false);
    return it;
  }

  // The chunks only `before` holds and those only `after` holds, each in order, in one pass:
  // a chunk both hold has the same first key in both and first keys increase along each list,
  // so stepping past the chunk with the smaller first key never steps past its twin.
  static void split_unshared(const ResourceMap& before, const ResourceMap& after,
                             std::vector<const Chunk*>& only_before,
                             std::vector<const Chunk*>& only_after) {
    const auto& olds = before.chunks_;
    const auto& nows = after.chunks_;
    size_t i = 0, j = 0;
    while (i < olds.size() || j < nows.size()) {
      if (i < olds.size() && j < nows.size() && olds[i] == nows[j]) {
        ++i, ++j;
      } else if (j == nows.size() ||
                 (i < olds.size() && olds[i]->begin()->first <= nows[j]->begin()->first)) {
        only_before.push_back(olds[i++].get());
      } else {
        only_after.push_back(nows[j++].get());
      }
    }
  }

  // Merges the entries of two sorted chunk lists by key: visit(old, now) with null for the side
  // that lacks the key.
  template <typename Visit>
  static void for_each_pair(const std::vector<const Chunk*>& olds,
                            const std::vector<const Chunk*>& nows, Visit&& visit) {
    auto old_chunk = olds.begin();
    auto now_chunk = nows.begin();
    typename Chunk::const_iterator old_it, now_it;
    if (old_chunk != olds.end()) old_it = (*old_chunk)->begin();
    if (now_chunk != nows.end()) now_it = (*now_chunk)->begin();
    auto advance = [](auto& chunk, auto& it, const auto& chunks) {
      if (++it == (*chunk)->end() && ++chunk != chunks.end()) it = (*chunk)->begin();
    };
    while (old_chunk != olds.end() || now_chunk != nows.end()) {
      if (now_chunk == nows.end() || (old_chunk != olds.end() && old_it->first < now_it->first)) {
        visit(&*old_it, nullptr);
        advance(old_chunk, old_it, olds);
      } else if (old_chunk == olds.end() || now_it->first < old_it->first) {
        visit(nullptr, &*now_it);
        advance(now_chunk, now_it, nows);
      } else {
        visit(&*old_it, &*now_it);
        advance(old_chunk, old_it, olds);
        advance(now_chunk, now_it, nows);
      }
    }
  }

  std::vector<ChunkPtr> chunks_;
  size_t size_ = 0;
};

}  // namespace openvpc::model
