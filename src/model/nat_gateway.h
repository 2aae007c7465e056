// nat_gateway.h — NAT gateways: EC2's lifecycle over the hyperplane fleet.
//
// Creating one claims an interface in its subnet (InterfaceType nat_gateway, requester-managed,
// no security group) with one private address per NAT address, and — for a public NAT gateway —
// associates each elastic IP with one of those addresses, so the edge's 1:1 NAT maps the
// interface's private address to the EIP like any other. It starts "pending"; the controller's
// placement (advance_nat_gateways) puts it on a shard of live hyperplane nodes, and it becomes
// "available" once those nodes have acknowledged a program that carries it. Deleting makes it
// "deleting"; the next advance releases its addresses and interface ("deleted"), and a deleted or
// failed NAT gateway stays describable for an hour. A public NAT gateway in a VPC without an
// attached internet gateway is created "failed" with FailureCode Gateway.NotAttached and holds
// nothing (as EC2 does).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/operations.h"

namespace openvpc::model {

inline constexpr int kNatGatewaysPerAvailabilityZone = 5;
inline constexpr size_t kNatGatewayAddresses = 8;              // primary + 7 secondary
inline constexpr int64_t kNatGatewayDeletedRetentionS = 3600;  // describable after deleted

struct NatGatewayRequest {
  std::string subnet_id;
  std::string connectivity_type = "public";
  std::string allocation_id;                          // public: required
  std::vector<std::string> secondary_allocation_ids;  // public
  std::string private_ip;                             // empty: the subnet's first free one
  std::vector<std::string> secondary_private_ips;     // private: explicit secondary addresses
  int secondary_private_ip_count = 0;                 // private: that many free addresses
};

Result<std::string> create_nat_gateway(Region& region, const Caller& caller,
                                       const NatGatewayRequest& request);
// pending/available/failed -> deleting (deleting/deleted: unchanged). NatGatewayNotFound.
Result<void> delete_nat_gateway(Region& region, const Caller& caller, const std::string& id);

// AssociateNatGatewayAddress: each elastic IP of a public NAT gateway gets an address of its
// interface (private_ips, in order, else the subnet's lowest free) and is associated with it;
// at most kNatGatewayAddresses in all. The new addresses are "associating" until the next
// advance. Returns them. Errors as EC2: NatGatewayNotFound, InvalidAllocationID.NotFound,
// Resource.AlreadyAssociated, AddressLimitExceeded, IncorrectState (not pending/available),
// InvalidParameterValue (a private NAT gateway, more private IPs than allocations).
Result<std::vector<NatGatewayAddress>> associate_nat_gateway_address(
    Region& region, const Caller& caller, const std::string& id,
    const std::vector<std::string>& allocation_ids, const std::vector<std::string>& private_ips);
// DisassociateNatGatewayAddress: the secondary addresses with these association ids go
// "disassociating"; the next advance releases their elastic IP and private address (and the
// flows through them end). The primary address cannot be disassociated. Returns them.
// InvalidAssociationID.NotFound for an id that is not one of its secondary addresses.
Result<std::vector<NatGatewayAddress>> disassociate_nat_gateway_address(
    Region& region, const Caller& caller, const std::string& id,
    const std::vector<std::string>& association_ids);

// What placement decided: the shard of each NAT gateway (hyperplane node ids, slot order), and
// the NAT gateways whose shard's live nodes have all acknowledged a program carrying them.
// advance_nat_gateways applies it and moves states on: a pending one with a shard becomes
// available once it is carried; an available one stays available while it has a shard (a node
// that replaces a dead one does not take its routes away from the survivors); one without a
// shard is pending. Returns whether anything changed.
struct NatPlacement {
  std::map<std::string, std::vector<std::string>> shards;  // nat id -> nodes
  std::set<std::string> carried;                           // nat ids
};
bool advance_nat_gateways(Region& region, const NatPlacement& placement, int64_t now);

// Whether a NAT gateway still counts (against quotas, as a route target, for its addresses).
inline bool nat_gateway_live(const NatGateway& nat) {
  return nat.state == "pending" || nat.state == "available";
}

}  // namespace openvpc::model
