// codel_test.cc — CoDel's state machine (codel.h) against RFC 8289's description: nothing is
// dropped while packets leave within the target, or above it for less than an interval; the
// first drop comes an interval after the sojourn time went above the target, the n-th next one
// interval / sqrt(n) after it; one packet within the target ends the dropping state, and dropping
// again soon after starts near the rate that was working; a backlog of one largest packet is
// never judged above the target.
#include "dataplane/codel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace openvpc::dataplane {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kStart = 1000 * kMs;

// A packet leaves every millisecond from `from` to `to` (ms after kStart), each after waiting
// sojourn_ms; the times (ms after kStart) CoDel drops one.
std::vector<uint64_t> leave(CodelFlow& flow, uint64_t from, uint64_t to, uint64_t sojourn_ms,
                            bool small_backlog = false) {
  const CodelSettings settings;
  std::vector<uint64_t> drops;
  for (uint64_t ms = from; ms < to; ++ms) {
    if (codel_drops(flow, settings, kStart + ms * kMs, sojourn_ms * kMs, small_backlog)) {
      drops.push_back(ms);
    }
  }
  return drops;
}

TEST(Codel, WithinTheTargetNothingIsDropped) {
  CodelFlow flow;
  EXPECT_TRUE(leave(flow, 0, 2000, 4).empty());
  EXPECT_FALSE(flow.dropping);
}

TEST(Codel, AboveTheTargetForLessThanAnIntervalNothingIsDropped) {
  CodelFlow flow;
  EXPECT_TRUE(leave(flow, 0, 100, 50).empty());   // above from 0: judged at 100 at the earliest
  EXPECT_TRUE(leave(flow, 100, 200, 3).empty());  // back within: the clock starts again
  EXPECT_TRUE(leave(flow, 200, 299, 50).empty());
}

TEST(Codel, DropsAnIntervalAfterGoingAboveThenAtIntervalOverSqrtCount) {
  CodelFlow flow;
  const std::vector<uint64_t> drops = leave(flow, 0, 1000, 50);
  ASSERT_GE(drops.size(), 6u);
  EXPECT_EQ(drops[0], 100u);  // first above at 0, an interval later
  // After the n-th drop the next comes 100 ms / sqrt(n) later (100, 70.7, 57.7, ... ms), to
  // the millisecond the packets leave at.
  for (size_t i = 1; i < drops.size(); ++i) {
    const double gap = 100.0 / std::sqrt(double(i));
    EXPECT_NEAR(double(drops[i] - drops[i - 1]), gap, 1.0) << i;
  }
  EXPECT_TRUE(flow.dropping);
}

TEST(Codel, OnePacketWithinTheTargetEndsDroppingAndARestartKeepsTheRate) {
  CodelFlow flow;
  const size_t first_run = leave(flow, 0, 600, 50).size();
  ASSERT_GE(first_run, 4u);
  EXPECT_TRUE(leave(flow, 600, 601, 1).empty());
  EXPECT_FALSE(flow.dropping);
  // Above again soon after: the first drop an interval later, the next one closer than the
  // interval / sqrt(2) of a fresh start (count goes on from the last run's drops).
  const std::vector<uint64_t> again = leave(flow, 601, 900, 50);
  ASSERT_GE(again.size(), 2u);
  EXPECT_EQ(again[0], 701u);
  EXPECT_LT(again[1] - again[0], 70u);
}

TEST(Codel, ABacklogOfOneLargestPacketIsNeverAboveTheTarget) {
  CodelFlow flow;
  EXPECT_TRUE(leave(flow, 0, 2000, 50, true).empty());
}

}  // namespace
}  // namespace openvpc::dataplane
