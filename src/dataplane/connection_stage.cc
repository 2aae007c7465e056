#include "dataplane/connection_stage.h"

#include "dataplane/trace_note.h"

namespace openvpc::dataplane {

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
                                   uint32_t now, FlowEntry& entry, bool& opened,
                                   std::string* trace) {
  for (size_t i = 0; i < 2; ++i) {
    const GroupStage& stage = c.groups[i];
    if (stage.local_index < 0) continue;
    const uint16_t slot = slot_of_local(stage.local_index);
    const uint32_t eni = eni_of_slot(slot);
    if (slot == kNoConnectionSlot) {
      note(trace, "conntrack", [] { return std::string("no connection slot for the ENI"); });
      return DropReason::connection_table_full;
    }
    conntrack::ConnectionRef& ref = entry.connection_refs[i];
    conntrack::Miss miss;
    conntrack::TrackResult r = table_.track(slot, meta, now, generation_, &ref, &miss);
    if (r.verdict == conntrack::Verdict::new_connection) {
      if (!stage.allowed_by_rules) {
        note(trace, "conntrack", [&] {
          return "eni " + std::to_string(eni) +
                 ": its connection is gone: " + std::string(to_string(stage.denied));
        });
        return stage.denied;
      }
      const auto tracking =
          stage.untracked ? conntrack::Tracking::untracked : conntrack::Tracking::tracked;
      r = table_.open_missed(slot, miss, meta, now, tracking, generation_, &ref, stage.via);
      opened = opened || r.ok();
      note(trace, "conntrack", [&] {
        return "eni " + std::to_string(eni) + ": new connection" +
               (r.ok() ? stage.untracked ? " (untracked flow)" : " opened (tracked)"
                       : ": " + std::string(to_string(r.reason)));
      });
    } else {
      note(trace, "conntrack", [&] {
        return "eni " + std::to_string(eni) + ": " + std::string(conntrack::to_string(r.verdict)) +
               (r.ok() ? "" : ": " + std::string(to_string(r.reason)));
      });
    }
    if (!r.ok()) return r.reason;
    entry.connection_slots[i] = slot;
  }
  return DropReason::none;
}

}  // namespace openvpc::dataplane
