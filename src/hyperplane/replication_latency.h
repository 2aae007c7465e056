// replication_latency.h — how long a replicated flow took from its owner to a peer.
//
// Each replication datagram carries the sender's CLOCK_MONOTONIC at send (flow_replication.h);
// a receiver on the same machine (tests, the demo: every node on one host) records now - sent
// into fixed buckets. Between machines the clocks are unrelated and the numbers meaningless,
// so a negative difference is counted apart (`skewed`) rather than recorded. Fixed memory, no
// allocation; p50/p99 are the upper bound of the bucket the quantile falls in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace openvpc::hyperplane {

class ReplicationLatency {
 public:
  // Bucket upper bounds in nanoseconds (the last bucket, +Inf, is implicit).
  static constexpr std::array<uint64_t, 17> kBoundsNs = {
      1'000,      2'500,      5'000,      10'000,      25'000,        50'000,
      100'000,    250'000,    500'000,    1'000'000,   2'500'000,     5'000'000,
      10'000'000, 25'000'000, 50'000'000, 100'000'000, 1'000'000'000,
  };
  static constexpr size_t kBuckets = kBoundsNs.size() + 1;

  void record(uint64_t sent_ns, uint64_t now_ns) {
    if (now_ns < sent_ns) {
      ++skewed_;
      return;
    }
    const uint64_t ns = now_ns - sent_ns;
    size_t b = 0;
    while (b < kBoundsNs.size() && ns > kBoundsNs[b]) ++b;
    ++counts_[b];
    ++count_;
    sum_ns_ += ns;
  }

  // The upper bound (ns) of the bucket holding quantile q (0 < q <= 1); 0 with no samples,
  // UINT64_MAX when it is the +Inf bucket.
  uint64_t quantile_ns(double q) const {
    if (count_ == 0) return 0;
    const auto rank = uint64_t(q * double(count_) + 0.999999);
    uint64_t seen = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      seen += counts_[b];
      if (seen >= rank) return b < kBoundsNs.size() ? kBoundsNs[b] : UINT64_MAX;
    }
    return UINT64_MAX;
  }

  const std::array<uint64_t, kBuckets>& counts() const { return counts_; }
  uint64_t count() const { return count_; }
  uint64_t sum_ns() const { return sum_ns_; }
  uint64_t skewed() const { return skewed_; }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t skewed_ = 0;
};

}  // namespace openvpc::hyperplane
