// resource_map_segments.h — ChunkSegments: the ordered, copy-on-write sequence of chunks under
// a ResourceMap (resource_map.h), held in two levels so that copying it stays cheap at 100k
// entries.
//
// A ResourceMap's entries live in chunks (small sorted vectors of shared entries). With one flat
// vector of chunk pointers, a copy of the map did one atomic reference-count increment per chunk,
// and dropping the copy one decrement: ≈8 500 of each at 100k security groups, each a cache miss
// (282 µs per Region copy, two thirds of a 100k mutation). Here the map holds a vector of shared
// *segments*, each an immutable-when-shared vector of up to SegmentMax chunk pointers, so:
//  - a copy copies segment pointers: N / ~6 entries a chunk / ~48 chunks a segment (≈350 at
//    100k security groups);
//  - a write detaches (copies) the one segment it touches (≤ SegmentMax chunk pointers), then
//    the one chunk;
//  - comparing two versions (split_unshared) skips each segment both share whole, and compares
//    chunk by chunk only inside the segments that differ.
//
// Invariants: segments are never empty (chunks are never empty either: ResourceMap keeps that);
// the chunks of segment i, in order, come before those of segment i + 1; a segment or chunk that
// is shared (use_count > 1) is never written. A chunk is only written through a segment that
// this sequence alone holds, so a chunk's use_count counts the segments that hold it. A segment
// splits in halves past SegmentMax chunks and merges with a neighbour below SegmentMax / 4 when
// the two fit in one, so segments hold SegmentMax / 4 … SegmentMax chunks (one fewer-chunk
// segment may remain where neither neighbour has room).
//
// A Position names one chunk: {segment, chunk within it}; end() is {segment count, 0}.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace openvpc::model::detail {

template <typename Chunk, size_t SegmentMax>
class ChunkSegments {
  static_assert(SegmentMax >= 4, "segments must be able to split and merge");
  using ChunkPtr = std::shared_ptr<Chunk>;
  using Segment = std::vector<ChunkPtr>;
  using SegmentPtr = std::shared_ptr<Segment>;

 public:
  static constexpr size_t kSegmentMax = SegmentMax;
  static constexpr size_t kSegmentMin = SegmentMax / 4;

  struct Position {
    size_t segment = 0;
    size_t chunk = 0;
    friend bool operator==(const Position&, const Position&) = default;
  };

  bool empty() const { return segments_.empty(); }
  Position begin() const { return {0, 0}; }
  Position end() const { return {segments_.size(), 0}; }

  // The chunk after / before `at` (before: `at` is not begin(); end() steps to the last chunk).
  Position next(Position at) const {
    if (at.chunk + 1 < segments_[at.segment]->size()) return {at.segment, at.chunk + 1};
    return {at.segment + 1, 0};
  }
  Position prev(Position at) const {
    if (at.chunk > 0) return {at.segment, at.chunk - 1};
    return {at.segment - 1, segments_[at.segment - 1]->size() - 1};
  }

  const Chunk& chunk(Position at) const { return *(*segments_[at.segment])[at.chunk]; }

  // Makes the segment and the chunk at `at` this sequence's own, and returns the chunk to write.
  Chunk& own(Position at) {
    ChunkPtr& chunk = (*own_segment(at.segment))[at.chunk];
    if (!owned(chunk)) chunk = std::make_shared<Chunk>(*chunk);
    return *chunk;
  }

  // The chunk that holds (or would hold) `key`: the last one whose first key is <= key; end()
  // when key sorts before every chunk (or there are none).
  template <typename Key>
  Position find(const Key& key) const {
    auto segment =
        std::partition_point(segments_.begin(), segments_.end(),
                             [&](const SegmentPtr& s) { return s->front()->front_key() <= key; });
    if (segment == segments_.begin()) return end();
    const Segment& chunks = **--segment;
    auto chunk = std::partition_point(chunks.begin() + 1, chunks.end(),
                                      [&](const ChunkPtr& c) { return c->front_key() <= key; });
    return {static_cast<size_t>(segment - segments_.begin()),
            static_cast<size_t>(chunk - chunks.begin()) - 1};
  }

  // The first chunk of an empty sequence.
  void push_first(ChunkPtr chunk) { segments_.push_back(std::make_shared<Segment>(1, chunk)); }

  // Inserts `chunk` right after `at` (whose segment is owned: own(at) came first) and returns
  // where it is; `at` is updated when its segment split.
  Position insert_after(Position& at, ChunkPtr chunk) {
    Segment& segment = *segments_[at.segment];
    segment.insert(segment.begin() + static_cast<std::ptrdiff_t>(at.chunk) + 1, std::move(chunk));
    Position inserted{at.segment, at.chunk + 1};
    if (segment.size() > kSegmentMax) {
      const size_t half = segment.size() / 2;
      auto upper = std::make_shared<Segment>(std::make_move_iterator(segment.begin() + half),
                                             std::make_move_iterator(segment.end()));
      segment.resize(half);
      segments_.insert(segments_.begin() + static_cast<std::ptrdiff_t>(at.segment) + 1,
                       std::move(upper));
      for (Position* p : {&at, &inserted}) {
        if (p->chunk >= half) *p = {p->segment + 1, p->chunk - half};
      }
    }
    return inserted;
  }

