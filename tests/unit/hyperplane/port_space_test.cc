#include "hyperplane/port_space.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace openvpc::hyperplane {
namespace {

TEST(PortSpaceTest, SlotRangesPartitionThePortsAndCapsSumTo55000) {
  for (int slots : {1, 2, 3, 5, 8}) {
    uint32_t next = kFirstNatPort, caps = 0;
    for (int slot = 0; slot < slots; ++slot) {
      PortRange range = slot_range(slot, slots);
      EXPECT_EQ(range.first, next) << slots << "/" << slot;
      EXPECT_LE(range.count, kNatPorts / slots + 1);
      EXPECT_EQ(slot_of_port(range.first, slots), slot);
      EXPECT_EQ(slot_of_port(range.first + range.count - 1, slots), slot);
      next = range.first + range.count;
      caps += slot_cap(slot, slots);
    }
    EXPECT_EQ(next, 65536u);
    EXPECT_EQ(caps, kMaxConnectionsPerDestination);
  }
  EXPECT_EQ(slot_of_port(1023, 3), -1);
  EXPECT_EQ(slot_range(3, 3).count, 0u);
  // The senders' closed form (dataplane::nat_port_slot) agrees with the ranges on every port.
  for (int slots : {1, 2, 3, 7, 8, 100}) {
    for (int slot = 0; slot < slots; ++slot) {
      const PortRange range = slot_range(slot, slots);
      for (uint32_t port = range.first; port < range.first + range.count; ++port) {
        ASSERT_EQ(slot_of_port(port, slots), slot) << port << " " << slots;
      }
    }
  }
  // A lowered cap (the node's --max-connections-per-destination) is shared the same way.
  EXPECT_EQ(slot_cap(0, 3, 600) + slot_cap(1, 3, 600) + slot_cap(2, 3, 600), 600u);
  EXPECT_EQ(slot_cap(0, 3, 601), 201u);
  EXPECT_EQ(slot_cap(2, 3, 601), 200u);
}

// One destination: exactly the slot's share of 55,000, distinct ports inside its range, then
// refusals; releasing one port lets one more in; another destination is independent.
TEST(PortSpaceTest, AllocatorStopsAtTheCapWithDistinctPorts) {
  const PortRange range = slot_range(1, 3);
  const uint32_t cap = slot_cap(1, 3);
  PortAllocator ports(range, cap, 40'000, 1024);
  const Destination server{0x0a000104, 0xc0000202, 80, 6};
  std::set<uint16_t> seen;
  for (uint32_t i = 0; i < cap; ++i) {
    auto port = ports.allocate(server, i * 2654435761u);
    ASSERT_TRUE(port.has_value()) << i;
    EXPECT_TRUE(range.contains(*port));
    EXPECT_TRUE(seen.insert(*port).second) << *port;
  }
  EXPECT_EQ(ports.in_use(server), cap);
  EXPECT_FALSE(ports.allocate(server, 7).has_value());  // ErrorPortAllocation
  EXPECT_TRUE(ports.release(server, *seen.begin()));
  EXPECT_FALSE(ports.release(server, *seen.begin()));
  EXPECT_EQ(ports.allocate(server, 0), *seen.begin());  // the only free port under the cap
  const Destination other{0x0a000104, 0xc0000202, 443, 6};
  EXPECT_TRUE(ports.allocate(other, 0).has_value());
  EXPECT_EQ(ports.in_use(other), 1u);
  EXPECT_FALSE(ports.claim(other, static_cast<uint16_t>(range.first - 1)));  // another slot's
}

// Random allocate/claim/release against a std::set model: the open-addressing tables (with
// backward-shift deletion) never lose or duplicate an entry.
TEST(PortSpaceTest, AllocatorMatchesAModelUnderChurn) {
  const PortRange range{20'000, 200};
  PortAllocator ports(range, 150, 1000, 16);
  std::map<std::pair<int, uint16_t>, bool> model;  // (destination index, port)
  std::map<int, uint32_t> counts;
  std::mt19937 random(7);
  auto destination = [](int d) {
    return Destination{1, static_cast<uint32_t>(100 + d), static_cast<uint16_t>(d), 17};
  };
  for (int step = 0; step < 200'000; ++step) {
    const int d = static_cast<int>(random() % 6);
    if (random() % 3 != 0) {
      auto port = ports.allocate(destination(d), random());
      const bool room = counts[d] < 150 && model.size() < 1000;
      ASSERT_EQ(port.has_value(), room) << step;
      if (port) {
        ASSERT_TRUE(model.emplace(std::pair{d, *port}, true).second) << step;
        ++counts[d];
      }
    } else {
      const auto port = static_cast<uint16_t>(range.first + random() % range.count);
      const bool present = model.erase({d, port}) > 0;
      ASSERT_EQ(ports.release(destination(d), port), present) << step;
      if (present) --counts[d];
    }
    if (step % 997 == 0) {
      for (int i = 0; i < 6; ++i) ASSERT_EQ(ports.in_use(destination(i)), counts[i]);
      ASSERT_EQ(ports.flows(), model.size());
    }
  }
}

}  // namespace
}  // namespace openvpc::hyperplane
