// token_bucket.h — a packets-per-second limiter with the time passed in (no clock reads).
//
// The bucket holds up to `rate` tokens (the burst equals one second of traffic) and refills
// continuously at `rate` tokens per second. Arithmetic is integer, in nano-tokens, so the
// result never depends on floating-point rounding. Time is nanoseconds on any monotonic
// scale; a time earlier than the last one refills nothing. The first call starts full.
#pragma once

#include <algorithm>
#include <cstdint>

namespace openvpc::dataplane::services {

class TokenBucket {
 public:
  TokenBucket() = default;  // rate 0: every take() fails
  explicit TokenBucket(uint32_t rate_per_second)
      : rate_(rate_per_second), capacity_(uint64_t{rate_per_second} * kNanosPerSecond) {}

  // Takes one token; false when none is left (the packet is over the limit).
  bool take(uint64_t now_ns) {
    if (!started_) {
      started_ = true;
      tokens_ = capacity_;
      last_ns_ = now_ns;
    } else if (now_ns > last_ns_) {
      // A full second refills the bucket; clamping first keeps the product in 64 bits.
      const uint64_t elapsed = std::min<uint64_t>(now_ns - last_ns_, kNanosPerSecond);
      tokens_ = std::min(capacity_, tokens_ + elapsed * rate_);
      last_ns_ = now_ns;
    }
    if (tokens_ < kNanosPerSecond) return false;
    tokens_ -= kNanosPerSecond;
    return true;
  }

 private:
  static constexpr uint64_t kNanosPerSecond = 1'000'000'000;
  uint64_t rate_ = 0;
  uint64_t capacity_ = 0;
  uint64_t tokens_ = 0;
  uint64_t last_ns_ = 0;
  bool started_ = false;
};

}  // namespace openvpc::dataplane::services
