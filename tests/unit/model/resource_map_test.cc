#include "model/resource_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace openvpc::testing {
namespace {

using model::ResourceMap;
using Map = ResourceMap<int>;

// Keys that sort the same way as their numbers.
std::string key(int n) {
  std::string digits = std::to_string(n);
  return "k" + std::string(6 - digits.size(), '0') + digits;
}

std::vector<std::pair<std::string, int>> entries(const Map& map) {
  return {map.begin(), map.end()};
}
std::vector<std::pair<std::string, int>> entries(const std::map<std::string, int>& map) {
  return {map.begin(), map.end()};
}

// A map of n entries inserted in a shuffled order, with the std::map it must equal.
std::pair<Map, std::map<std::string, int>> shuffled(int n, uint32_t seed) {
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  Map map;
  std::map<std::string, int> expected;
  for (int i : order) {
    EXPECT_TRUE(map.emplace(key(i), i).second);
    expected.emplace(key(i), i);
  }
  return {std::move(map), std::move(expected)};
}

TEST(ResourceMapTest, InsertsInAnyOrderIterateInKeyOrderAcrossChunks) {
  auto [map, expected] = shuffled(1000, 1);
  EXPECT_EQ(map.size(), 1000u);
  EXPECT_GT(map.chunk_count(), 1000 / Map::kChunkMax);  // it split
  EXPECT_EQ(entries(map), entries(expected));
  EXPECT_FALSE(map.emplace(key(5), -1).second);  // present: not replaced
  EXPECT_EQ(map.at(key(5)), 5);
  EXPECT_TRUE(map.contains(key(999)));
  EXPECT_FALSE(map.contains(key(1000)));
  EXPECT_EQ(map.count(key(0)), 1u);
  EXPECT_THROW(map.at(key(1000)), std::out_of_range);
}

TEST(ResourceMapTest, IteratesBackwardsAndFindsAcrossChunkBoundaries) {
  auto [map, expected] = shuffled(300, 2);
  std::vector<std::pair<std::string, int>> backwards;
  for (auto it = map.end(); it != map.begin();) {
    --it;
    backwards.emplace_back(*it);
  }
  std::reverse(backwards.begin(), backwards.end());
  EXPECT_EQ(backwards, entries(expected));
  EXPECT_EQ(std::prev(map.end())->first, key(299));
  for (int i = 0; i < 299; ++i) {  // every successor, including the first of the next chunk
    auto it = map.find(key(i));
    ASSERT_NE(it, map.end());
    EXPECT_EQ(std::next(it)->first, key(i + 1));
  }
}

TEST(ResourceMapTest, EraseReturnsTheNextEntryAndDropsEmptyChunks) {
  auto [map, expected] = shuffled(500, 3);
  for (auto it = map.begin(); it != map.end();) {  // erase the odd ones while walking
    it = it->second % 2 == 1 ? map.erase(it) : std::next(it);
  }
  std::erase_if(expected, [](const auto& entry) { return entry.second % 2 == 1; });
  EXPECT_EQ(entries(map), entries(expected));
  EXPECT_EQ(map.size(), 250u);
  EXPECT_EQ(map.erase(key(1)), 0u);
  EXPECT_EQ(map.erase(key(2)), 1u);
  for (int i = 0; i < 500; ++i) map.erase(key(i));
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.chunk_count(), 0u);
  EXPECT_EQ(map.begin(), map.end());
}

TEST(ResourceMapTest, WritingACopyLeavesTheOriginalUnchanged) {
  auto [original, expected] = shuffled(1000, 4);
  Map copy = original;
  EXPECT_EQ(copy.chunks_shared_with(original), original.chunk_count());
  copy.at(key(10)) = -10;
  copy[key(500)] = -500;
  copy.erase(key(900));
  copy.emplace(key(2000), 2000);
  EXPECT_EQ(entries(original), entries(expected));  // untouched
  EXPECT_EQ(copy.at(key(10)), -10);
  EXPECT_EQ(copy.at(key(500)), -500);
  EXPECT_FALSE(copy.contains(key(900)));
  // Only the chunks written (at most one each, and the half a full one split off) were copied.
  EXPECT_GE(copy.chunks_shared_with(original) + 5, copy.chunk_count());
}

