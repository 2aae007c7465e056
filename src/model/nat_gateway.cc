// NAT gateways: creation with their interface and addresses, deletion, and the state machine
// the controller's placement drives (nat_gateway.h).
#include "model/nat_gateway.h"

#include <algorithm>
#include <utility>

#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

Result<NatGateway*> find_nat(Region& region, const Caller& caller, const std::string& id) {
  auto it = region.nat_gateways.find(id);
  if (it == region.nat_gateways.end() || it->second.owner != caller.account_id) {
    return make_error("NatGatewayNotFound", "The Nat Gateway " + id + " was not found");
  }
  return &it->second;
}

bool vpc_has_internet_gateway(const Region& region, const std::string& vpc_id) {
  return std::any_of(region.internet_gateways.cbegin(), region.internet_gateways.cend(),
                     [&](const auto& e) { return e.second.attached_vpc_id == vpc_id; });
}

// The elastic IPs of a public request: each exists, is the caller's, is free, appears once.
Result<std::vector<std::string>> check_allocations(Region& region, const Caller& caller,
                                                   const NatGatewayRequest& request) {
  std::vector<std::string> ids;
  if (request.allocation_id.empty()) {
    return make_error("MissingParameter",
                      "The request must contain the parameter AllocationId for a public NAT "
                      "gateway");
  }
  ids.push_back(request.allocation_id);
  ids.insert(ids.end(), request.secondary_allocation_ids.begin(),
             request.secondary_allocation_ids.end());
  if (ids.size() > kNatGatewayAddresses) {
    return make_error("AddressLimitExceeded", "A NAT gateway can have at most 8 addresses.");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    auto address =
        find_owned(region.addresses, caller, ids[i], "InvalidAllocationID.NotFound", "allocation");
    if (!address) return address.error();
    if (!(*address)->association_id.empty() ||
        std::find(ids.begin(), ids.begin() + static_cast<long>(i), ids[i]) !=
            ids.begin() + static_cast<long>(i)) {
      return make_error("Resource.AlreadyAssociated",
                        "Elastic IP address [" + ids[i] + "] is already associated");
    }
    for (const auto& [nat_id, nat] : std::as_const(region.nat_gateways)) {
      if (!nat_gateway_live(nat)) continue;
      for (const auto& a : nat.addresses) {
        if (a.allocation_id == ids[i]) {
          return make_error("Resource.AlreadyAssociated",
                            "Elastic IP address [" + ids[i] + "] is already associated");
        }
      }
    }
  }
  return ids;
}

void release_resources(Region& region, NatGateway& nat) {
  for (auto& [allocation_id, address] : region.addresses) {
    if (!nat.network_interface_id.empty() &&
        address.network_interface_id == nat.network_interface_id) {
      address.association_id.clear();
      address.network_interface_id.clear();
      address.private_ip.clear();
      address.instance_id.clear();
    }
  }
  if (!nat.network_interface_id.empty()) {
    erase_if(region.flow_logs,
             [&](const auto& e) { return e.second.resource_id == nat.network_interface_id; });
    region.network_interfaces.erase(nat.network_interface_id);
  }
  for (auto& address : nat.addresses) {
    address.association_id.clear();
    address.status = "succeeded";
  }
  nat.shard.clear();
}

}  // namespace

