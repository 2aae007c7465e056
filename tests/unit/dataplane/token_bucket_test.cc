// token_bucket_test.cc — the limiter with an injected clock, counting packets or bytes.
#include "dataplane/token_bucket.h"

#include <gtest/gtest.h>

namespace openvpc::dataplane {
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

TEST(TokenBucket, CostTakesThatManyTokensOrNone) {
  TokenBucket bucket(1000);  // e.g. bytes per second
  EXPECT_TRUE(bucket.take(0, 600));
  EXPECT_FALSE(bucket.take(0, 401));  // 400 left: nothing taken
  EXPECT_TRUE(bucket.take(0, 400));
  EXPECT_FALSE(bucket.take(0, 1));
  EXPECT_TRUE(bucket.take(500'000'000, 500));  // half a second refilled 500
  EXPECT_FALSE(bucket.take(500'000'000, 1));
}

TEST(TokenBucket, BurstSmallerThanTheRate) {
  TokenBucket bucket(1000, 100);  // 100 ms of burst
  EXPECT_EQ(take_all(bucket, 0), 100);
  EXPECT_EQ(take_all(bucket, 10'000'000'000), 100);  // a long pause refills only the burst
  EXPECT_EQ(take_all(bucket, 10'050'000'000), 50);
}

TEST(TokenBucket, CheckSeveralThenSpend) {
  TokenBucket bucket(10);
  bucket.refill(0);
  EXPECT_TRUE(bucket.covers(10));
  EXPECT_FALSE(bucket.covers(11));
  bucket.spend(4);
  EXPECT_FALSE(bucket.covers(7));
  EXPECT_TRUE(bucket.covers(6));
}

TEST(TokenBucket, LargestRateStaysExact) {
  TokenBucket bucket(TokenBucket::kMaxRate * 2);  // clamped, not overflowed
  EXPECT_EQ(bucket.rate(), TokenBucket::kMaxRate);
  EXPECT_TRUE(bucket.take(0, 65536));
  EXPECT_TRUE(bucket.take(0, TokenBucket::kMaxRate - 65536));
  EXPECT_FALSE(bucket.take(0, 1));
  EXPECT_TRUE(bucket.take(1'000'000'000, TokenBucket::kMaxRate));  // one second refills all
}

TEST(TokenBucket, ZeroRateNeverPasses) {
  TokenBucket bucket;
  EXPECT_FALSE(bucket.take(0));
  EXPECT_FALSE(bucket.take(10'000'000'000));
}

}  // namespace
}  // namespace openvpc::dataplane
