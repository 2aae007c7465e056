#include "dataplane/fragment_stage.h"

namespace openvpc::dataplane {
namespace {

conntrack::FragmentTracker::Limits tracker_limits(const FragmentStage::Limits& stage) {
  conntrack::FragmentTracker::Limits limits;
  limits.series = stage.series;
  limits.held = stage.hold_slots;
  limits.held_per_eni = stage.hold_slots_per_eni;
  limits.eni_count = stage.eni_count;
  limits.hold_timeout = stage.hold_seconds;
  return limits;
}

}  // namespace

FragmentStage::FragmentStage(const Limits& limits)
    : tracker_(tracker_limits(limits)),
      timeout_(tracker_limits(limits).series_timeout),
      hold_slots_(limits.hold_slots) {
  size_t size = 2;
  while (size < limits.series) size <<= 1;
  firsts_.resize(size);
}

size_t FragmentStage::index_of(const FlowKey& portless, uint32_t id) const {
  return size_t((portless.hash() ^ (uint64_t{id} * 0x9e3779b97f4a7c15ULL)) >> 7) &
         (firsts_.size() - 1);
}

FragmentStage::Decision FragmentStage::admit(uint16_t eni, const packet::PacketMeta& meta,
                                             std::span<const uint8_t> bytes, uint64_t handle,
                                             uint32_t now) {
  using Action = conntrack::FragmentTracker::Action;
  const auto d = tracker_.admit(eni, meta, bytes, handle, now);
  if (d.action == Action::track || d.action == Action::accept) return {Step::go};
  if (d.action == Action::hold) return {Step::hold};
  return {Step::drop, d.reason};
}

size_t FragmentStage::settle(uint16_t eni, const packet::PacketMeta& meta, const FlowKey& key,
                             bool accepted, uint32_t now, std::span<Release> out) {
  const size_t released = tracker_.settle(eni, meta, accepted, out);
  if (!accepted) return released;
  const FlowKey portless = without_ports(key);
  First& f = firsts_[index_of(portless, meta.fragment.id)];
  f = First{portless, key, meta.fragment.id, now + timeout_};
  return released;
}

const FlowKey* FragmentStage::first_key(const FlowKey& key, const packet::PacketMeta& meta,
                                        uint32_t now) const {
  const FlowKey portless = without_ports(key);
  const First& f = firsts_[index_of(portless, meta.fragment.id)];
  if (f.expires_at <= now || f.id != meta.fragment.id || !(f.portless == portless)) return nullptr;
  return &f.key;
}

}  // namespace openvpc::dataplane
