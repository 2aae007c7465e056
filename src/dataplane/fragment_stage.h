// fragment_stage.h — later IPv4 fragments get the verdict and the action of their first one.
//
// Only a datagram's first fragment carries the ports, so only it is classified and tracked.
// FragmentStage follows each datagram with the conntrack FragmentTracker (overlaps, sizes,
// counts; a datagram whose first fragment was dropped is dropped whole) and remembers, per
// accepted datagram, the first fragment's flow key. A later fragment is tied to it by its
// own flow key without ports — the ENI or, from the underlay, everything the isolation rule
// checked, plus addresses and protocol — and the IP id, so a forged fragment from anywhere
// else finds nothing.
//
// Out of order: a later fragment that arrives before its first fragment is held — the caller
// copies it into a buffer of its own (Pipeline's PacketPool) and passes the buffer's index as
// the handle — for up to hold_seconds. settle() hands the held handles of a datagram back
// with the first fragment's verdict, expire() those that waited too long (fragment_orphan, or
// fragment_rejected when their datagram was dropped meanwhile). With no hold slot free, the
// fragment is dropped as fragment_hold_full; one ENI holds at most hold_slots_per_eni of
// them (fragment_hold_eni_full beyond), so its flood cannot starve another ENI's datagrams. A later
// fragment whose accepted first one is not remembered any more (a full or expired table) is dropped
// as fragment_orphan. Fixed memory; one per worker; not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/conntrack/fragment_tracker.h"
#include "dataplane/flow_cache.h"

namespace openvpc::dataplane {

// `key` with its ports cleared: what a later fragment of the same flow computes.
inline FlowKey without_ports(FlowKey key) {
  key.words[4] &= 0xffffffffu;
  return key;
}

class FragmentStage {
 public:
  using Release = conntrack::FragmentTracker::Release;
  enum class Step : uint8_t {
    go,    // a first fragment: to classification; a later one: with the first's flow
    hold,  // a later fragment before its first one: the stage keeps `handle`
    drop,  // see reason
  };
  struct Decision {
    Step step = Step::drop;
    DropReason reason = DropReason::none;
  };

  struct Limits {
    size_t series = 1024;    // datagrams followed at once
    size_t hold_slots = 64;  // later fragments held at once (the caller has as many buffers)
    size_t hold_slots_per_eni = 16;  // of those, at most this many for one ENI slot
    size_t eni_count = 256;          // ENI slots
    uint32_t hold_seconds = 2;       // each waits at most this long (whole seconds of the clock)
  };
  explicit FragmentStage(const Limits& limits);

  // Admits one fragment of ENI slot `eni` (the source ENI, or the destination from the
  // underlay). `handle` names the caller's copy of a later fragment, kept on Step::hold.
  Decision admit(uint16_t eni, const packet::PacketMeta& meta, std::span<const uint8_t> bytes,
                 uint64_t handle, uint32_t now);
  // The first fragment's verdict; an accepted one's flow key is remembered for the others.
  // Writes the held fragments of its datagram to `out` (at least hold_slots() long) with
  // that verdict and returns how many.
  size_t settle(uint16_t eni, const packet::PacketMeta& meta, const FlowKey& key, bool accepted,
                uint32_t now, std::span<Release> out);
  // The flow key of the first fragment of the datagram `meta` (a later fragment whose own flow
  // key is `key`) belongs to, or nullptr.
  const FlowKey* first_key(const FlowKey& key, const packet::PacketMeta& meta, uint32_t now) const;
  // Once per batch: writes the held fragments that waited too long to `out` (as drops, at
  // least hold_slots() long), returns how many, and forgets datagrams whose fragments stopped
  // coming.
  size_t expire(uint32_t now, std::span<Release> out) { return tracker_.expire(now, out); }
  size_t held_count() const { return tracker_.held_count(); }
  size_t held_count(uint16_t eni) const { return tracker_.held_count(eni); }
  size_t hold_slots() const { return hold_slots_; }

 private:
  struct First {
    FlowKey portless;
    FlowKey key;
    uint32_t id = 0;
    uint32_t expires_at = 0;
  };
  size_t index_of(const FlowKey& portless, uint32_t id) const;

  conntrack::FragmentTracker tracker_;
  std::vector<First> firsts_;  // direct-mapped, power-of-two size
  uint32_t timeout_;
  size_t hold_slots_;
};

}  // namespace openvpc::dataplane