  // Removes the (owned, emptied) chunk at `at`; returns where the chunk that followed it now is.
  Position remove(Position at) {
    Segment& segment = *segments_[at.segment];
    segment.erase(segment.begin() + static_cast<std::ptrdiff_t>(at.chunk));
    if (segment.empty()) {
      segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(at.segment));
      return {at.segment, 0};
    }
    if (segment.size() < kSegmentMin) at = merge_small(at);
    if (at.chunk == segments_[at.segment]->size()) return {at.segment + 1, 0};
    return at;
  }

  void clear() { segments_.clear(); }

  // Whether both hold the very same chunks: O(segments), skipping each segment both share whole
  // and comparing chunk by chunk only up to the first that differs (sync_indexes asks this of
  // every indexed map on every mutation, so a walk over every chunk would be O(N) again).
  bool same_chunks(const ChunkSegments& other) const {
    Position i = begin(), j = other.begin();
    while (i != end() && j != other.end()) {
      if (i.chunk == 0 && j.chunk == 0 && segments_[i.segment] == other.segments_[j.segment]) {
        i = {i.segment + 1, 0};
        j = {j.segment + 1, 0};
      } else if (&chunk(i) == &other.chunk(j)) {
        i = next(i);
        j = other.next(j);
      } else {
        return false;
      }
    }
    return i == end() && j == other.end();
  }

  size_t segment_count() const { return segments_.size(); }
  size_t chunk_count() const {
    size_t count = 0;
    for (const auto& segment : segments_) count += segment->size();
    return count;
  }
  // How many of this sequence's chunks (segments) are the very ones `other` holds.
  size_t chunks_shared_with(const ChunkSegments& other) const {
    std::vector<const Chunk*> theirs;
    for (Position j = other.begin(); j != other.end(); j = other.next(j)) {
      theirs.push_back(&other.chunk(j));
    }
    std::sort(theirs.begin(), theirs.end());
    size_t shared = 0;
    for (Position i = begin(); i != end(); i = next(i)) {
      shared += static_cast<size_t>(std::binary_search(theirs.begin(), theirs.end(), &chunk(i)));
    }
    return shared;
  }
  size_t segments_shared_with(const ChunkSegments& other) const {
    size_t shared = 0;
    for (const auto& segment : segments_) {
      shared += static_cast<size_t>(std::find(other.segments_.begin(), other.segments_.end(),
                                              segment) != other.segments_.end());
    }
    return shared;
  }

  // The chunks only `before` holds and those only `after` holds, each in order, in one pass. A
  // segment both hold at the two cursors is skipped whole. Otherwise chunk by chunk: a chunk
  // both hold has the same first key in both and first keys increase along each sequence, so
  // stepping past the chunk with the smaller first key never steps past its twin.
  static void split_unshared(const ChunkSegments& before, const ChunkSegments& after,
                             std::vector<const Chunk*>& only_before,
                             std::vector<const Chunk*>& only_after) {
    Position i = before.begin(), j = after.begin();
    while (i != before.end() || j != after.end()) {
      if (i != before.end() && j != after.end()) {
        if (i.chunk == 0 && j.chunk == 0 &&
            before.segments_[i.segment] == after.segments_[j.segment]) {
          i = {i.segment + 1, 0};
          j = {j.segment + 1, 0};
          continue;
        }
        if (&before.chunk(i) == &after.chunk(j)) {
          i = before.next(i);
          j = after.next(j);
          continue;
        }
      }
      if (j == after.end() ||
          (i != before.end() && before.chunk(i).front_key() <= after.chunk(j).front_key())) {
        only_before.push_back(&before.chunk(i));
        i = before.next(i);
      } else {
        only_after.push_back(&after.chunk(j));
        j = after.next(j);
      }
    }
  }

 private:
  // use_count() is a relaxed load: when it says we hold the only reference, order our writes
  // after the other owner's last reads, whose release was its reference-count decrement.
  template <typename Pointer>
  static bool owned(const Pointer& pointer) {
    if (pointer.use_count() != 1) return false;
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
  }

  Segment* own_segment(size_t index) {
    SegmentPtr& segment = segments_[index];
    if (!owned(segment)) segment = std::make_shared<Segment>(*segment);
    return segment.get();
  }

  // Merges the (owned) segment at `at` with a neighbour that has room; returns where `at`'s chunk
  // is afterwards. The right neighbour first: then no position moves.
  Position merge_small(Position at) {
    const size_t size = segments_[at.segment]->size();
    if (at.segment + 1 < segments_.size() &&
        size + segments_[at.segment + 1]->size() <= kSegmentMax) {
      merge_with_next(at.segment);
      return at;
    }
    if (at.segment > 0 && segments_[at.segment - 1]->size() + size <= kSegmentMax) {
      const size_t left = segments_[at.segment - 1]->size();
      merge_with_next(at.segment - 1);
      return {at.segment - 1, at.chunk + left};
    }
    return at;
  }

  void merge_with_next(size_t index) {
    Segment* into = own_segment(index);
    const Segment& from = *segments_[index + 1];
    into->insert(into->end(), from.begin(), from.end());
    segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(index) + 1);
  }

  std::vector<SegmentPtr> segments_;
};

}  // namespace openvpc::model::detail