Result<std::string> create_nat_gateway(Region& region, const Caller& caller,
                                       const NatGatewayRequest& request) {
  auto subnet =
      find_owned(region.subnets, caller, request.subnet_id, "InvalidSubnetID.NotFound", "subnet");
  if (!subnet) return subnet.error();
  const bool is_public = request.connectivity_type == "public";
  if (!is_public && request.connectivity_type != "private") {
    return invalid_parameter("Value (" + request.connectivity_type +
                             ") for parameter ConnectivityType is invalid.");
  }
  if (!is_public && (!request.allocation_id.empty() || !request.secondary_allocation_ids.empty())) {
    return make_error("InvalidParameterCombination",
                      "A private NAT gateway cannot have elastic IP addresses.");
  }
  if (is_public &&
      (!request.secondary_private_ips.empty() || request.secondary_private_ip_count > 0)) {
    return make_error("InvalidParameterCombination",
                      "A public NAT gateway takes secondary addresses as SecondaryAllocationIds.");
  }
  const auto in_zone =
      std::count_if(region.nat_gateways.cbegin(), region.nat_gateways.cend(), [&](const auto& e) {
        const auto& nat = e.second;
        auto other = region.subnets.find(nat.subnet_id);
        return nat.owner == caller.account_id && nat_gateway_live(nat) &&
               other != region.subnets.end() &&
               other->second.availability_zone == (*subnet)->availability_zone;
      });
  if (in_zone >= kNatGatewaysPerAvailabilityZone) {
    return make_error("NatGatewayLimitExceeded",
                      "The maximum number of NAT gateways in this availability zone has been "
                      "reached.");
  }
  std::vector<std::string> allocations;
  if (is_public) {
    auto checked = check_allocations(region, caller, request);
    if (!checked) return checked.error();
    allocations = std::move(*checked);
  }
  size_t secondary_count =
      is_public ? allocations.size() - 1
                : request.secondary_private_ips.size() +
                      static_cast<size_t>(std::max(0, request.secondary_private_ip_count));
  if (secondary_count + 1 > kNatGatewayAddresses) {
    return make_error("AddressLimitExceeded", "A NAT gateway can have at most 8 addresses.");
  }

  NatGateway nat;
  nat.id = caller.ids->resource_id("nat");
  nat.owner = caller.account_id;
  nat.vpc_id = (*subnet)->vpc_id;
  nat.subnet_id = request.subnet_id;
  nat.number = new_program_number(region, *caller.ids);
  nat.connectivity_type = request.connectivity_type;
  nat.create_time = iso8601(caller.now);
  nat.state_since = caller.now;
  if (is_public && !vpc_has_internet_gateway(region, nat.vpc_id)) {
    nat.state = "failed";  // EC2 accepts the request and fails the gateway
    nat.failure_code = "Gateway.NotAttached";
    nat.failure_message = "Network " + nat.vpc_id + " has no Internet gateway attached";
    for (size_t i = 0; i < allocations.size(); ++i) {
      nat.addresses.push_back({.allocation_id = allocations[i],
                               .association_id = "",
                               .public_ip = region.addresses[allocations[i]].public_ip,
                               .network_interface_id = "",
                               .private_ip = "",
                               .is_primary = i == 0,
                               .status = "failed"});
    }
    std::string id = nat.id;
    region.nat_gateways[id] = std::move(nat);
    return id;
  }

  // The interface: explicit addresses are claimed by the ENI model (validated there), the rest
  // are the subnet's lowest free ones.
  InterfaceRequest eni_request{.subnet_id = request.subnet_id,
                               .private_ip = request.private_ip,
                               .group_ids = {},
                               .description = "Interface for NAT Gateway " + nat.id,
                               .secondary_count = 0};
  auto eni_id = create_network_interface(region, caller, eni_request);
  if (!eni_id) return eni_id.error();
  NetworkInterface& eni = region.network_interfaces.at(*eni_id);
  eni.interface_type = "nat_gateway";
  eni.requester_managed = true;
  eni.group_ids.clear();  // a NAT gateway has no security group
  eni.source_dest_check = false;
  if (!request.secondary_private_ips.empty()) {
    auto added =
        assign_private_ip_addresses(region, caller, *eni_id, request.secondary_private_ips, 0);
    if (!added) return added.error();
  }
  const size_t free_count = secondary_count - request.secondary_private_ips.size();
  if (free_count > 0) {
    auto added =
        assign_private_ip_addresses(region, caller, *eni_id, {}, static_cast<int>(free_count));
    if (!added) return added.error();
  }
  const NetworkInterface& claimed = region.network_interfaces.at(*eni_id);
  std::vector<std::string> private_ips{claimed.private_ip};
  private_ips.insert(private_ips.end(), claimed.secondary_private_ips.begin(),
                     claimed.secondary_private_ips.end());
  nat.network_interface_id = *eni_id;
  for (size_t i = 0; i < private_ips.size(); ++i) {
    NatGatewayAddress address{.allocation_id = "",
                              .association_id = "",
                              .public_ip = "",
                              .network_interface_id = *eni_id,
                              .private_ip = private_ips[i],
                              .is_primary = i == 0,
                              .status = "succeeded"};
    if (is_public) {
      auto association =
          associate_address(region, caller, {allocations[i], "", *eni_id, private_ips[i], false});
      if (!association) return association.error();
      address.allocation_id = allocations[i];
      address.association_id = *association;
      address.public_ip = region.addresses.at(allocations[i]).public_ip;
    }
    nat.addresses.push_back(std::move(address));
  }
  std::string id = nat.id;
  region.nat_gateways[id] = std::move(nat);
  return id;
}

