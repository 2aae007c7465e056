// edge_table.h — an edge node's program compiled into the lookups its translation makes.
//
// The internet gateway is 1:1 stateless NAT (REFERENCE.md, DESIGN.md §7): every public IPv4
// address an edge serves stands for one private address of one interface. EdgeTable holds
// those bindings — from the edge program's mappings that carry a public address — indexed
// both ways: by public address (a packet from outside) and by (VPC, private address) (a packet
// from a host). Built once per program, immutable afterwards, shared read-only by the
// translation; lookups are open addressing over flat arrays, with no allocation.
//
// A binding of a NAT gateway's address (Mapping::nat_gateway) lives on no one host: it names
// the gateway's shard (NatShard: the nodes by slot, 0 for a node that is down), and the
// translation sends each packet to the node that owns its port (edge_translator.h). So does
// the elastic IP of an internet-facing load balancer's interface (Mapping::load_balancer),
// whose packets go to the node of the client's slot.
//
// compile_edge_table() refuses a program where one public address is bound twice, a binding
// is not IPv4, or a NAT gateway or load balancer is malformed (a duplicate id, no ENI, a node not
// IPv4) or missing for a binding that names it (or a binding's ENI is not its interface)
// ("edge.invalid_program"): the edge keeps its previous table then.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "program/program.h"

namespace openvpc::edge {

// One public <-> private binding, IPv4 in host order.
struct PublicBinding {
  uint32_t public_v4 = 0;
  uint32_t private_v4 = 0;
  uint32_t vpc = 0;      // VNI
  uint32_t eni = 0;      // the interface's number
  uint32_t host_v4 = 0;  // the underlay address of the host the interface lives on; 0 for NAT
  int32_t shard = -1;    // a NAT gateway's address: index into EdgeTable::nat_shards
};

// A hyperplane shard as the edge sends to it: the nodes' underlay addresses by slot, host
// order, 0 for a slot whose node is down. A NAT gateway's (the slot owns the destination
// port) or an internet-facing network load balancer's (by_client: the slot of the client's
// address and port, dataplane/nat_shard.h load_balancer_slot, as the routers pick it).
struct NatShard {
  uint32_t gateway = 0;  // program number (of the NAT gateway or the load balancer)
  uint32_t eni = 0;      // the gateway's interface; 0 for a load balancer (one per binding)
  std::vector<uint32_t> nodes_v4;
  bool by_client = false;

  bool has_live_node(uint32_t underlay_v4) const {
    for (uint32_t node : nodes_v4) {
      if (node != 0 && node == underlay_v4) return true;
    }
    return false;
  }
};

class EdgeTable {
 public:
  uint64_t generation = 0;
  uint32_t underlay_v4 = 0;  // this edge's underlay address (host order)
  std::vector<PublicBinding> bindings;
  std::vector<NatShard> nat_shards;

  const PublicBinding* by_public(uint32_t public_v4) const;
  const PublicBinding* by_private(uint32_t vpc, uint32_t private_v4) const;
  bool serves_vpc(uint32_t vpc) const;
  // Whether underlay_v4 may send for binding's private address: its host, or for a NAT
  // gateway's address a live node of its shard.
  bool sends_for(const PublicBinding& binding, uint32_t underlay_v4) const {
    if (binding.shard < 0) return binding.host_v4 == underlay_v4;
    return nat_shards[size_t(binding.shard)].has_live_node(underlay_v4);
  }

 private:
  friend Result<std::shared_ptr<const EdgeTable>> compile_edge_table(const program::Program&);
  static constexpr int32_t kEmpty = -1;
  std::vector<int32_t> public_slots_;   // binding index, kEmpty
  std::vector<int32_t> private_slots_;  // binding index, kEmpty
  size_t mask_ = 0;
  std::vector<uint32_t> vpcs_;  // sorted
};

Result<std::shared_ptr<const EdgeTable>> compile_edge_table(const program::Program& program);

}  // namespace openvpc::edge
