// edge_translator.h — the internet gateway's packet work on one edge node, batch by batch.
//
// An edge node (openvpc-edge, DESIGN.md §7, Amazon's "Blackfoot") sits between the Geneve
// underlay and the outside (the internet). Its translation is 1:1 and stateless — any edge
// node can carry any packet of any flow, so routers spread flows over all of them and losing
// one loses no connection:
//
//   from a host (PortKind::underlay, outer IPv4/UDP/Geneve/inner IPv4): the VPC must be one
//     with an attached internet gateway, and the inner source a private address with a public
//     one, of the source ENI the VPC option names, living at the outer source (the isolation
//     rule of the edge; else edge_source_mismatch). The source becomes the public address.
//     A destination that is itself a public address this edge serves (hairpin: one instance to
//     another's public IP) is translated back to its private address and encapsulated to that
//     ENI's host; anything else leaves to the outside as an Ethernet frame to the outside
//     gateway (verdict deliver, out port PortKind::gateway).
//   from the outside (PortKind::gateway, an Ethernet frame): ARP for the edge's outside address
//     or a public address is answered (verdict deliver, the reply in the buffer); ARP from the
//     outside gateway teaches its MAC (verdict to_local_services: consumed). An IPv4 packet to
//     a public address this edge serves has its TTL decremented and its destination made
//     private, and is encapsulated to the ENI's host with the "from an edge node" flag (source
//     ENI 0); the host's router applies NACLs and security groups as for any packet.
//   a NAT gateway's address (a binding with a shard, edge_table.h) is served by the hyperplane
//     nodes of that gateway's shard, each owning a range of its ports (hyperplane/port_space.h).
//     From outside (and on a hairpin) a packet goes to the node owning its destination port —
//     an echo reply's identifier, an ICMP error's quoted source port — or, when that node is
//     down, to the next live slot's node; destination ENI the gateway's, source ENI 0, the
//     "from an edge node" flag; a later fragment goes where its first one went
//     (fragment_steering.h). A port below 1024, a later fragment whose first one was not seen or
//     an error without quoted ports is dropped as edge_nat_port_unowned, a shard with no node up
//     as gateway_unavailable. From the underlay, such an address is accepted only from a live node
//     of its shard with the gateway's ENI as source ENI (else edge_source_mismatch).
//   an internet-facing network load balancer's elastic IP (a binding with a by_client shard) is
//     served by its shard too: a packet goes to the node of the client's slot
//     (dataplane/nat_shard.h load_balancer_slot of the client's public address and port, the
//     slot the target's router sends the replies to), destination ENI the load balancer's
//     interface; from the underlay its private address is accepted only from a live node of
//     the shard with that interface as source ENI.
//   ICMP errors are translated through the packet they quote (nat_rewrite.h), so an instance
//   sees errors about what it sent, and the outside sees errors about public addresses.
//
// TSO super-frames (Packet::gso_type, from the VPC option or the outside TAP's virtio header)
// are translated whole, with their still-partial TCP checksum updated as such.
//
// Every packet leaves process() with one verdict; drops carry a DropReason and are counted by
// reason, like the router's pipeline. The table is swapped between batches (set_table). No
// allocation, lock, exception or system call per packet. Not thread-safe: one per thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "dataplane/packet_batch.h"
#include "edge/edge_table.h"
#include "edge/fragment_steering.h"

namespace openvpc::edge {

// What the edge counts besides verdicts and drop reasons. One descriptor (names below).
enum class EdgeEvent : uint8_t {
  translated_out,    // a private source made public, sent to the outside
  translated_in,     // a public destination made private, sent to its host
  hairpin,           // both: from one instance to another's public address
  icmp_translated,   // an ICMP error whose quoted packet was translated too
  arp_replied,       // ARP requests from the outside answered
  next_hop_learned,  // the outside gateway's MAC learned or changed
  count_,
};
inline constexpr size_t kEdgeEventCount = size_t(EdgeEvent::count_);
std::string_view to_string(EdgeEvent event);

struct EdgeCounters {
  std::array<uint64_t, dataplane::kVerdictCount> verdicts{};
  std::array<uint64_t, dataplane::kDropReasonCount> drops{};
  std::array<uint64_t, kEdgeEventCount> events{};
  uint64_t outside_bytes_out = 0;  // IP bytes sent to the outside
  uint64_t outside_bytes_in = 0;   // IP bytes received from the outside and delivered inward
};

struct EdgeConfig {
  uint32_t outside_address = 0;    // host order: the edge's own address on the outside link
  uint32_t outside_gateway = 0;    // host order: the next hop toward the internet
  packet::MacAddress outside_mac;  // the edge's MAC on the outside link
  uint16_t outside_mtu = 1500;     // largest IP packet (or TSO segment) sent outside
};

class EdgeTranslator {
 public:
  explicit EdgeTranslator(EdgeConfig config) : config_(config) {}

  void set_table(std::shared_ptr<const EdgeTable> table) { table_ = std::move(table); }
  const EdgeTable* table() const { return table_.get(); }

  // Translates every packet in place and sets its verdict, out port and drop reason.
  void process(dataplane::PacketBatch batch);

  // An ARP request for the outside gateway's MAC, as an Ethernet frame (42 bytes) written to
  // out; 0 when capacity is too small.
  size_t write_gateway_arp_request(uint8_t* out, size_t capacity) const;
  bool next_hop_known() const { return next_hop_known_; }
  const EdgeCounters& counters() const { return counters_; }

 private:
  void from_underlay(dataplane::Packet& p);
  void from_outside(dataplane::Packet& p);
  void answer_arp(dataplane::Packet& p, const packet::PacketMeta& meta);
  // Where a packet for binding's private address goes: its host, the live node of its NAT
  // gateway's shard that owns the packet's port, or of its load balancer's shard that serves
  // the slot of (client, the packet's source port); else the reason to drop.
  dataplane::DropReason host_of(const PublicBinding& binding, const packet::PacketMeta& meta,
                                const packet::IpAddress& client, uint32_t& host_v4);
  void to_host(dataplane::Packet& p, const packet::PacketMeta& meta, const PublicBinding& binding,
               uint32_t host_v4, packet::FiveTuple translated);
  void to_outside(dataplane::Packet& p, const packet::PacketMeta& meta);
  void drop(dataplane::Packet& p, dataplane::DropReason reason);

  const EdgeConfig config_;
  std::shared_ptr<const EdgeTable> table_;
  packet::MacAddress next_hop_mac_;
  bool next_hop_known_ = false;
  EdgeCounters counters_;
  FragmentSteering fragments_;  // where NAT gateway datagrams' first fragments went
};

}  // namespace openvpc::edge
