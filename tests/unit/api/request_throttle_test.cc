// RequestThrottle: EC2's token buckets per (account, action), on a clock the test moves.
#include "api/request_throttle.h"

#include <gtest/gtest.h>

namespace openvpc::api {
namespace {

using std::chrono::milliseconds;

class RequestThrottleTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now_{};
  RequestThrottle::Clock clock() {
    return [this] { return now_; };
  }
  static int admitted(RequestThrottle& throttle, const std::string& account,
                      std::string_view action, int tries) {
    int ok = 0;
    for (int i = 0; i < tries; ++i) ok += throttle.admit(account, action);
    return ok;
  }
};

TEST_F(RequestThrottleTest, ClassesFollowTheActionName) {
  EXPECT_EQ(action_class("DescribeVpcs"), ActionClass::non_mutating);
  EXPECT_EQ(action_class("GetConsoleOutput"), ActionClass::non_mutating);
  EXPECT_EQ(action_class("CreateVpc"), ActionClass::mutating);
  EXPECT_EQ(action_class("AuthorizeSecurityGroupIngress"), ActionClass::mutating);
}

TEST_F(RequestThrottleTest, BucketEmptiesThenRefillsAtItsRate) {
  RequestThrottle throttle(*parse_throttle("ec2"), clock());
  EXPECT_EQ(admitted(throttle, "111", "DescribeVpcs", 150), 100);  // capacity
  EXPECT_EQ(throttle.throttled(), 50u);
  now_ += milliseconds(500);  // 20 per second -> 10 tokens
  EXPECT_EQ(admitted(throttle, "111", "DescribeVpcs", 50), 10);
  now_ += std::chrono::seconds(60);  // never above capacity
  EXPECT_EQ(admitted(throttle, "111", "DescribeVpcs", 150), 100);
  EXPECT_EQ(admitted(throttle, "111", "CreateVpc", 80), 50);  // mutating: 50, 5 per second
  now_ += std::chrono::seconds(2);
  EXPECT_EQ(admitted(throttle, "111", "CreateVpc", 80), 10);
}

TEST_F(RequestThrottleTest, AccountsAndActionsHaveTheirOwnBuckets) {
  RequestThrottle throttle(*parse_throttle("non_mutating=3/1"), clock());
  EXPECT_EQ(admitted(throttle, "111", "DescribeVpcs", 10), 3);
  EXPECT_EQ(admitted(throttle, "222", "DescribeVpcs", 10), 3);
  EXPECT_EQ(admitted(throttle, "111", "DescribeSubnets", 10), 3);
  EXPECT_EQ(admitted(throttle, "111", "CreateVpc", 60), 50);  // the default mutating class
}

TEST_F(RequestThrottleTest, OffAdmitsEverything) {
  RequestThrottle throttle(*parse_throttle("off"), clock());
  EXPECT_EQ(admitted(throttle, "111", "DescribeVpcs", 1000), 1000);
  EXPECT_EQ(throttle.throttled(), 0u);
}

TEST_F(RequestThrottleTest, BadSettingsAreErrors) {
  for (const char* bad : {"on", "non_mutating", "non_mutating=5", "non_mutating=x/1",
                          "non_mutating=0/1", "mutating=5/-1", "writes=5/1", "mutating=5/1,"}) {
    EXPECT_FALSE(parse_throttle(bad).ok()) << bad;
  }
  auto options = parse_throttle("mutating=7/0.5");
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->enabled);
  EXPECT_EQ(options->mutating.capacity, 7);
  EXPECT_EQ(options->mutating.refill_per_second, 0.5);
  EXPECT_EQ(options->non_mutating.capacity, 100);
}

}  // namespace
}  // namespace openvpc::api
