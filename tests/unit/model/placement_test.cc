#include "model/placement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace openvpc::testing {
namespace {

std::vector<std::string> nodes(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("hp-" + std::to_string(i));
  return out;
}

// The share of resource pairs whose shards have 0, 1, ... nodes in common.
std::vector<double> overlap_distribution(int n, int k, int resources) {
  std::vector<std::set<std::string>> shards;
  for (int r = 0; r < resources; ++r) {
    auto shard = model::place_shard("nat-" + std::to_string(r), {}, nodes(n), k);
    shards.emplace_back(shard.begin(), shard.end());
  }
  std::vector<double> counts(static_cast<size_t>(k) + 1, 0);
  double pairs = 0;
  for (size_t a = 0; a < shards.size(); ++a) {
    for (size_t b = a + 1; b < shards.size(); ++b) {
      size_t common = 0;
      for (const auto& node : shards[a]) common += shards[b].count(node);
      counts[common] += 1;
      pairs += 1;
    }
  }
  for (auto& c : counts) c = 100.0 * c / pairs;
  return counts;
}

TEST(PlacementTest, ShardsAreKDistinctLiveNodesAndStable) {
  auto live = nodes(8);
  auto shard = model::place_shard("nat-0abc", {}, live, 3);
  ASSERT_EQ(shard.size(), 3u);
  EXPECT_EQ(std::set<std::string>(shard.begin(), shard.end()).size(), 3u);
  for (const auto& node : shard) EXPECT_NE(std::find(live.begin(), live.end(), node), live.end());
  EXPECT_EQ(model::place_shard("nat-0abc", {}, live, 3), shard);          // deterministic
  EXPECT_EQ(model::place_shard("nat-0abc", shard, live, 3), shard);       // a no-op when all live
  EXPECT_EQ(model::place_shard("nat-0abc", {}, nodes(2), 3).size(), 2u);  // fewer nodes than k
  EXPECT_TRUE(model::place_shard("nat-0abc", {}, {}, 3).empty());
}

// The seed's numbers: 8 nodes, shard of 3 -> 17.9/53.6/26.8/1.8 % of tenant pairs share
// 0/1/2/3 nodes (hypergeometric); 100 nodes, shard of 5 -> 77.0/21.2/1.8/0.06 %.
TEST(PlacementTest, OverlapDistributionMatchesShuffleSharding) {
  auto small = overlap_distribution(8, 3, 1500);  // ~1.1 M pairs
  const std::array<double, 4> expected_small{17.86, 53.57, 26.79, 1.79};
  for (size_t j = 0; j < expected_small.size(); ++j) {
    EXPECT_NEAR(small[j], expected_small[j], 1.0) << "overlap " << j;
  }
  auto large = overlap_distribution(100, 5, 2000);  // ~2 M pairs
  const std::array<double, 4> expected_large{76.96, 21.24, 1.75, 0.06};
  for (size_t j = 0; j < expected_large.size(); ++j) {
    EXPECT_NEAR(large[j], expected_large[j], j < 2 ? 1.0 : 0.3) << "overlap " << j;
  }
  EXPECT_LT(large[4] + large[5], 0.01);
}

// A node's loss re-places only the shards it was in, and only its slot in each.
TEST(PlacementTest, NodeLossTouchesOnlyItsShards) {
  auto live = nodes(8);
  std::map<std::string, std::vector<std::string>> before;
  for (int r = 0; r < 500; ++r) {
    std::string id = "nat-" + std::to_string(r);
    before[id] = model::place_shard(id, {}, live, 3);
  }
  const std::string dead = "hp-3";
  auto survivors = live;
  std::erase(survivors, dead);
  int touched = 0;
  for (const auto& [id, shard] : before) {
    auto after = model::place_shard(id, shard, survivors, 3);
    ASSERT_EQ(after.size(), 3u);
    auto slot = std::find(shard.begin(), shard.end(), dead);
    if (slot == shard.end()) {
      EXPECT_EQ(after, shard) << id;
      continue;
    }
    ++touched;
    for (size_t i = 0; i < shard.size(); ++i) {
      if (shard[i] == dead) {
        EXPECT_NE(after[i], dead);
        EXPECT_EQ(std::count(shard.begin(), shard.end(), after[i]), 0);
      } else {
        EXPECT_EQ(after[i], shard[i]) << id << " slot " << i;
      }
    }
  }
  EXPECT_NEAR(touched, 500 * 3 / 8, 40);  // each node is in ~k/N of the shards
  // Back again: the rejoined node is not forced into shards that were refilled.
  for (const auto& [id, shard] : before) {
    auto refilled = model::place_shard(id, shard, survivors, 3);
    EXPECT_EQ(model::place_shard(id, refilled, live, 3), refilled);
  }
}

// With no spare node a dead node keeps its slot (down) instead of the shard shrinking, which
// would re-slice every address's port space; back again, it serves the same slot.
TEST(PlacementTest, ShardNeverShrinks) {
  auto live = nodes(3);
  auto shard = model::place_shard("nat-0abc", {}, live, 3);
  ASSERT_EQ(shard.size(), 3u);
  auto survivors = live;
  std::erase(survivors, shard[1]);
  EXPECT_EQ(model::place_shard("nat-0abc", shard, survivors, 3), shard);
  EXPECT_EQ(model::place_shard("nat-0abc", shard, live, 3), shard);
  // A spare node takes the dead slot; the others stay.
  auto grown = survivors;
  grown.push_back("hp-9");
  auto refilled = model::place_shard("nat-0abc", shard, grown, 3);
  EXPECT_EQ(refilled[0], shard[0]);
  EXPECT_EQ(refilled[1], "hp-9");
  EXPECT_EQ(refilled[2], shard[2]);
  // A shard placed on fewer nodes than k grows as nodes come, keeping its slots.
  auto small = model::place_shard("nat-0abc", {}, nodes(1), 3);
  ASSERT_EQ(small.size(), 1u);
  auto bigger = model::place_shard("nat-0abc", small, live, 3);
  ASSERT_EQ(bigger.size(), 3u);
  EXPECT_EQ(bigger[0], small[0]);
}

}  // namespace
}  // namespace openvpc::testing
