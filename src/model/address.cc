// Elastic IPs and launch-time public IPs: public IPv4 addresses from the region's pools
// (Caller::public_pools, the controller's --public-pool; RFC 5737 documentation ranges in
// tests and the demo), each mapped 1:1 onto one private address of an interface. The edge
// (src/edge) translates between the two for VPCs with an attached internet gateway.
//
// Associating an elastic IP with an interface's primary address releases the public IP the
// interface got at launch; disassociating it gives the interface a new one (as EC2 does).
#include <algorithm>
#include <set>
#include <utility>

#include "model/cidr.h"
#include "model/operations.h"

namespace openvpc::model {

namespace {

Result<ElasticAddress*> find_allocation(Region& region, const Caller& caller,
                                        const std::string& id) {
  return find_owned(region.addresses, caller, id, "InvalidAllocationID.NotFound", "allocation");
}

std::set<std::string> public_ips_in_use(const Region& region) {
  std::set<std::string> used;
  for (const auto& [id, address] : std::as_const(region.addresses)) used.insert(address.public_ip);
  for (const auto& [id, eni] : std::as_const(region.network_interfaces)) {
    if (!eni.public_ip.empty()) used.insert(eni.public_ip);
  }
  return used;
}

void clear_association(ElasticAddress& address) {
  address.association_id.clear();
  address.network_interface_id.clear();
  address.private_ip.clear();
  address.instance_id.clear();
}

// After an elastic IP left (eni, private_ip): a primary address that had a launch-time public
// IP gets a new one. Nothing when the pool is exhausted (the interface stays private).
void restore_launch_public_ip(Region& region, const Caller& caller, const std::string& eni_id,
                              const std::string& private_ip) {
  auto eni = region.network_interfaces.find(eni_id);
  if (eni == region.network_interfaces.end() || !eni->second.auto_public_ip ||
      eni->second.private_ip != private_ip || !eni->second.public_ip.empty()) {
    return;
  }
  if (auto ip = claim_public_ip(region, caller)) eni->second.public_ip = *ip;
}

void disassociate(Region& region, const Caller& caller, ElasticAddress& address) {
  const std::string eni_id = address.network_interface_id;
  const std::string private_ip = address.private_ip;
  clear_association(address);
  restore_launch_public_ip(region, caller, eni_id, private_ip);
}

}  // namespace

Result<std::string> claim_public_ip(const Region& region, const Caller& caller) {
  const auto used = public_ips_in_use(region);
  for (const auto& pool_text : caller.public_pools) {
    auto pool = parse_ipv4_block(pool_text);
    if (!pool) continue;
    // Skip a pool's network and broadcast address unless it is a /31 or /32.
    const bool edges = pool->prefix_length < 31;
    const uint64_t first = uint64_t(pool->address.v4_host_order()) + (edges ? 1 : 0);
    const uint64_t last = uint64_t(pool->last().v4_host_order()) - (edges ? 1 : 0);
    for (uint64_t host = first; host <= last; ++host) {
      std::string ip = IpAddress::v4(uint32_t(host)).to_string();
      if (!used.contains(ip)) return ip;
    }
  }
  return make_error("InsufficientAddressCapacity", "The region's address pool is exhausted.");
}

std::optional<PublicAddress> public_address_of(const Region& region, const NetworkInterface& eni,
                                               const std::string& private_ip) {
  for (const auto& [id, address] : std::as_const(region.addresses)) {
    if (address.network_interface_id == eni.id && address.private_ip == private_ip &&
        !address.association_id.empty()) {
      return PublicAddress{address.public_ip, address.allocation_id, address.association_id,
                           address.owner};
    }
  }
  if (!eni.public_ip.empty() && private_ip == eni.private_ip) {
    return PublicAddress{eni.public_ip, "", "", "amazon"};
  }
  return std::nullopt;
}

Result<std::string> allocate_address(Region& region, const Caller& caller) {
  auto count = std::count_if(region.addresses.cbegin(), region.addresses.cend(),
                             [&](const auto& e) { return e.second.owner == caller.account_id; });
  if (count >= caller.limits.elastic_ips_per_account) {
    return make_error("AddressLimitExceeded", "The maximum number of addresses has been reached.");
  }
  auto ip = claim_public_ip(region, caller);
  if (!ip) return ip.error();
  ElasticAddress address;
  address.allocation_id = caller.ids->resource_id("eipalloc");
  address.owner = caller.account_id;
  address.public_ip = *ip;
  std::string id = address.allocation_id;
  region.addresses[id] = std::move(address);
  return id;
}

Result<std::string> associate_address(Region& region, const Caller& caller,
                                      const AssociateAddressRequest& request) {
  auto address = find_allocation(region, caller, request.allocation_id);
  if (!address) return address.error();
  std::string eni_id = request.network_interface_id;
  if (!request.instance_id.empty()) {
    auto instance = find_owned(region.instances, caller, request.instance_id,
                               "InvalidInstanceID.NotFound", "instance");
    if (!instance) return instance.error();
    if ((*instance)->state != "running") {
      return make_error(
          "IncorrectInstanceState",
          "The instance '" + request.instance_id + "' is not in a valid state for this operation.");
    }
    if (eni_id.empty()) eni_id = (*instance)->primary_interface_id;
  }
  if (eni_id.empty())
    return make_error("MissingParameter", "Either instance ID or network interface ID is required");
  auto eni = find_owned(region.network_interfaces, caller, eni_id,
                        "InvalidNetworkInterfaceID.NotFound", "network interface");
  if (!eni) return eni.error();
  std::string ip = request.private_ip.empty() ? (*eni)->private_ip : request.private_ip;
  const auto& secondary = (*eni)->secondary_private_ips;
  if (ip != (*eni)->private_ip &&
      std::find(secondary.begin(), secondary.end(), ip) == secondary.end()) {
    return invalid_parameter("The private IP address " + ip + " is not assigned to " + eni_id);
  }
  bool has_gateway =
      std::any_of(region.internet_gateways.cbegin(), region.internet_gateways.cend(),
                  [&](const auto& e) { return e.second.attached_vpc_id == (*eni)->vpc_id; });
  if (!has_gateway) {
    return make_error("Gateway.NotAttached",
                      "Network " + (*eni)->vpc_id + " is not attached to any internet gateway");
  }
  ElasticAddress* current = nullptr;  // another elastic IP on the same private address
  for (auto& [id, other] : region.addresses) {
    if (id != request.allocation_id && other.network_interface_id == eni_id &&
        other.private_ip == ip) {
      current = &other;
    }
  }
  const bool moving = !(*address)->association_id.empty();
  if ((moving || current != nullptr) && !request.allow_reassociation) {
    return make_error("Resource.AlreadyAssociated",
                      moving ? "The address " + (*address)->public_ip + " is already associated"
                             : "The address " + ip + " already has an elastic IP associated");
  }
  if (current != nullptr) clear_association(*current);
  if (moving) disassociate(region, caller, **address);
  (*address)->association_id = caller.ids->resource_id("eipassoc");
  (*address)->network_interface_id = eni_id;
  (*address)->private_ip = ip;
  (*address)->instance_id = (*eni)->attached ? (*eni)->attachment.instance_id : "";
  if (ip == (*eni)->private_ip) (*eni)->public_ip.clear();  // the elastic IP replaces it
  return (*address)->association_id;
}

Result<void> disassociate_address(Region& region, const Caller& caller,
                                  const std::string& association_id) {
  for (auto& [id, address] : region.addresses) {
    if (address.owner != caller.account_id || address.association_id != association_id) continue;
    disassociate(region, caller, address);
    return {};
  }
  return make_error("InvalidAssociationID.NotFound",
                    "The association ID '" + association_id + "' does not exist");
}

Result<void> release_address(Region& region, const Caller& caller,
                             const std::string& allocation_id) {
  auto address = find_allocation(region, caller, allocation_id);
  if (!address) return address.error();
  if (!(*address)->association_id.empty()) {
    return make_error("InvalidIPAddress.InUse", "Address " + (*address)->public_ip + " is in use.");
  }
  region.addresses.erase(allocation_id);
  return {};
}

}  // namespace openvpc::model
