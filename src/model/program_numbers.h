// program_numbers.h — the 32-bit numbers by which programs name subnets, route tables, network
// ACLs, security groups, internet gateways and flow logs (NAT gateways, load balancers and
// target groups draw theirs from the same namespace).
//
// A number is drawn at random when the resource is created — never 0 (0 means "none" in a
// program) and never one that another resource of these kinds holds: one namespace for all of
// them, allocated like ENI numbers and VNIs — and stored with the resource, so it is the same
// on every host and across restarts. (Numbers used to be FNV hashes of the ids; a collision
// made compile() refuse a whole host program.) Resources read from a snapshot written before
// numbers were stored get theirs when the snapshot is decoded: FNV-1a of the id, probing past
// taken numbers in id order — a function of the snapshot, so every controller derives the same.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "model/ids.h"
#include "model/region.h"

namespace openvpc::model {

// An unused number for a new subnet, route table, network ACL, security group, internet
// gateway, flow log, NAT gateway, load balancer or target group.
uint32_t new_program_number(Region& region, IdSource& ids);

// Gives every resource of those kinds that has number 0 a unique one (see above).
void number_unnumbered(Region& region);

// The number of resource `id` in `resources`; 0 when there is no such resource.
template <typename Resource>
uint32_t program_number_of(const ResourceMap<Resource>& resources, const std::string& id) {
  auto it = resources.find(id);
  return it == resources.end() ? 0 : it->second.number;
}

}  // namespace openvpc::model