Result<void> delete_nat_gateway(Region& region, const Caller& caller, const std::string& id) {
  auto nat = find_nat(region, caller, id);
  if (!nat) return nat.error();
  if ((*nat)->state == "deleting" || (*nat)->state == "deleted") return {};
  (*nat)->state = "deleting";
  (*nat)->delete_time = iso8601(caller.now);
  (*nat)->state_since = caller.now;
  for (auto& address : (*nat)->addresses) {
    if (!address.association_id.empty()) address.status = "disassociating";
  }
  return {};
}

Result<std::vector<NatGatewayAddress>> associate_nat_gateway_address(
    Region& region, const Caller& caller, const std::string& id,
    const std::vector<std::string>& allocation_ids, const std::vector<std::string>& private_ips) {
  auto nat = find_nat(region, caller, id);
  if (!nat) return nat.error();
  if (!nat_gateway_live(**nat)) {
    return make_error("IncorrectState",
                      "The NAT gateway " + id + " is in state " + (*nat)->state + ".");
  }
  if ((*nat)->connectivity_type != "public") {
    return invalid_parameter("A private NAT gateway cannot have elastic IP addresses.");
  }
  if (allocation_ids.empty()) {
    return make_error("MissingParameter", "The request must contain the parameter AllocationId");
  }
  if (private_ips.size() > allocation_ids.size()) {
    return invalid_parameter("More private IP addresses than allocation IDs were given.");
  }
  if ((*nat)->addresses.size() + allocation_ids.size() > kNatGatewayAddresses) {
    return make_error("AddressLimitExceeded", "A NAT gateway can have at most 8 addresses.");
  }
  NatGatewayRequest request;
  request.allocation_id = allocation_ids.front();
  request.secondary_allocation_ids.assign(allocation_ids.begin() + 1, allocation_ids.end());
  auto checked = check_allocations(region, caller, request);
  if (!checked) return checked.error();
  const std::string eni_id = (*nat)->network_interface_id;
  std::vector<std::string> added;
  if (!private_ips.empty()) {
    auto given = assign_private_ip_addresses(region, caller, eni_id, private_ips, 0);
    if (!given) return given.error();
    added = *given;
  }
  if (allocation_ids.size() > private_ips.size()) {
    auto free = assign_private_ip_addresses(region, caller, eni_id, {},
                                            int(allocation_ids.size() - private_ips.size()));
    if (!free) return free.error();
    added.insert(added.end(), free->begin(), free->end());
  }
  std::vector<NatGatewayAddress> out;
  for (size_t i = 0; i < allocation_ids.size() && i < added.size(); ++i) {
    auto association =
        associate_address(region, caller, {allocation_ids[i], "", eni_id, added[i], false});
    if (!association) return association.error();
    NatGatewayAddress address{.allocation_id = allocation_ids[i],
                              .association_id = *association,
                              .public_ip = region.addresses.at(allocation_ids[i]).public_ip,
                              .network_interface_id = eni_id,
                              .private_ip = added[i],
                              .is_primary = false,
                              .status = "associating"};
    (*nat)->addresses.push_back(address);
    out.push_back(std::move(address));
  }
  return out;
}

