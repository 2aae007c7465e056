#include "dataplane/bucket_table.h"

#include <gtest/gtest.h>

namespace openvpc::dataplane {
namespace {

using Table = BucketTable<uint64_t, int>;

TEST(BucketTable, FindInsertErase) {
  Table table(64);
  EXPECT_EQ(table.capacity(), 64u);
  EXPECT_EQ(table.find(7, 7), kInvalidSlot);
  const auto inserted = table.insert(7, 7, 1);
  EXPECT_FALSE(inserted.found);
  table.at(inserted.slot).value = 70;
  EXPECT_EQ(table.find(7, 7), inserted.slot);
  EXPECT_TRUE(table.insert(7, 7, 2).found);
  EXPECT_EQ(table.at(inserted.slot).value, 70);
  EXPECT_EQ(table.count(), 1u);
  table.erase(inserted.slot);
  EXPECT_EQ(table.find(7, 7), kInvalidSlot);
  EXPECT_EQ(table.count(), 0u);
}

TEST(BucketTable, FullBucketEvictsTheLeastRecentlyUsed) {
  Table table(8);  // one bucket: every hash lands in it
  for (uint64_t k = 0; k < 8; ++k) table.insert(k, k << 32, uint32_t(10 + k));
  table.touch(table.find(0, 0), 100);  // key 0 is now the most recent; key 1 the oldest
  const auto r = table.insert(99, uint64_t{99} << 32, 101);
  EXPECT_TRUE(r.evicted);
  EXPECT_EQ(table.find(1, uint64_t{1} << 32), kInvalidSlot);
  EXPECT_NE(table.find(0, 0), kInvalidSlot);
  EXPECT_NE(table.find(99, uint64_t{99} << 32), kInvalidSlot);
  EXPECT_EQ(table.count(), 8u);
}

TEST(BucketTable, SameTagDifferentKeysAreDistinct) {
  Table table(16);
  table.insert(1, 5, 1);
  table.insert(2, 5, 1);
  EXPECT_NE(table.find(1, 5), table.find(2, 5));
  EXPECT_EQ(table.find(3, 5), kInvalidSlot);
}

TEST(BucketTable, CapacityRoundsUpToWholeBuckets) {
  EXPECT_EQ(Table(1).capacity(), 8u);
  EXPECT_EQ(Table(100).capacity(), 128u);
}

}  // namespace
}  // namespace openvpc::dataplane
