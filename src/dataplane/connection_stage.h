// connection_stage.h — the pipeline's stateful stage: per-ENI connection tracking.
//
// Owns one worker's ConntrackTable (conntrack/conntrack_table.h) and the mapping from ENI
// numbers to the table's dense ENI slots (assigned on first sight, kept across program
// swaps, so a connection outlives the program that allowed it; at most `eni_capacity`).
// The pipeline uses it twice per packet path:
// - slow path: after the Classifier allowed a flow, commit() runs each security-group stage
//   the flow crossed through the table: track() a packet of a known connection (accept,
//   related or a named drop); for a new one, open it when the stage's rules allowed it
//   (open_missed(): with the key, hash and endpoint order track() built for its miss;
//   tracked, or untracked when the rules say so) — an ICMP error never opens one: it passes
//   only as related to the connection of the header it quotes.
// - fast path: track_at() re-checks every connection a cached flow entry names, through the
//   ConnectionRef commit() left in the entry (no hash, no bucket scan while the hint holds);
//   a connection that is gone (closed, expired, untracked under an older generation) makes
//   the entry stale, so a cached entry never outlives its connection.
// `generation` is the pipeline's program epoch: untracked entries of an older one are
// forgotten (their flows re-decided by the rules), tracked ones survive rule removal.
// No allocation per packet; one per worker; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dataplane/classifier.h"
#include "dataplane/compiled_program.h"
#include "dataplane/conntrack/conntrack_table.h"
#include "dataplane/flow_cache.h"

namespace openvpc::dataplane {

struct ConnectionLimits {
  size_t capacity = size_t{1} << 16;  // connections
  size_t eni_capacity = 256;          // ENIs with connections, over the pipeline's life
  conntrack::EniSettings eni_settings;
};

class ConnectionStage {
 public:
  explicit ConnectionStage(const ConnectionLimits& limits);

  // Picks up a program: gives its new local ENIs a slot (configured with the limits).
  void refresh(const CompiledProgram& program, uint32_t generation);
  // The table slot of the program's local ENI `local_index`, or kNoConnectionSlot.
  uint16_t slot_of_local(int32_t local_index) const {
    return local_index >= 0 && size_t(local_index) < local_slots_.size()
               ? local_slots_[size_t(local_index)]
               : kNoConnectionSlot;
  }
  // The slot of ENI number `eni`, or kNoConnectionSlot if it never had one.
  uint16_t slot_of(uint32_t eni) const;
  // The ENI number of a slot, 0 if none.
  uint32_t eni_of_slot(uint16_t slot) const {
    return slot < eni_by_slot_.size() ? eni_by_slot_[slot] : 0;
  }
  ConnectionView view(uint32_t now) const { return {&table_, local_slots_, now, generation_}; }

  // Slow path: runs the allowed classification's stages through the table and records in
  // `entry` the slots to re-check per packet. Returns DropReason::none when the packet
  // passes; `opened` is set when a connection was started.
  // With `trace`, one line per stage (trace_note.h).
  DropReason commit(const Classification& c, const packet::PacketMeta& meta, uint32_t now,
                    FlowEntry& entry, bool& opened, std::string* trace = nullptr);

  enum class Check : uint8_t { pass, stale, drop };
  struct CheckResult {
    Check check = Check::pass;
    DropReason reason = DropReason::none;
  };
  // Fast path: the packet of a cached, current-generation entry through its connections
  // (found through the entry's connection refs, which it refreshes).
  // Always inline: it is the whole connection step of a cached packet.
  [[gnu::always_inline]] CheckResult check(FlowEntry& entry, const packet::PacketMeta& meta,
                                           uint32_t now) {
    CheckResult result;
    for (size_t i = 0; i < 2; ++i) {
      const uint16_t slot = entry.connection_slots[i];
      if (slot == kNoConnectionSlot) continue;
      const conntrack::TrackResult r =
          table_.track_at(slot, entry.connection_refs[i], meta, now, generation_);
      if (r.verdict == conntrack::Verdict::new_connection) return {Check::stale, DropReason::none};
      if (r.verdict == conntrack::Verdict::drop) return {Check::drop, r.reason};
    }
    return result;
  }

  // Once per batch: frees a bounded number of expired connections.
  void sweep(uint32_t now) { table_.sweep(now, 64); }

  const conntrack::ConntrackTable& table() const { return table_; }
  size_t count() const { return table_.count(); }

 private:
  ConnectionLimits limits_;
  conntrack::ConntrackTable table_;
  std::map<uint32_t, uint16_t> slot_by_eni_;
  std::vector<uint32_t> eni_by_slot_;
  std::vector<uint16_t> local_slots_;  // by the current program's local ENI index
  uint32_t generation_ = 0;
};

}  // namespace openvpc::dataplane
