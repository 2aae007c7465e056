#include "dataplane/fragment_stage.h"

#include "dataplane/connection_stage.h"

namespace openvpc::dataplane {
namespace {

conntrack::FragmentTracker::Limits limits_of(size_t series) {
  conntrack::FragmentTracker::Limits limits;
  limits.series = series;
  limits.held = 0;  // see the header: nothing is held
  return limits;
}

}  // namespace

FragmentStage::FragmentStage(size_t series)
    : tracker_(limits_of(series)), timeout_(limits_of(series).series_timeout) {
  size_t size = 2;
  while (size < series) size <<= 1;
  firsts_.resize(size);
}

size_t FragmentStage::index_of(const FlowKey& portless, uint32_t id) const {
  return size_t((portless.hash() ^ (uint64_t{id} * 0x9e3779b97f4a7c15ULL)) >> 7) &
         (firsts_.size() - 1);
}

DropReason FragmentStage::admit(uint16_t eni, const packet::PacketMeta& meta,
                                std::span<const uint8_t> bytes, uint32_t now) {
  using Action = conntrack::FragmentTracker::Action;
  const auto d = tracker_.admit(eni, meta, bytes, 0, now);
  if (d.action == Action::track || d.action == Action::accept) return DropReason::none;
  if (d.action == Action::hold) return DropReason::fragment_orphan;  // unreachable: held = 0
  return to_drop_reason(d.reason);
}

void FragmentStage::settle(uint16_t eni, const packet::PacketMeta& meta, const FlowKey& key,
                           bool accepted, uint32_t now) {
  tracker_.settle(eni, meta, accepted, {});
  if (!accepted) return;
  const FlowKey portless = without_ports(key);
  First& f = firsts_[index_of(portless, meta.fragment.id)];
  f = First{portless, key, meta.fragment.id, now + timeout_};
}

const FlowKey* FragmentStage::first_key(const FlowKey& key, const packet::PacketMeta& meta,
                                        uint32_t now) const {
  const FlowKey portless = without_ports(key);
  const First& f = firsts_[index_of(portless, meta.fragment.id)];
  if (f.expires_at <= now || f.id != meta.fragment.id || !(f.portless == portless)) return nullptr;
  return &f.key;
}

}  // namespace openvpc::dataplane
