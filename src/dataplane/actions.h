// actions.h — carrying out a FlowAction on one packet's bytes.
//
// apply_action() does the per-packet part of an action: TTL decrement with an incremental
// header checksum (or an ICMP time-exceeded reply in the same buffer when the TTL runs out),
// MAC rewrite into a fresh Ethernet header, Geneve encapsulation prepended in the headroom,
// decapsulation by moving Packet::data forward. It sets the packet's verdict, out port and
// drop reason. No allocation; it writes only inside [data - headroom, data + capacity).
// Path MTU (DESIGN.md §2): path_mtu() is the largest IPv4 packet an action's path carries;
// reply_fragmentation_needed() answers a DF packet above it (RFC 1191). Cutting a packet
// without DF into fragments is the pipeline's (it needs buffers of its own, pipeline.h).
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/compiled_program.h"
#include "dataplane/flow_cache.h"
#include "dataplane/packet_batch.h"
#include "packet/geneve.h"

namespace openvpc::dataplane {

// source: the ENI the packet came from (nullptr from the underlay), for ICMP errors.
// prebuilt: for an encapsulate action, its outer headers from prebuild_outer_header() with
// program.host_underlay_v4 (a flow entry's), or nullptr to write them field by field.
void apply_action(const FlowAction& action, const packet::PacketMeta& meta,
                  const CompiledProgram& program, const LocalEni* source, Packet& packet,
                  const uint8_t* prebuilt = nullptr);

// The encapsulate part of apply_action: prepends outer IPv4 (from outer_src, host order) / UDP
// / Geneve / VPC option as `a` says to the IP packet at meta.l3_offset, moving Packet::data
// back; verdict encapsulate, or a drop (headroom_too_small, too_big_to_encapsulate). The edge
// and hyperplane nodes encapsulate with it too.
void encapsulate(const FlowAction& a, const packet::PacketMeta& meta, uint32_t outer_src,
                 Packet& packet);

// The outer headers encapsulate() writes for `a` from `outer_src` (host order) for an inner
// packet of TOS 0 and length 0, not a super-frame: written once per flow (FlowEntry::
// outer_header), so a packet copies them and patches TOS, lengths, checksum and GSO word.
void prebuild_outer_header(const FlowAction& a, uint32_t outer_src,
                           std::span<uint8_t, packet::kGeneveEncapSize> out);

// The part of the outer IPv4 header checksum that is constant for a flow (everything but the
// total length), as a ones-complement sum; the classifier stores it in FlowAction.
uint32_t outer_checksum_base(uint32_t outer_src_v4, uint32_t outer_dst_v4);

// RFC 6040 decapsulation (packet/ecn.h) of a packet that came in encapsulated (its meta has
// the outer TOS): an outer CE mark reaches the inner header (IPv4 checksum updated); false when
// the packet must be dropped (outer CE on a Not-ECT packet: its sender would not understand
// it). Every receiver of the underlay applies it — routers, edges, hyperplane nodes.
bool decapsulate_ecn(Packet& p, const packet::PacketMeta& meta);

// The tenant MTU inside a VPC, and toward gateways (an internet gateway's path is 1500).
inline constexpr uint16_t kVpcMtu = 9001;
inline constexpr uint16_t kGatewayMtu = 1500;

// The largest IPv4 packet (IP header included) the action's path carries: FlowAction::mtu when
// set (encapsulated toward an edge node or a public NAT gateway: kGatewayMtu), else kVpcMtu for
// deliver / encapsulate, kGatewayMtu for to_gateway, 0 (no limit) for anything not forwarded.
inline uint16_t path_mtu(const FlowAction& action) {
  if (action.mtu != 0) return action.mtu;  // e.g. encapsulated toward an edge node: 1500
  switch (action.verdict) {
    case Verdict::deliver:
    case Verdict::encapsulate:
      return kVpcMtu;
    case Verdict::to_gateway:
      return kGatewayMtu;
    default:
      return 0;
  }
}

// Replaces the packet (IPv4, from the local ENI `source`) with ICMP destination unreachable /
// fragmentation needed carrying next-hop MTU `mtu`, from the source subnet's router address to
// the sender: verdict icmp_error, reason mtu_exceeded (a plain drop if it cannot be written).
void reply_fragmentation_needed(const packet::PacketMeta& meta, const CompiledProgram& program,
                                const LocalEni& source, uint16_t mtu, Packet& packet);

// Marks the packet dropped with reason.
inline void drop_packet(Packet& packet, DropReason reason) {
  packet.verdict = Verdict::drop;
  packet.drop_reason = reason;
  packet.out_port = Port{};
}

}  // namespace openvpc::dataplane
