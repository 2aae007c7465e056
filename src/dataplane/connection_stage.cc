#include "dataplane/connection_stage.h"

#include <array>

namespace openvpc::dataplane {
namespace {

using CtReason = conntrack::DropReason;

constexpr std::array<DropReason, conntrack::kDropReasonCount> kReasons = [] {
  std::array<DropReason, conntrack::kDropReasonCount> r{};
  r[size_t(CtReason::none)] = DropReason::none;
  r[size_t(CtReason::malformed)] = DropReason::malformed;
  r[size_t(CtReason::tcp_invalid_flags)] = DropReason::tcp_invalid_flags;
  r[size_t(CtReason::tcp_invalid_new)] = DropReason::tcp_invalid_new;
  r[size_t(CtReason::tcp_invalid_state)] = DropReason::tcp_invalid_state;
  r[size_t(CtReason::tcp_bad_synack)] = DropReason::tcp_bad_synack;
  r[size_t(CtReason::tcp_seq_out_of_window)] = DropReason::tcp_seq_out_of_window;
  r[size_t(CtReason::tcp_ack_out_of_window)] = DropReason::tcp_ack_out_of_window;
  r[size_t(CtReason::tcp_rst_out_of_window)] = DropReason::tcp_rst_out_of_window;
  r[size_t(CtReason::icmp_error_truncated)] = DropReason::icmp_error_truncated;
  r[size_t(CtReason::icmp_error_no_connection)] = DropReason::icmp_error_no_connection;
  r[size_t(CtReason::icmp_error_out_of_window)] = DropReason::icmp_error_out_of_window;
  r[size_t(CtReason::allowance_exceeded)] = DropReason::conntrack_allowance_exceeded;
  r[size_t(CtReason::table_full)] = DropReason::connection_table_full;
  r[size_t(CtReason::fragment_orphan)] = DropReason::fragment_orphan;
  r[size_t(CtReason::fragment_overlap)] = DropReason::fragment_overlap;
  r[size_t(CtReason::fragment_oversized)] = DropReason::fragment_oversized;
  r[size_t(CtReason::fragment_too_many)] = DropReason::fragment_too_many;
  r[size_t(CtReason::fragment_hold_full)] = DropReason::fragment_hold_full;
  r[size_t(CtReason::fragment_rejected)] = DropReason::fragment_rejected;
  r[size_t(CtReason::fragment_hold_eni_full)] = DropReason::fragment_hold_eni_full;
  return r;
}();

}  // namespace

DropReason to_drop_reason(conntrack::DropReason reason) {
  const size_t i = size_t(reason);
  return i < kReasons.size() ? kReasons[i] : DropReason::malformed;
}

ConnectionStage::ConnectionStage(const ConnectionLimits& limits)
    : limits_(limits), table_(limits.capacity, limits.eni_capacity) {}

uint16_t ConnectionStage::slot_of(uint32_t eni) const {
  const auto it = slot_by_eni_.find(eni);
  return it == slot_by_eni_.end() ? kNoConnectionSlot : it->second;
}

void ConnectionStage::refresh(const CompiledProgram& program, uint32_t generation) {
  generation_ = generation;
  local_slots_.clear();
  for (const LocalEni& eni : program.local_enis) {
    auto it = slot_by_eni_.find(eni.id);
    if (it == slot_by_eni_.end() && slot_by_eni_.size() < limits_.eni_capacity &&
        slot_by_eni_.size() < kNoConnectionSlot) {
      const auto slot = uint16_t(slot_by_eni_.size());
      table_.configure_eni(slot, limits_.eni_settings);
      it = slot_by_eni_.emplace(eni.id, slot).first;
      eni_by_slot_.push_back(eni.id);
    }
    local_slots_.push_back(it == slot_by_eni_.end() ? kNoConnectionSlot : it->second);
  }
}

DropReason ConnectionStage::commit(const Classification& c, const packet::PacketMeta& meta,
                                   uint32_t now, FlowEntry& entry, bool& opened) {
  for (size_t i = 0; i < 2; ++i) {
    const GroupStage& stage = c.groups[i];
    if (stage.local_index < 0) continue;
    const uint16_t slot = slot_of_local(stage.local_index);
    if (slot == kNoConnectionSlot) return DropReason::connection_table_full;
    conntrack::ConnectionRef& ref = entry.connection_refs[i];
    conntrack::TrackResult r = table_.track(slot, meta, now, generation_, &ref);
    if (r.verdict == conntrack::Verdict::new_connection) {
      if (!stage.allowed_by_rules) return stage.denied;
      const auto tracking =
          stage.untracked ? conntrack::Tracking::untracked : conntrack::Tracking::tracked;
      r = table_.open(slot, meta, now, tracking, generation_, &ref);
      opened = opened || r.ok();
    }
    if (!r.ok()) return to_drop_reason(r.reason);
    entry.connection_slots[i] = slot;
  }
  return DropReason::none;
}

}  // namespace openvpc::dataplane
