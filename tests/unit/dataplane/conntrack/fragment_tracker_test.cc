// Fragment series: in order, out of order (held, then released), orphaned, overlapping,
// oversized, too many, and a rejected first fragment — IPv4 and IPv6.
#include "dataplane/conntrack/fragment_tracker.h"

#include <gtest/gtest.h>

#include <array>

#include "packets.h"

namespace openvpc::conntrack {
namespace {

using Action = FragmentTracker::Action;
using testing::Endpoints;

// A fragment of UDP datagram `id`: `size` bytes at byte `offset` of the datagram.
std::vector<uint8_t> fragment(bool v6, uint16_t id, uint16_t offset, uint16_t size, bool more) {
  const Endpoints e = v6 ? Endpoints::v6() : Endpoints::v4();
  packet::IpSpec ip = testing::ip_from(e, true);
  ip.id = id, ip.fragment_offset = offset, ip.more_fragments = more;
  std::vector<uint8_t> l4(size, 0x63);
  if (offset == 0) {  // a UDP header: ports 50000 -> 53
    l4[0] = 0xc3, l4[1] = 0x50, l4[2] = 0, l4[3] = 53, l4[4] = 0x10, l4[5] = 0, l4[6] = 0,
    l4[7] = 0;
  }
  return packet::build_ip(ip, packet::kProtoUdp, l4);
}

struct Frag {
  uint16_t offset, size;
  bool more;
  Action action;
  DropReason reason = DropReason::none;
};

struct Case {
  const char* name;
  std::vector<Frag> fragments;
  size_t released_accepted;  // held fragments handed back accepted by settle()
};

const std::vector<Case> kCases = {
    {"in_order",
     {{0, 1480, true, Action::track},
      {1480, 1480, true, Action::accept},
      {2960, 100, false, Action::accept}},
     0},
    {"out_of_order_held_then_released",
     {{1480, 1480, true, Action::hold},
      {2960, 100, false, Action::hold},
      {0, 1480, true, Action::track}},
     2},
    {"overlap",
     {{0, 1480, true, Action::track},
      {1000, 1480, true, Action::drop, DropReason::fragment_overlap},
      {2480, 8, false, Action::drop, DropReason::fragment_rejected}},
     0},
    {"duplicate",
     {{0, 1480, true, Action::track}, {0, 1480, true, Action::drop, DropReason::fragment_overlap}},
     0},
    {"past_65535",
     {{0, 1480, true, Action::track},
      {65000, 1000, false, Action::drop, DropReason::fragment_oversized}},
     0},
    {"past_the_last_fragment",
     {{0, 16, true, Action::track},
      {16, 16, false, Action::accept},
      {64, 16, true, Action::drop, DropReason::fragment_oversized}},
     0},
    {"too_many",
     {{0, 8, true, Action::track},
      {8, 8, true, Action::accept},
      {16, 8, true, Action::accept},
      {24, 8, true, Action::accept},
      {32, 8, true, Action::drop, DropReason::fragment_too_many}},
     0},
};

class FragmentSeries : public ::testing::TestWithParam<std::tuple<Case, bool>> {};

TEST_P(FragmentSeries, EachFragmentGetsItsDecision) {
  const auto& [c, v6] = GetParam();
  FragmentTracker::Limits limits;
  limits.max_fragments = 4;
  FragmentTracker tracker(limits);
  std::array<FragmentTracker::Release, 64> released{};
  size_t accepted = 0;
  for (size_t i = 0; i < c.fragments.size(); ++i) {
    const Frag& f = c.fragments[i];
    const auto bytes = fragment(v6, 7, f.offset, f.size, f.more);
    const auto meta = testing::parsed(bytes);
    const auto d = tracker.admit(0, meta, bytes, i, 100);
    EXPECT_EQ(d.action, f.action) << c.name << " fragment " << i;
    EXPECT_EQ(d.reason, f.reason) << c.name << " fragment " << i << " " << to_string(d.reason);
    if (d.action == Action::track) {
      const size_t n = tracker.settle(0, meta, true, released);
      for (size_t k = 0; k < n; ++k) accepted += released[k].accepted;
    }
  }
  EXPECT_EQ(accepted, c.released_accepted) << c.name;
  EXPECT_EQ(tracker.held_count(), 0u) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Table, FragmentSeries,
                         ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) ? "_v6" : "_v4");
                         });

TEST(FragmentTracker, OrphanIsDroppedAfterTheHoldTimeout) {
  for (bool v6 : {false, true}) {
    FragmentTracker tracker({});
    std::array<FragmentTracker::Release, 64> out{};
    const auto bytes = fragment(v6, 9, 1480, 100, false);
    ASSERT_EQ(tracker.admit(0, testing::parsed(bytes), bytes, 42, 100).action, Action::hold);
    EXPECT_EQ(tracker.expire(101, out), 0u);  // hold_timeout is 2 s
    ASSERT_EQ(tracker.expire(102, out), 1u);
    EXPECT_EQ(out[0].handle, 42u);
    EXPECT_FALSE(out[0].accepted);
    EXPECT_EQ(out[0].reason, DropReason::fragment_orphan);
  }
}