TEST(ResourceMapTest, AWriteCopiesTheOneEntryItTouchesNotItsChunk) {
  auto [built, expected] = shuffled(1000, 11);
  const Map& original = built;  // read only (a non-const read detaches an entry too)
  Map copy = original;
  copy.at(key(10)) = -10;
  // Every other entry is the very object the original holds, even in the chunk written.
  size_t same = 0;
  for (int i = 0; i < 1000; ++i) {
    same += &std::as_const(copy).at(key(i)) == &original.at(key(i)) ? 1 : 0;
  }
  EXPECT_EQ(same, 999u);
  EXPECT_NE(&std::as_const(copy).at(key(10)), &original.at(key(10)));
  EXPECT_EQ(original.at(key(10)), 10);
  // The comparison visits that one entry, not its chunk's neighbours.
  std::vector<std::string> visited;
  for_each_unshared_entry(original, copy,
                          [&](const Map::value_type* old, const Map::value_type* now) {
                            visited.push_back(old ? old->first : now->first);
                          });
  EXPECT_EQ(visited, std::vector<std::string>{key(10)});
  // Reading through a non-const map copies nothing more than writing does, and only once.
  auto* own = &copy.at(key(10));
  EXPECT_EQ(&copy.at(key(10)), own);
  // A const reference taken first names the shared entry; the write gives the copy its own.
  const int& shared = std::as_const(copy).at(key(20));
  copy.at(key(20)) = -20;
  EXPECT_EQ(shared, 20);
  EXPECT_EQ(std::as_const(copy).at(key(20)), -20);
}

TEST(ResourceMapTest, AWriteThroughAnIteratorDetachesEveryChunkItEnters) {
  auto [original, expected] = shuffled(300, 5);
  Map copy = original;
  auto it = copy.find(key(0));
  for (int i = 0; i < 300; ++i, ++it) it->second += 1000;  // crosses every chunk boundary
  EXPECT_EQ(entries(original), entries(expected));
  EXPECT_EQ(copy.at(key(299)), 1299);
  Map again = original;
  std::prev(again.end())->second = 7;  // entered backwards from end()
  EXPECT_EQ(original.at(key(299)), 299);
  EXPECT_EQ(again.at(key(299)), 7);
}

TEST(ResourceMapTest, EraseIfCopiesOnlyTheChunksWithMatches) {
  auto [original, expected] = shuffled(1000, 6);
  Map copy = original;
  EXPECT_EQ(erase_if(copy, [](const auto& entry) { return entry.second == 3; }), 1u);
  EXPECT_EQ(copy.size(), 999u);
  EXPECT_FALSE(copy.contains(key(3)));
  EXPECT_TRUE(original.contains(key(3)));
  EXPECT_EQ(copy.chunks_shared_with(original) + 1, copy.chunk_count());
  // Chunks it empties go (an empty chunk would have no first key to search by).
  EXPECT_EQ(erase_if(copy, [](const auto& entry) { return entry.second < 500; }), 499u);
  EXPECT_LE(copy.chunk_count(), 500 / (Map::kChunkMax / 2) + 1);
  EXPECT_EQ(copy.begin()->first, key(500));
  EXPECT_EQ(erase_if(copy, [](const auto&) { return true; }), 500u);
  EXPECT_EQ(copy.chunk_count(), 0u);
  EXPECT_EQ(original.size(), 1000u);
}

// The reference diff: what diff_region computed before maps shared chunks (of a ResourceMap or a
// std::map).
template <typename M>
std::pair<std::vector<std::string>, std::vector<std::string>> full_diff(const M& before,
                                                                        const M& after) {
  std::vector<std::string> erased, put;
  for (const auto& [k, v] : before) {
    if (!after.contains(k)) erased.push_back(k);
  }
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end() || it->second != v) put.push_back(k + "=" + std::to_string(v));
  }
  return {erased, put};
}

template <typename M>
std::pair<std::vector<std::string>, std::vector<std::string>> shared_diff(const M& before,
                                                                          const M& after) {
  std::vector<std::string> erased, put;
  diff_resource_maps(
      before, after, [&](const std::string& k) { erased.push_back(k); },
      [&](const std::string& k, int v) { put.push_back(k + "=" + std::to_string(v)); });
  return {erased, put};
}

