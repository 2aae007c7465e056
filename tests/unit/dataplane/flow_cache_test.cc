#include "dataplane/flow_cache.h"

#include <gtest/gtest.h>

#include "program/cidr.h"

namespace openvpc::dataplane {
namespace {

packet::FiveTuple tuple(uint16_t sport) {
  packet::FiveTuple t;
  t.src = program::address_literal("10.0.1.5");
  t.dst = program::address_literal("10.0.1.6");
  t.src_port = sport;
  t.dst_port = 22;
  t.protocol = 6;
  t.ip_version = 4;
  return t;
}

TEST(FlowKey, EveryFieldTakesPart) {
  const FlowKey base = FlowKey::from_underlay(1, 2, 3, 4, tuple(100));
  EXPECT_EQ(base, FlowKey::from_underlay(1, 2, 3, 4, tuple(100)));
  EXPECT_EQ(base.hash(), FlowKey::from_underlay(1, 2, 3, 4, tuple(100)).hash());
  const FlowKey different[] = {FlowKey::from_underlay(9, 2, 3, 4, tuple(100)),
                               FlowKey::from_underlay(1, 9, 3, 4, tuple(100)),
                               FlowKey::from_underlay(1, 2, 9, 4, tuple(100)),
                               FlowKey::from_underlay(1, 2, 3, 9, tuple(100)),
                               FlowKey::from_underlay(1, 2, 3, 4, tuple(101)),
                               FlowKey::from_eni(1, tuple(100))};
  for (const auto& key : different) {
    EXPECT_FALSE(key == base);
    EXPECT_NE(key.hash(), base.hash());
  }
  EXPECT_FALSE(FlowKey::from_eni(1, tuple(100)) == FlowKey::from_eni(2, tuple(100)));
}

TEST(FlowCache, HoldsEntriesByKey) {
  FlowCache cache(1024);
  const FlowKey key = FlowKey::from_eni(101, tuple(5));
  auto inserted = cache.insert(key, key.hash(), 1);
  cache.at(inserted.slot).value.action.out_id = 102;
  const uint32_t slot = cache.find(key, key.hash());
  ASSERT_NE(slot, kInvalidSlot);
  EXPECT_EQ(cache.at(slot).value.action.out_id, 102u);
  const FlowKey other = FlowKey::from_eni(101, tuple(6));
  EXPECT_EQ(cache.find(other, other.hash()), kInvalidSlot);
  EXPECT_EQ(sizeof(FlowEntry) % 8, 0u);
}

}  // namespace
}  // namespace openvpc::dataplane