TEST(FragmentTracker, RejectedFirstFragmentTakesItsDatagramAlong) {
  FragmentTracker tracker({});
  std::array<FragmentTracker::Release, 64> out{};
  const auto later = fragment(false, 3, 1480, 100, false);
  ASSERT_EQ(tracker.admit(0, testing::parsed(later), later, 1, 0).action, Action::hold);
  const auto first = fragment(false, 3, 0, 1480, true);
  const auto meta = testing::parsed(first);
  ASSERT_EQ(tracker.admit(0, meta, first, 2, 0).action, Action::track);
  ASSERT_EQ(tracker.settle(0, meta, /*accepted=*/false, out), 1u);
  EXPECT_EQ(out[0].reason, DropReason::fragment_rejected);
}

TEST(FragmentTracker, HoldBufferIsBounded) {
  FragmentTracker::Limits limits;
  limits.held = 2;
  FragmentTracker tracker(limits);
  for (uint16_t id = 0; id < 3; ++id) {
    const auto bytes = fragment(false, id, 8, 8, false);
    const auto d = tracker.admit(0, testing::parsed(bytes), bytes, id, 0);
    EXPECT_EQ(d.action, id < 2 ? Action::hold : Action::drop);
    if (id == 2) {
      EXPECT_EQ(d.reason, DropReason::fragment_hold_full);
    }
  }
}

TEST(FragmentTracker, EachEniHoldsAtMostItsShare) {
  FragmentTracker::Limits limits;
  limits.held = 8;
  limits.held_per_eni = 3;
  limits.eni_count = 4;
  FragmentTracker tracker(limits);
  for (uint16_t id = 0; id < 10; ++id) {  // ENI 0 floods later fragments
    const auto bytes = fragment(false, id, 8, 8, false);
    const auto d = tracker.admit(0, testing::parsed(bytes), bytes, id, 0);
    EXPECT_EQ(d.action, id < 3 ? Action::hold : Action::drop) << id;
    if (id >= 3) {
      EXPECT_EQ(d.reason, DropReason::fragment_hold_eni_full) << id;
    }
  }
  EXPECT_EQ(tracker.held_count(0), 3u);
  EXPECT_EQ(tracker.series_count(), 3u);  // the dropped ones started no series
  for (uint16_t id = 0; id < 3; ++id) {   // ENI 1 still holds its own
    const auto bytes = fragment(false, id, 8, 8, false);
    EXPECT_EQ(tracker.admit(1, testing::parsed(bytes), bytes, 100 + id, 0).action, Action::hold);
  }
  EXPECT_EQ(tracker.held_count(1), 3u);
  EXPECT_EQ(tracker.held_count(), 6u);
  // Expired holds give the share back and forget their series (no first fragment came).
  std::array<FragmentTracker::Release, 64> out{};
  EXPECT_EQ(tracker.expire(2, out), 6u);
  EXPECT_EQ(tracker.held_count(0), 0u);
  EXPECT_EQ(tracker.series_count(), 0u);
  const auto bytes = fragment(false, 50, 8, 8, false);
  EXPECT_EQ(tracker.admit(0, testing::parsed(bytes), bytes, 50, 2).action, Action::hold);
}

// A fragment refused for want of room is not recorded: sent again later, it is held.
TEST(FragmentTracker, AFragmentWithoutRoomIsNotRecorded) {
  FragmentTracker::Limits limits;
  limits.held_per_eni = 1;
  FragmentTracker tracker(limits);
  const auto a = fragment(false, 7, 8, 8, true);
  const auto b = fragment(false, 7, 16, 8, false);
  ASSERT_EQ(tracker.admit(0, testing::parsed(a), a, 1, 0).action, Action::hold);
  EXPECT_EQ(tracker.admit(0, testing::parsed(b), b, 2, 0).reason,
            DropReason::fragment_hold_eni_full);
  const auto first = fragment(false, 7, 0, 8, true);
  ASSERT_EQ(tracker.admit(0, testing::parsed(first), first, 3, 0).action, Action::track);
  std::array<FragmentTracker::Release, 64> out{};
  ASSERT_EQ(tracker.settle(0, testing::parsed(first), true, out), 1u);
  EXPECT_EQ(tracker.admit(0, testing::parsed(b), b, 2, 0).action, Action::accept);  // no overlap
}

TEST(FragmentTracker, DataSizeIsTheFragmentablePart) {
  for (bool v6 : {false, true}) {
    const auto bytes = fragment(v6, 1, 1480, 123, false);
    EXPECT_EQ(fragment_data_size(testing::parsed(bytes), bytes), 123);
  }
}

}  // namespace
}  // namespace openvpc::conntrack