TEST(ResourceMapTest, DiffOfACopyEqualsTheFullDiff) {
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    auto [before, ignored] = shuffled(400, static_cast<uint32_t>(round));
    Map after = before;
    EXPECT_TRUE(shared_diff(before, after).first.empty());
    EXPECT_TRUE(shared_diff(before, after).second.empty());
    for (int edit = 0; edit < 60; ++edit) {  // changes, inserts (splits), erases (empty chunks)
      int n = static_cast<int>(random() % 800);
      switch (random() % 4) {
        case 0:
          after[key(n)] = n + 1;
          break;
        case 1:
          after[key(n)] = n;  // written but equal to before: not a put
          break;
        default:
          after.erase(key(n));
      }
    }
    EXPECT_EQ(shared_diff(before, after), full_diff(before, after)) << "round " << round;
  }
}

TEST(ResourceMapTest, DiffOfUnrelatedMapsEqualsTheFullDiff) {
  auto [a, ignored_a] = shuffled(300, 8);
  Map b;
  for (int i = 150; i < 450; ++i) b.emplace(key(i), i % 7 == 0 ? -i : i);
  EXPECT_EQ(shared_diff(a, b), full_diff(a, b));
  EXPECT_EQ(shared_diff(b, a), full_diff(b, a));
  EXPECT_EQ(shared_diff(Map{}, a), full_diff(Map{}, a));
  EXPECT_EQ(shared_diff(a, Map{}), full_diff(a, Map{}));
}

TEST(ResourceMapTest, EqualityComparesEntriesNotChunks) {
  auto [a, ignored_a] = shuffled(200, 9);
  auto [b, ignored_b] = shuffled(200, 10);  // another order: other chunk boundaries
  EXPECT_EQ(a, b);
  b[key(3)] = 4;
  EXPECT_NE(a, b);
}

TEST(ResourceMapTest, UpperBoundIsPastTheEqualKeyAcrossChunks) {
  auto [map, expected] = shuffled(2000, 11);
  for (int i = 0; i < 1999; i += 7) {
    EXPECT_EQ(map.upper_bound(key(i))->first, key(i + 1));
    EXPECT_EQ(map.lower_bound(key(i))->first, key(i));
  }
  EXPECT_EQ(map.upper_bound(key(1999)), map.end());
  EXPECT_EQ(map.upper_bound("a")->first, key(0));  // before every key
}

// Segments (resource_map_segments.h): small chunks and segments, so that a few thousand entries
// span hundreds of segments and every insert or erase near a boundary splits or merges one.
using SmallMap = ResourceMap<int, 4, 8>;
using Expected = std::map<std::string, int>;

template <typename M>
std::vector<std::pair<std::string, int>> entries_of(const M& map) {
  return {map.begin(), map.end()};
}

// Checks every read of `map` against `expected`: entries both ways, size, finds and bounds.
template <typename M>
void expect_same(const M& map, const Expected& expected, std::mt19937& random) {
  ASSERT_EQ(map.size(), expected.size());
  ASSERT_EQ(entries_of(map), entries(expected));
  std::vector<std::pair<std::string, int>> backwards;
  for (auto it = map.end(); it != map.begin();) backwards.emplace_back(*--it);
  std::reverse(backwards.begin(), backwards.end());
  ASSERT_EQ(backwards, entries(expected));
  for (int probe = 0; probe < 50; ++probe) {
    std::string k = key(static_cast<int>(random() % 12000));
    ASSERT_EQ(map.contains(k), expected.contains(k)) << k;
    auto lower = map.lower_bound(k);
    auto want = expected.lower_bound(k);
    ASSERT_EQ(lower == map.end(), want == expected.end()) << k;
    if (want != expected.end()) {
      ASSERT_EQ(lower->first, want->first);
    }
  }
}

template <typename M>
void random_edits_match_std_map(uint32_t seed) {
  std::mt19937 random(seed);
  M map;
  Expected expected;
  std::vector<std::pair<M, Expected>> saved;  // copies that must never see later writes
  size_t most_segments = 0;
  for (int batch = 0; batch < 40; ++batch) {
    const bool growing = batch < 25;  // grow to ~10k, then erase down (merges)
    for (int op = 0; op < 400; ++op) {
      int n = static_cast<int>(random() % 12000);
      if (random() % 100 < (growing ? 80u : 15u)) {
        map[key(n)] = n + batch;
        expected[key(n)] = n + batch;
      } else if (random() % 8 == 0) {  // a run of neighbours: empties whole chunks
        for (int i = n; i < n + 40; ++i) {
          EXPECT_EQ(map.erase(key(i)), expected.erase(key(i)));
        }
      } else {
        EXPECT_EQ(map.erase(key(n)), expected.erase(key(n)));
      }
    }
    expect_same(map, expected, random);
    most_segments = std::max(most_segments, map.segment_count());
    if (batch % 5 == 0) saved.emplace_back(map, expected);
    for (const auto& [copy, copy_expected] : saved) {
      ASSERT_EQ(entries_of(copy), entries(copy_expected)) << "a copy saw a later write";
      ASSERT_EQ(shared_diff(copy, map), full_diff(copy_expected, expected)) << "batch " << batch;
      ASSERT_EQ(shared_diff(map, copy), full_diff(expected, copy_expected)) << "batch " << batch;
    }
  }
  EXPECT_GT(most_segments, 4u);  // it spanned several segments
}

