// nat_shard.h — a hyperplane shard (a NAT gateway's, a load balancer's) as the hosts that send
// to it see it.
//
// program::NatGateway::nodes lists the shard's node underlay addresses in slot order, an
// unspecified address (0) marking a slot whose node is not up. A sender picks a slot — a
// router by flow hash (the Geneve source port modulo the slot count), an edge node by the
// destination port a node handed out (hyperplane::slot_of_port) — and sends to that slot's
// node, or, when it is down, to the next slot's live node (wrapping): the successor holds
// replicas of its predecessor's flows and owns its port range while it is gone. Pure and
// allocation-free; the senders compile the nodes to host order once per program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

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

}  // namespace openvpc::dataplane
