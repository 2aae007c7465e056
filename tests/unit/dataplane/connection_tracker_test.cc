#include "dataplane/conntrack/connection_tracker.h"

#include <gtest/gtest.h>

#include "packet/builder.h"
#include "program/cidr.h"

namespace openvpc::dataplane {
namespace {

using program::address_literal;

packet::PacketMeta udp(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  return packet::parse_ip(
      packet::build_udp({address_literal(src), address_literal(dst)}, {sport, dport}));
}

TEST(ConnectionKey, CanonicalForBothDirections) {
  const auto a = udp("10.0.1.5", 4000, "10.0.2.7", 53);
  const auto b = udp("10.0.2.7", 53, "10.0.1.5", 4000);
  EXPECT_EQ(ConnectionKey::of(1, a.tuple), ConnectionKey::of(1, b.tuple));
  EXPECT_EQ(ConnectionKey::of(1, a.tuple).hash(), ConnectionKey::of(1, b.tuple).hash());
  EXPECT_FALSE(ConnectionKey::of(1, a.tuple) == ConnectionKey::of(2, a.tuple));
}

TEST(ConnectionTracker, FindsTheConnectionFromEitherSideOfItsOwnEniOnly) {
  ConnectionTracker tracker(64);
  const auto out = udp("10.0.1.5", 4000, "10.0.2.7", 53);
  const auto back = udp("10.0.2.7", 53, "10.0.1.5", 4000);
  EXPECT_FALSE(tracker.find(1, out.tuple, 100).valid());
  const ConnectionRef ref = tracker.create(1, out, 100);
  EXPECT_TRUE(tracker.alive(ref, 100));
  EXPECT_TRUE(tracker.find(1, back.tuple, 100).valid());
  EXPECT_FALSE(tracker.find(2, back.tuple, 100).valid());
  EXPECT_EQ(tracker.count(), 1u);
}

TEST(ConnectionTracker, ExpiresAndIsRecreatedWithANewIncarnation) {
  ConnectionTracker tracker(64);
  const auto out = udp("10.0.1.5", 4000, "10.0.2.7", 53);
  const ConnectionRef first = tracker.create(1, out, 100);
  EXPECT_TRUE(tracker.update(first, out, 110));
  EXPECT_FALSE(tracker.alive(first, 110 + 31));
  EXPECT_FALSE(tracker.find(1, out.tuple, 141).valid());
  const ConnectionRef second = tracker.create(1, out, 141);
  EXPECT_EQ(second.slot, first.slot);
  EXPECT_NE(second.incarnation, first.incarnation);
  EXPECT_FALSE(tracker.alive(first, 141));
  EXPECT_EQ(tracker.get(first), nullptr);
  EXPECT_NE(tracker.get(second), nullptr);
}

TEST(ConnectionTracker, CreateOnALiveConnectionReturnsIt) {
  ConnectionTracker tracker(64);
  const auto out = udp("10.0.1.5", 4000, "10.0.2.7", 53);
  const ConnectionRef a = tracker.create(1, out, 100);
  const ConnectionRef b = tracker.create(1, udp("10.0.2.7", 53, "10.0.1.5", 4000), 101);
  EXPECT_EQ(a.slot, b.slot);
  EXPECT_EQ(a.incarnation, b.incarnation);
}

TEST(ConnectionTracker, EvictionMakesOldRefsDead) {
  ConnectionTracker tracker(8);  // one bucket
  std::vector<ConnectionRef> refs;
  for (uint16_t port = 1; port <= 9; ++port) {
    refs.push_back(tracker.create(1, udp("10.0.1.5", port, "10.0.2.7", 53), 100 + port));
  }
  EXPECT_FALSE(tracker.alive(refs[0], 110));  // the oldest was replaced
  EXPECT_TRUE(tracker.alive(refs[8], 110));
  EXPECT_EQ(tracker.count(), 8u);
}

}  // namespace
}  // namespace openvpc::dataplane
