#include "dataplane/eni_allowance.h"

#include <algorithm>

namespace openvpc::dataplane {
namespace {

TokenBucket bucket(uint64_t rate, uint64_t minimum_burst) {
  return TokenBucket(rate, std::max(rate / EniAllowances::kBurstDivisor, minimum_burst));
}

}  // namespace

EniAllowances::EniAllowances(AllowanceSettings settings)
    : settings_(settings), bytes_per_second_(uint64_t{settings.megabits_per_second} * 125'000) {
  const bool limited = settings.packets_per_second != 0 || settings.megabits_per_second != 0;
  policed_[size_t(Verdict::deliver)] = limited;
  policed_[size_t(Verdict::encapsulate)] = limited;
  policed_[size_t(Verdict::to_gateway)] = limited;
  policed_[size_t(Verdict::to_local_services)] = true;
  shapes_ = settings.queue_bandwidth_out && bytes_per_second_ != 0;
}

EniAllowances::EniState EniAllowances::fresh_state() const {
  EniState s;
  const Direction d{bucket(settings_.packets_per_second, kMinimumBurstPackets),
                    bucket(bytes_per_second_, kMinimumBurstBytes)};
  s.out = d;
  s.in = d;
  // One second of burst, as the router's DNS limit has always had (a resolver's retries).
  s.linklocal = TokenBucket(settings_.linklocal_packets_per_second);
  return s;
}

void EniAllowances::refresh(const CompiledProgram& program) {
  by_index_.clear();
  for (const LocalEni& eni : program.local_enis) {
    auto& slot = by_id_[eni.id];
    if (!slot) slot = std::make_unique<EniState>(fresh_state());
    by_index_.push_back(slot.get());
  }
}

DropReason EniAllowances::take(Direction& d, uint32_t packets, uint64_t bytes, DropReason bandwidth,
                               uint64_t now_ns) const {
  // Both limits are checked before either is spent: a packet one of them drops uses up none.
  const bool count_packets = settings_.packets_per_second != 0;
  const bool count_bytes = bytes_per_second_ != 0;
  if (count_packets) {
    d.packets.refill(now_ns);
    if (!d.packets.covers(packets)) return DropReason::pps_allowance_exceeded;
  }
  if (count_bytes) {
    d.bytes.refill(now_ns);
    if (!d.bytes.covers(bytes)) return bandwidth;
  }
  if (count_packets) d.packets.spend(packets);
  if (count_bytes) d.bytes.spend(bytes);
  return DropReason::none;
}

EniAllowances::Refusal EniAllowances::charge(const Charge& c, uint64_t now_ns) {
  EniState* source = c.source_index >= 0 && size_t(c.source_index) < by_index_.size()
                         ? by_index_[size_t(c.source_index)]
                         : nullptr;
  if (c.verdict == Verdict::to_local_services) {
    if (source == nullptr || source->linklocal.take(now_ns)) return {};
    return {DropReason::linklocal_allowance_exceeded, false};
  }
  if (source != nullptr && shapes_ && c.verdict == Verdict::encapsulate) {
    Direction& d = source->out;
    if (settings_.packets_per_second != 0 && !d.packets.take(now_ns, c.packets)) {
      return {DropReason::pps_allowance_exceeded, false};
    }
    d.bytes.refill(now_ns);
    if (c.behind || !d.bytes.covers(c.out_bytes)) return {DropReason::none, false, true};
    d.bytes.spend(c.out_bytes);
    return {};
  }
  if (source != nullptr) {
    const DropReason out =
        take(source->out, c.packets, c.out_bytes, DropReason::bw_out_allowance_exceeded, now_ns);
    if (out != DropReason::none) return {out, false};
  }
  if (c.verdict != Verdict::deliver || c.destination_index < 0 ||
      size_t(c.destination_index) >= by_index_.size()) {
    return {};
  }
  return {take(by_index_[size_t(c.destination_index)]->in, c.packets, c.in_bytes,
               DropReason::bw_in_allowance_exceeded, now_ns),
          true};
}

bool EniAllowances::can_pay_out(int32_t source_index, uint64_t bytes, uint64_t now_ns) {
  if (source_index < 0 || size_t(source_index) >= by_index_.size()) return false;
  TokenBucket& bucket = by_index_[size_t(source_index)]->out.bytes;
  bucket.refill(now_ns);
  return bucket.covers(bytes);
}

void EniAllowances::pay_out(int32_t source_index, uint64_t bytes) {
  by_index_[size_t(source_index)]->out.bytes.spend(bytes);
}

}  // namespace openvpc::dataplane
