// Elastic IPs: public addresses from the region's pool (198.51.100.0/24, a documentation
// range: openvpc never routes it outside the host), mapped 1:1 onto one private address of an
// interface in a VPC that has an internet gateway.
#include <algorithm>

#include "model/cidr.h"
#include "model/operations.h"

namespace openvpc::model {

namespace {

constexpr uint32_t kPoolBase = (198u << 24) | (51u << 16) | (100u << 8);

Result<ElasticAddress*> find_allocation(Region& region, const Caller& caller,
                                        const std::string& id) {
  return find_owned(region.addresses, caller, id, "InvalidAllocationID.NotFound", "allocation");
}

}  // namespace

Result<std::string> allocate_address(Region& region, const Caller& caller) {
  auto count = std::count_if(region.addresses.begin(), region.addresses.end(),
                             [&](const auto& e) { return e.second.owner == caller.account_id; });
  if (count >= caller.limits.elastic_ips_per_account) {
    return make_error("AddressLimitExceeded", "The maximum number of addresses has been reached.");
  }
  for (uint32_t host = 1; host < 255; ++host) {
    std::string ip = IpAddress::v4(kPoolBase + host).to_string();
    bool used = std::any_of(region.addresses.begin(), region.addresses.end(),
                            [&](const auto& e) { return e.second.public_ip == ip; });
    if (used) continue;
    ElasticAddress address;
    address.allocation_id = caller.ids->resource_id("eipalloc");
    address.owner = caller.account_id;
    address.public_ip = ip;
    std::string id = address.allocation_id;
    region.addresses[id] = std::move(address);
    return id;
  }
  return make_error("InsufficientAddressCapacity", "The region's address pool is exhausted.");
}

Result<std::string> associate_address(Region& region, const Caller& caller,
                                      const std::string& allocation_id,
                                      const std::string& instance_id,
                                      const std::string& network_interface_id,
                                      const std::string& private_ip) {
  auto address = find_allocation(region, caller, allocation_id);
  if (!address) return address.error();
  std::string eni_id = network_interface_id;
  if (!instance_id.empty()) {
    auto instance =
        find_owned(region.instances, caller, instance_id, "InvalidInstanceID.NotFound", "instance");
    if (!instance) return instance.error();
    eni_id = (*instance)->primary_interface_id;
  }
  if (eni_id.empty())
    return make_error("MissingParameter", "Either instance ID or network interface ID is required");
  auto eni = find_owned(region.network_interfaces, caller, eni_id,
                        "InvalidNetworkInterfaceID.NotFound", "network interface");
  if (!eni) return eni.error();
  std::string ip = private_ip.empty() ? (*eni)->private_ip : private_ip;
  const auto& secondary = (*eni)->secondary_private_ips;
  if (ip != (*eni)->private_ip &&
      std::find(secondary.begin(), secondary.end(), ip) == secondary.end()) {
    return invalid_parameter("The private IP address " + ip + " is not assigned to " + eni_id);
  }
  bool has_gateway =
      std::any_of(region.internet_gateways.begin(), region.internet_gateways.end(),
                  [&](const auto& e) { return e.second.attached_vpc_id == (*eni)->vpc_id; });
  if (!has_gateway) {
    return make_error("Gateway.NotAttached",
                      "Network " + (*eni)->vpc_id + " is not attached to any internet gateway");
  }
  for (const auto& [id, other] : region.addresses) {
    if (other.network_interface_id == eni_id && other.private_ip == ip) {
      return make_error("Resource.AlreadyAssociated",
                        "The address " + ip + " already has an elastic IP associated");
    }
  }
  if (!(*address)->association_id.empty()) {
    return make_error("Resource.AlreadyAssociated",
                      "The address " + (*address)->public_ip + " is already associated");
  }
  (*address)->association_id = caller.ids->resource_id("eipassoc");
  (*address)->network_interface_id = eni_id;
  (*address)->private_ip = ip;
  (*address)->instance_id = (*eni)->attached ? (*eni)->attachment.instance_id : "";
  return (*address)->association_id;
}

Result<void> disassociate_address(Region& region, const Caller& caller,
                                  const std::string& association_id) {
  for (auto& [id, address] : region.addresses) {
    if (address.owner != caller.account_id || address.association_id != association_id) continue;
    address.association_id.clear();
    address.network_interface_id.clear();
    address.private_ip.clear();
    address.instance_id.clear();
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
