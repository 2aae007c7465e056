// nat_shard.h — a hyperplane shard (a NAT gateway's, a load balancer's) as the hosts that send
// to it see it.
//
// program::NatGateway::nodes lists the shard's node underlay addresses in slot order, an
// unspecified address (0) marking a slot whose node is not up. A sender picks a slot — a
// router by flow hash (the Geneve source port modulo the slot count), an edge node by the
// destination port a node handed out (nat_port_slot) — and sends to that slot's
// node, or, when it is down, to the next slot's live node (wrapping): the successor holds
// replicas of its predecessor's flows and owns its port range while it is gone. Pure and
// allocation-free; the senders compile the nodes to host order once per program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/parser.h"

namespace openvpc::dataplane {

// The node (host order) serving `slot` of a shard whose nodes by slot are nodes_v4 (0: down):
// that slot's node when it is up, else the first live node after it, wrapping. 0 when no node
// is up or the slot is out of range.
inline uint32_t serving_node(std::span<const uint32_t> nodes_v4, size_t slot) {
  const size_t n = nodes_v4.size();
  if (slot >= n) return 0;
  for (size_t step = 0; step < n; ++step) {
    const uint32_t node = nodes_v4[(slot + step) % n];
    if (node != 0) return node;
  }
  return 0;
}

// The slot a router sends a flow to: its Geneve source port (packet::flow_source_port, stable
// for the flow) modulo the slot count; 0 for an empty shard.
inline size_t flow_slot(uint16_t flow_port, size_t slots) {
  return slots == 0 ? 0 : size_t(flow_port) % slots;
}

// The slot of a load balancer's flow (program::LoadBalancer): a function of the client's
// address and port alone, because three parties must agree on it without sharing state — the
// client's router (which sees client -> listener), the edge (internet clients) and the target's
// router (which sees the reply, target -> client). 0 for an empty shard.
inline size_t load_balancer_slot(uint32_t client_v4, uint16_t client_port, size_t slots) {
  if (slots == 0) return 0;
  const uint64_t mixed = ((uint64_t(client_v4) << 16) | client_port) * 0x9e3779b97f4a7c15ull;
  return size_t((mixed >> 32) % slots);
}

// A NAT gateway's source ports 1024..65535 of each address are cut into one contiguous range
// per slot, sizes differing by at most one, the first ones larger (hyperplane/port_space.h
// allocates from them): the port of a reply names the slot holding its flow.
inline constexpr uint32_t kFirstNatPort = 1024;
inline constexpr uint32_t kNatPorts = 65536 - kFirstNatPort;  // 64,512

// The slot whose range holds port; -1 for ports below 1024 or a bad slot count.
inline int nat_port_slot(uint32_t port, int slots) {
  if (slots <= 0 || port < kFirstNatPort || port > 65535) return -1;
  const uint32_t n = uint32_t(slots), offset = port - kFirstNatPort;
  const uint32_t base = kNatPorts / n, extra = kNatPorts % n;  // the first `extra` get one more
  if (offset < extra * (base + 1)) return int(offset / (base + 1));
  return int(extra + (offset - extra * (base + 1)) / base);
}

// The NAT port a packet toward a NAT address carries: the destination port (TCP/UDP), the echo
// id of an echo reply (ICMP, the id is the port), the quoted source port of an ICMP error
// about a translated packet (what the node sent); 0 when there is none: a quote cut before its
// ports, another protocol (a later fragment follows its first one instead).
inline uint32_t nat_reply_port(const packet::PacketMeta& meta) {
  if (meta.l4_offset == 0) return 0;
  if (meta.tuple.protocol == packet::kProtoIcmp && meta.icmp.is_error) {
    const packet::IcmpInner& quote = meta.icmp_inner;
    return quote.present && quote.l4_offset != 0 ? quote.tuple.src_port : 0;
  }
  return meta.tuple.dst_port;
}

}  // namespace openvpc::dataplane
