// actions.h — carrying out a FlowAction on one packet's bytes.
//
// apply_action() does the per-packet part of an action: TTL decrement with an incremental
// header checksum (or an ICMP time-exceeded reply in the same buffer when the TTL runs out),
// MAC rewrite into a fresh Ethernet header, Geneve encapsulation prepended in the headroom,
// decapsulation by moving Packet::data forward. It sets the packet's verdict, out port and
// drop reason. No allocation; it writes only inside [data - headroom, data + capacity).
#pragma once

#include "dataplane/compiled_program.h"
#include "dataplane/flow_cache.h"
#include "dataplane/packet_batch.h"

namespace openvpc::dataplane {

// source: the ENI the packet came from (nullptr from the underlay), for ICMP errors.
void apply_action(const FlowAction& action, const packet::PacketMeta& meta,
                  const CompiledProgram& program, const LocalEni* source, Packet& packet);

// The part of the outer IPv4 header checksum that is constant for a flow (everything but the
// total length), as a ones-complement sum; the classifier stores it in FlowAction.
uint32_t outer_checksum_base(uint32_t outer_src_v4, uint32_t outer_dst_v4);

// Marks the packet dropped with reason.
inline void drop_packet(Packet& packet, DropReason reason) {
  packet.verdict = Verdict::drop;
  packet.drop_reason = reason;
  packet.out_port = Port{};
}

}  // namespace openvpc::dataplane
