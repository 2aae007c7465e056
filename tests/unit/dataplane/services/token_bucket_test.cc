// token_bucket_test.cc — the limiter with an injected clock.
#include "dataplane/services/token_bucket.h"

#include <gtest/gtest.h>

namespace openvpc::dataplane::services {
namespace {

int take_all(TokenBucket& bucket, uint64_t now_ns) {
  int taken = 0;
  while (bucket.take(now_ns)) ++taken;
  return taken;
}

TEST(TokenBucket, BurstIsOneSecondThenRefillsAtRate) {
  TokenBucket bucket(10);
  EXPECT_EQ(take_all(bucket, 1000), 10);
  EXPECT_EQ(take_all(bucket, 1000 + 100'000'000), 1);       // 0.1 s: one token
  EXPECT_EQ(take_all(bucket, 1000 + 350'000'000), 2);       // 0.25 s more: 2.5 tokens
  EXPECT_EQ(take_all(bucket, 1000 + 400'000'000), 1);       // the half token carried over
  EXPECT_EQ(take_all(bucket, 1000 + 100'000'000'000), 10);  // capped at the burst
}

TEST(TokenBucket, TimeGoingBackwardsRefillsNothing) {
  TokenBucket bucket(2);
  EXPECT_EQ(take_all(bucket, 5'000'000'000), 2);
  EXPECT_EQ(take_all(bucket, 1'000'000'000), 0);
  EXPECT_EQ(take_all(bucket, 5'500'000'000), 1);
}

TEST(TokenBucket, ZeroRateNeverPasses) {
  TokenBucket bucket;
  EXPECT_FALSE(bucket.take(0));
  EXPECT_FALSE(bucket.take(10'000'000'000));
}

}  // namespace
}  // namespace openvpc::dataplane::services