TEST(ResourceMapSegmentsTest, RandomInsertsAndErasesMatchStdMapWithSmallSegments) {
  random_edits_match_std_map<SmallMap>(21);
}

TEST(ResourceMapSegmentsTest, RandomInsertsAndErasesMatchStdMapWithDefaultSegments) {
  random_edits_match_std_map<Map>(22);
}

TEST(ResourceMapSegmentsTest, ACopySharesEverySegmentAndAWriteCopiesOne) {
  auto [original, expected] = shuffled(10000, 23);
  ASSERT_GT(original.segment_count(), 4u);
  Map copy = original;
  EXPECT_TRUE(copy.same_chunks(original));
  EXPECT_EQ(copy.segments_shared_with(original), original.segment_count());
  copy.at(key(5000)) = -1;
  EXPECT_FALSE(copy.same_chunks(original));
  EXPECT_EQ(copy.segments_shared_with(original) + 1, copy.segment_count());
  EXPECT_EQ(copy.chunks_shared_with(original) + 1, copy.chunk_count());
  EXPECT_EQ(
      shared_diff(original, copy),
      (std::pair<std::vector<std::string>, std::vector<std::string>>{{}, {key(5000) + "=-1"}}));
  EXPECT_EQ(original.at(key(5000)), 5000);
}

TEST(ResourceMapSegmentsTest, CopiesThatDivergeBySplitsAndMergesStayApart) {
  SmallMap original;
  Expected expected;
  for (int i = 0; i < 3000; i += 3) {
    original.emplace(key(i), i);
    expected.emplace(key(i), i);
  }
  SmallMap grown = original, shrunk = original;
  Expected grown_expected = expected, shrunk_expected = expected;
  for (int i = 1; i < 3000; ++i) {  // triples each chunk: chunks and segments split
    if (i % 3 == 0) continue;
    grown.emplace(key(i), -i);
    grown_expected.emplace(key(i), -i);
  }
  for (int i = 200; i < 2800; ++i) {  // empties chunks: their segments merge or go
    shrunk.erase(key(i));
    shrunk_expected.erase(key(i));
  }
  for (auto& [k, v] : grown) v += 1;  // a non-const walk detaches what it enters
  for (auto& [k, v] : grown_expected) v += 1;
  EXPECT_EQ(entries_of(original), entries(expected));
  EXPECT_EQ(entries_of(grown), entries(grown_expected));
  EXPECT_EQ(entries_of(shrunk), entries(shrunk_expected));
  EXPECT_GT(grown.segment_count(), original.segment_count());
  EXPECT_LT(shrunk.segment_count(), original.segment_count());
  EXPECT_EQ(shared_diff(grown, shrunk), full_diff(grown_expected, shrunk_expected));
  EXPECT_EQ(shared_diff(shrunk, original), full_diff(shrunk_expected, expected));
}

TEST(ResourceMapSegmentsTest, SegmentsLeftSmallByErasesMergeWithANeighbour) {
  auto [map, expected] = shuffled(10000, 24);
  const size_t segments = map.segment_count();
  ASSERT_GT(segments, 4u);
  for (int i = 40; i < 9960; ++i) map.erase(key(i));  // keeps the first and last 40
  EXPECT_EQ(map.size(), 80u);
  // A few chunks: the two edge segments, each left with fewer than kSegmentMax / 4, merged.
  EXPECT_EQ(map.segment_count(), 1u) << map.chunk_count() << " chunks";
  EXPECT_EQ(map.begin()->first, key(0));
  EXPECT_EQ(std::prev(map.end())->first, key(9999));
  EXPECT_EQ(erase_if(map, [](const auto& entry) { return entry.second % 2 == 0; }), 40u);
  EXPECT_EQ(map.size(), 40u);
}

}  // namespace
}  // namespace openvpc::testing
