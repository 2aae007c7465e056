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
// Simplification (nothing is held, the batch model owns no buffers across batches): a later
// fragment that arrives before its first fragment, or whose first one is not remembered any
// more (a full or expired table), is dropped as fragment_orphan.
// Fixed memory; one per worker; not thread-safe.
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
  explicit FragmentStage(size_t series);

  // Admits one fragment of ENI slot `eni` (the source ENI, or the destination from the
  // underlay): DropReason::none when it may go on (a first fragment: to classification; a
  // later one: with the first fragment's flow, see first_key()).
  DropReason admit(uint16_t eni, const packet::PacketMeta& meta, std::span<const uint8_t> bytes,
                   uint32_t now);
  // The first fragment's verdict; an accepted one's flow key is remembered for the others.
  void settle(uint16_t eni, const packet::PacketMeta& meta, const FlowKey& key, bool accepted,
              uint32_t now);
  // The flow key of the first fragment of the datagram `meta` (a later fragment whose own flow
  // key is `key`) belongs to, or nullptr.
  const FlowKey* first_key(const FlowKey& key, const packet::PacketMeta& meta, uint32_t now) const;
  // Once per batch: forgets datagrams whose fragments stopped coming.
  void expire(uint32_t now) { tracker_.expire(now, {}); }

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
};

}  // namespace openvpc::dataplane
