// token_bucket.h — a rate limiter with the time passed in (no clock reads), for packets or bytes.
//
// The bucket holds up to `burst` tokens (by default one second of traffic) and refills
// continuously at `rate` tokens per second; a take() of `cost` tokens passes when that many are
// there. One type serves every limit: a packet costs 1 (or the packets a GSO super-frame stands
// for) against a packets-per-second bucket, and its byte length against a bytes-per-second one.
// Arithmetic is integer, in nano-tokens, so the result never depends on floating-point
// rounding; rate and burst are at most kMaxRate (larger values are clamped), which keeps every
// product in 64 bits. Time is nanoseconds on any monotonic scale; a time earlier than the last
// one refills nothing. The first call starts full. No allocation, lock or syscall.
#pragma once

#include <algorithm>
#include <cstdint>

namespace openvpc::dataplane {

class TokenBucket {
 public:
  // 18e9 tokens (144 Gbit/s in bytes) times 1e9 nano-tokens still fits in 64 bits.
  static constexpr uint64_t kMaxRate = 18'000'000'000;

  TokenBucket() = default;  // rate 0: every take() fails
  explicit TokenBucket(uint64_t rate_per_second) : TokenBucket(rate_per_second, rate_per_second) {}
  TokenBucket(uint64_t rate_per_second, uint64_t burst)
      : rate_(std::min(rate_per_second, kMaxRate)),
        capacity_(std::min(burst, kMaxRate) * kNanosPerSecond) {}

  // Takes `cost` tokens; false when fewer are left (the packet is over the limit), and then
  // nothing is taken.
  bool take(uint64_t now_ns, uint64_t cost = 1) {
    refill(now_ns);
    if (!covers(cost)) return false;
    spend(cost);
    return true;
  }

  // The three steps of take(), for a caller that checks several buckets before it spends in
  // any (a packet dropped by one limit must not use up another).
  void refill(uint64_t now_ns) {
    if (!started_) {
      started_ = true;
      tokens_ = capacity_;
      last_ns_ = now_ns;
    } else if (now_ns > last_ns_) {
      // A full second refills any bucket (burst <= rate) and keeps the product in 64 bits; a
      // larger burst refills over several calls of a second each.
      const uint64_t elapsed = std::min<uint64_t>(now_ns - last_ns_, kNanosPerSecond);
      const uint64_t added = elapsed * rate_;
      tokens_ = capacity_ - tokens_ <= added ? capacity_ : tokens_ + added;
      last_ns_ = now_ns;
    }
  }
  bool covers(uint64_t cost) const { return cost <= kMaxRate && tokens_ >= cost * kNanosPerSecond; }
  void spend(uint64_t cost) { tokens_ -= cost * kNanosPerSecond; }

  uint64_t rate() const { return rate_; }

 private:
  static constexpr uint64_t kNanosPerSecond = 1'000'000'000;
  uint64_t rate_ = 0;
  uint64_t capacity_ = 0;
  uint64_t tokens_ = 0;
  uint64_t last_ns_ = 0;
  bool started_ = false;
};

}  // namespace openvpc::dataplane
