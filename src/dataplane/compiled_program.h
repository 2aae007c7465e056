// compiled_program.h — a Program compiled into the data plane's lookup tables.
//
// compile() validates a program::Program (every reference resolves, identifiers are unique)
// and builds an immutable CompiledProgram: local ENIs with their merged security-group
// policy, subnets with their ACL and route table resolved to indices, and flat open-addressing
// indices for the lookups the pipeline makes per flow (local ENI by number, VPC by VNI, ENI
// location by number, mapping by (VPC, address)). A CompiledProgram is never changed after
// compile() returns; workers share it read-only through a shared_ptr (program_publisher.h),
// and its generation tags every flow-cache entry computed under it. A flow log must name only
// this program's ENIs and a window > 0; the data plane keeps only each ENI's window (the
// router's files know the rest of the flow log). NAT gateways (program::NatGateway) are
// checked (unique ids, a non-zero ENI, IPv4 nodes, a known VPC when a route targets one) and
// kept with their shard's nodes in host order; a route to a gateway the program does not list
// compiles, and drops at lookup (the controller may send routes before placement).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "dataplane/acl.h"
#include "dataplane/route_table.h"
#include "program/program.h"

namespace openvpc::dataplane {

using packet::IpAddress;
using packet::MacAddress;

// Open addressing, power-of-two size, built once; maps a 32-bit id to an index.
class IdIndex {
 public:
  void build(const std::vector<uint32_t>& ids);
  int32_t find(uint32_t id) const {
    if (slots_.empty()) return -1;
    for (size_t i = hash(id) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].index < 0) return -1;
      if (slots_[i].id == id) return slots_[i].index;
    }
  }

 private:
  struct Slot {
    uint32_t id = 0;
    int32_t index = -1;
  };
  static size_t hash(uint32_t id) { return size_t(id * 0x9e3779b1u) ^ (id >> 16); }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

struct LocalEni {
  uint32_t id = 0;
  std::string name;
  uint32_t vpc = 0;
  uint32_t subnet = 0;  // index into CompiledProgram::subnets
  MacAddress mac;
  std::vector<IpAddress> addresses;
  bool source_dest_check = true;
  SecurityGroupPolicy security;
  // Aggregation window of its flow logs, the shortest when several cover it; 0: none (the
  // pipeline records nothing for it).
  uint32_t flow_log_window_seconds = 0;

  bool owns(const IpAddress& a) const {
    for (const auto& mine : addresses) {
      if (same_address(mine, a)) return true;
    }
    return false;
  }
};

struct CompiledSubnet {
  uint32_t id = 0;
  uint32_t vpc = 0;
  program::Cidr cidr;
  Prefix prefix;             // cidr, compiled
  uint32_t network_acl = 0;  // index into CompiledProgram::network_acls
  uint32_t route_table = 0;  // index into CompiledProgram::route_tables
  IpAddress router_address;  // base+1
  IpAddress dns_address;     // base+2
};

struct CompiledVpc {
  uint32_t id = 0;
  IpAddress dns_address;  // primary CIDR base+2
};

// Where an ENI lives: this host (local_index >= 0) or another host's underlay address.
struct EniLocation {
  uint32_t vpc = 0;
  IpAddress underlay;
  bool source_dest_check = true;
  int32_t local_index = -1;
};

// A NAT gateway a route of this program may target: its shard's nodes by slot, host order,
// 0 for a slot whose node is down (nat_shard.h picks the node).
struct CompiledNatGateway {
  uint32_t id = 0;
  uint32_t vpc = 0;
  uint32_t eni = 0;
  bool is_public = true;
  std::vector<uint32_t> nodes_v4;
};

// A network load balancer of one of this program's VPCs: its shard's nodes by slot, host
// order, 0 for a slot whose node is down. A client's packets for one of its addresses go to
// serving_node(nodes_v4, load_balancer_slot(client)) (nat_shard.h); so do a target's replies
// on a connection that came in through it (conntrack Connection::via).
struct CompiledLoadBalancer {
  uint32_t id = 0;
  uint32_t vpc = 0;
  std::vector<uint32_t> nodes_v4;
};

class CompiledProgram {
 public:
  uint64_t generation = 0;
  IpAddress host_underlay;
  uint32_t host_underlay_v4 = 0;  // host order, for the outer header
  MacAddress router_mac;
  std::vector<LocalEni> local_enis;
  std::vector<CompiledSubnet> subnets;
  std::vector<CompiledVpc> vpcs;
  std::vector<NetworkAclPolicy> network_acls;
  std::vector<RouteLookup> route_tables;
  std::vector<MemberSet> member_sets;
  std::vector<program::Mapping> mappings;
  std::vector<uint32_t> edge_nodes_v4;  // host order, as the program lists them (sorted)
  std::vector<CompiledNatGateway> nat_gateways;
  std::vector<CompiledLoadBalancer> load_balancers;

  int32_t find_local_eni(uint32_t id) const { return local_eni_index_.find(id); }
  const CompiledVpc* find_vpc(uint32_t vni) const;
  const EniLocation* find_eni(uint32_t id) const;
  const program::Mapping* find_mapping(uint32_t vpc, const IpAddress& address) const;
  const CompiledNatGateway* find_nat_gateway(uint32_t id) const;
  // The NAT gateway whose interface has ENI number `eni`, or nullptr (a scan: a VPC has few).
  const CompiledNatGateway* find_nat_gateway_interface(uint32_t eni) const;
  // Whether underlay is a live node of that gateway's shard.
  static bool is_nat_gateway_node(const CompiledNatGateway& gateway, const IpAddress& underlay);
  // The load balancer that owns the interface with ENI number `eni`, or nullptr.
  const CompiledLoadBalancer* find_load_balancer_interface(uint32_t eni) const;
  // Whether underlay is a live node of that load balancer's shard.
  static bool is_load_balancer_node(const CompiledLoadBalancer& lb, const IpAddress& underlay);
  // Whether a packet "from an edge/hyperplane node" (source ENI 0) of VPC vni may come from
  // underlay: a live edge node (any VPC of the program), or a live node of a NAT gateway of
  // that VPC.
  bool is_fleet_node(uint32_t vni, const IpAddress& underlay) const;
  // ARP is handled by the caller; this is the IP side: the subnet router (base+1), the DNS
  // resolver (subnet and VPC base+2, 169.254.169.253) and limited broadcast (DHCP).
  bool is_local_service(const LocalEni& eni, const IpAddress& destination) const;

 private:
  friend Result<std::shared_ptr<const CompiledProgram>> compile(const program::Program&);
  struct MappingSlot {
    uint32_t vpc = 0;
    int32_t index = -1;
    IpAddress address;
  };
  static uint64_t mapping_hash(uint32_t vpc, const IpAddress& address);
  void build_mapping_index();

  IdIndex local_eni_index_;
  IdIndex vpc_index_;
  IdIndex eni_location_index_;
  IdIndex nat_gateway_index_;
  IdIndex load_balancer_interface_index_;              // interface ENI -> position in the next
  std::vector<uint32_t> load_balancer_interface_lbs_;  // position -> index into load_balancers
  std::vector<uint64_t> nat_nodes_;  // (vpc << 32 | node host order), sorted, unique
  std::vector<EniLocation> eni_locations_;
  std::vector<MappingSlot> mapping_slots_;
  size_t mapping_mask_ = 0;
};

// Fails with code "program.invalid" and a message naming the first dangling reference or
// duplicate identifier. Pure: the same Program always compiles to the same tables.
Result<std::shared_ptr<const CompiledProgram>> compile(const program::Program& program);

}  // namespace openvpc::dataplane