Result<std::vector<NatGatewayAddress>> disassociate_nat_gateway_address(
    Region& region, const Caller& caller, const std::string& id,
    const std::vector<std::string>& association_ids) {
  auto nat = find_nat(region, caller, id);
  if (!nat) return nat.error();
  if (!nat_gateway_live(**nat)) {
    return make_error("IncorrectState",
                      "The NAT gateway " + id + " is in state " + (*nat)->state + ".");
  }
  if (association_ids.empty()) {
    return make_error("MissingParameter", "The request must contain the parameter AssociationId");
  }
  std::vector<NatGatewayAddress*> found;
  for (const auto& association_id : association_ids) {
    auto it = std::find_if((*nat)->addresses.begin(), (*nat)->addresses.end(),
                           [&](const auto& a) { return a.association_id == association_id; });
    if (it == (*nat)->addresses.end()) {
      return make_error("InvalidAssociationID.NotFound",
                        "The association ID '" + association_id + "' does not exist");
    }
    if (it->is_primary) {
      return invalid_parameter("The primary address of NAT gateway " + id +
                               " cannot be disassociated.");
    }
    found.push_back(&*it);
  }
  std::vector<NatGatewayAddress> out;
  for (auto* address : found) {
    address->status = "disassociating";
    out.push_back(*address);
  }
  return out;
}

namespace {

// Releases the secondary addresses that are disassociating: the elastic IP is free again and
// the private address leaves the interface.
bool release_disassociated(Region& region, NatGateway& nat) {
  bool changed = false;
  for (auto it = nat.addresses.begin(); it != nat.addresses.end();) {
    if (it->status == "associating") {
      it->status = "succeeded";
      changed = true;
    }
    if (it->status != "disassociating" || it->is_primary) {
      ++it;
      continue;
    }
    if (auto address = region.addresses.find(it->allocation_id);
        address != region.addresses.end()) {
      address->second.association_id.clear();
      address->second.network_interface_id.clear();
      address->second.private_ip.clear();
      address->second.instance_id.clear();
    }
    if (auto eni = region.network_interfaces.find(nat.network_interface_id);
        eni != region.network_interfaces.end()) {
      std::erase(eni->second.secondary_private_ips, it->private_ip);
    }
    it = nat.addresses.erase(it);
    changed = true;
  }
  return changed;
}

}  // namespace

bool advance_nat_gateways(Region& region, const NatPlacement& placement, int64_t now) {
  bool changed = false;
  std::vector<std::string> expired;
  for (auto& [id, nat] : region.nat_gateways) {
    if (nat.state == "pending" || nat.state == "available") {
      changed |= release_disassociated(region, nat);
      auto shard = placement.shards.find(id);
      std::vector<std::string> nodes =
          shard == placement.shards.end() ? std::vector<std::string>{} : shard->second;
      if (nodes != nat.shard) {
        nat.shard = std::move(nodes);
        changed = true;
      }
      // Pending (its routes blackholes) until the nodes of its shard run it: a router sending
      // to it earlier would have its flows dropped by nodes that do not know it yet. Available
      // then while at least one node is in its shard; with none it waits again.
      std::string state = nat.state;
      if (nat.shard.empty()) {
        state = "pending";
      } else if (nat.state == "pending" && placement.carried.contains(id)) {
        state = "available";
      }
      if (state != nat.state) {
        nat.state = state;
        nat.state_since = now;
        changed = true;
      }
    } else if (nat.state == "deleting") {
      release_resources(region, nat);
      nat.state = "deleted";
      nat.state_since = now;
      changed = true;
    } else if (now - nat.state_since >= kNatGatewayDeletedRetentionS) {
      expired.push_back(id);  // deleted or failed, and describable long enough
    }
  }
  for (const auto& id : expired) region.nat_gateways.erase(id);
  return changed || !expired.empty();
}

}  // namespace openvpc::model
