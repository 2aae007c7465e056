// fragment_steering.h — later fragments to a NAT gateway's address follow their first one.
//
// The edge sends a packet for a NAT gateway's address to the shard node owning its port
// (edge_translator.h), but only a datagram's first fragment carries the ports. When the edge
// steers a first fragment it remembers (source, destination, protocol, IP id) -> node here, and
// a later fragment of that datagram goes to the same node. The table is direct-mapped with a
// fixed number of slots chosen at construction: a newer datagram takes an older one's slot. A
// later fragment whose first one was not seen (it came first, or its entry was taken) has no
// node; the caller drops it (the edge holds no packets). No clock: an entry lives until its slot
// is reused. No allocation after construction; not thread-safe (one per translator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "packet/parser.h"

namespace openvpc::edge {

class FragmentSteering {
 public:
  explicit FragmentSteering(size_t slots = 4096);

  // The first fragment `meta` (IPv4, offset 0, more fragments) went to node (host order).
  void remember(const packet::PacketMeta& meta, uint32_t node_v4);
  // The node the first fragment of the datagram a later fragment `meta` belongs to went to;
  // 0 when not known.
  uint32_t node_of(const packet::PacketMeta& meta) const;

 private:
  struct Entry {
    uint32_t src = 0;
    uint32_t dst = 0;
    uint32_t node = 0;  // 0: empty
    uint16_t id = 0;
    uint8_t protocol = 0;
  };
  size_t slot_of(const Entry& key) const;
  static Entry key_of(const packet::PacketMeta& meta);

  std::vector<Entry> entries_;  // power-of-two size
  size_t mask_ = 0;
};

}  // namespace openvpc::edge
