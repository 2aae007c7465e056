// Network interfaces: private addresses inside the subnet, never one of its five reserved
// addresses and never one already in use; a region-unique 32-bit number and MAC address.
#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "model/cidr.h"
#include "model/operations.h"

namespace openvpc::model {

namespace {

constexpr int kAddressesPerInterface = 30;

Result<NetworkInterface*> find_interface(Region& region, const Caller& caller,
                                         const std::string& id) {
  return find_owned(region.network_interfaces, caller, id, "InvalidNetworkInterfaceID.NotFound",
                    "network interface");
}

std::set<uint32_t> used_addresses(const Region& region, const std::string& subnet_id) {
  std::set<uint32_t> used;
  for (const auto& [id, eni] : std::as_const(region.network_interfaces)) {
    if (eni.subnet_id != subnet_id) continue;
    used.insert(parse_ipv4(eni.private_ip)->v4_host_order());
    for (const auto& ip : eni.secondary_private_ips) {
      used.insert(parse_ipv4(ip)->v4_host_order());
    }
  }
  return used;
}

// Checks a requested address, or picks the lowest free one when requested is empty.
Result<std::string> claim_address(const Cidr& block, std::set<uint32_t>& used,
                                  const std::string& requested) {
  if (requested.empty()) {
    const uint32_t last = block.last().v4_host_order();
    for (uint32_t address = block.address.v4_host_order() + 4; address < last; ++address) {
      if (used.insert(address).second) return IpAddress::v4(address).to_string();
    }
    return make_error("InsufficientFreeAddressesInSubnet",
                      "There are not enough free addresses in subnet '" + block.to_string() +
                          "' to satisfy the requested number of instances.");
  }
  auto address = parse_ipv4(requested);
  if (!address) return address.error();
  if (!block.contains(*address)) {
    return invalid_parameter("Address " + requested +
                             " does not fall within the subnet's address range");
  }
  if (is_reserved(block, *address)) {
    return invalid_parameter("Address " + requested + " is in subnet's reserved address range");
  }
  if (!used.insert(address->v4_host_order()).second) {
    return make_error("InvalidIPAddress.InUse", "Address " + requested + " is in use.");
  }
  return requested;
}

Result<std::vector<std::string>> check_groups(Region& region, const Caller& caller,
                                              const std::string& vpc_id,
                                              std::vector<std::string> group_ids) {
  if (group_ids.empty()) group_ids.push_back(region.vpcs[vpc_id].default_security_group_id);
  if (static_cast<int>(group_ids.size()) > caller.limits.security_groups_per_interface) {
    return make_error("SecurityGroupsPerInterfaceLimitExceeded",
                      "The maximum number of security groups per interface has been reached.");
  }
  for (const auto& id : group_ids) {
    auto group =
        find_owned(region.security_groups, caller, id, "InvalidGroup.NotFound", "security group");
    if (!group) {
      return make_error("InvalidGroup.NotFound", "The security group '" + id + "' does not exist");
    }
    if ((*group)->vpc_id != vpc_id) {
      return invalid_parameter("Security group " + id + " belongs to a different network");
    }
  }
  std::sort(group_ids.begin(), group_ids.end());
  group_ids.erase(std::unique(group_ids.begin(), group_ids.end()), group_ids.end());
  return group_ids;
}

void assign_identity(Region& region, const Caller& caller, NetworkInterface& eni) {
  for (;;) {
    uint32_t number = caller.ids->random32();
    uint32_t mac_low = caller.ids->random32();
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x", number >> 24 & 0xff,
                  mac_low >> 24 & 0xff, mac_low >> 16 & 0xff, mac_low >> 8 & 0xff, mac_low & 0xff);
    bool taken = number == 0 || std::any_of(region.network_interfaces.cbegin(),
                                            region.network_interfaces.cend(), [&](const auto& e) {
                                              return e.second.number == number ||
                                                     e.second.mac_address == mac;
                                            });
    if (taken) continue;
    eni.number = number;
    eni.mac_address = mac;
    return;
  }
}

}  // namespace

Result<std::string> create_network_interface(Region& region, const Caller& caller,
                                             const InterfaceRequest& request) {
  auto subnet =
      find_owned(region.subnets, caller, request.subnet_id, "InvalidSubnetID.NotFound", "subnet");
  if (!subnet) return subnet.error();
  auto count = std::count_if(region.network_interfaces.cbegin(), region.network_interfaces.cend(),
                             [&](const auto& e) { return e.second.owner == caller.account_id; });
  if (count >= caller.limits.network_interfaces_per_account) {
    return make_error("NetworkInterfaceLimitExceeded",
                      "The maximum number of network interfaces has been reached.");
  }
  auto groups = check_groups(region, caller, (*subnet)->vpc_id, request.group_ids);
  if (!groups) return groups.error();
  if (request.secondary_count < 0 || request.secondary_count >= kAddressesPerInterface) {
    return make_error("PrivateIpAddressLimitExceeded", "Too many private addresses requested");
  }
  Cidr block = *parse_ipv4_block((*subnet)->cidr);
  auto used = used_addresses(region, request.subnet_id);
  auto primary = claim_address(block, used, request.private_ip);
  if (!primary) return primary.error();
  NetworkInterface eni;
  for (int i = 0; i < request.secondary_count; ++i) {
    auto secondary = claim_address(block, used, "");
    if (!secondary) return secondary.error();
    eni.secondary_private_ips.push_back(*secondary);
  }
  eni.id = caller.ids->resource_id("eni");
  eni.owner = caller.account_id;
  eni.vpc_id = (*subnet)->vpc_id;
  eni.subnet_id = request.subnet_id;
  eni.availability_zone = (*subnet)->availability_zone;
  eni.description = request.description;
  eni.private_ip = *primary;
  eni.group_ids = std::move(*groups);
  assign_identity(region, caller, eni);
  std::string id = eni.id;
  region.network_interfaces[id] = std::move(eni);
  return id;
}

Result<void> delete_network_interface(Region& region, const Caller& caller, const std::string& id) {
  auto eni = find_interface(region, caller, id);
  if (!eni) return eni.error();
  if ((*eni)->attached || (*eni)->requester_managed) {  // a NAT gateway's: delete that
    return make_error("InvalidNetworkInterface.InUse",
                      "The network interface '" + id + "' is currently in use.");
  }
  for (auto& [allocation_id, address] : region.addresses) {
    if (address.network_interface_id != id) continue;
    address.association_id.clear();
    address.network_interface_id.clear();
    address.private_ip.clear();
    address.instance_id.clear();
  }
  erase_if(region.flow_logs, [&](const auto& e) { return e.second.resource_id == id; });
  region.network_interfaces.erase(id);
  return {};
}

Result<void> modify_network_interface(Region& region, const Caller& caller, const std::string& id,
                                      std::optional<bool> source_dest_check,
                                      const std::vector<std::string>& group_ids) {
  auto eni = find_interface(region, caller, id);
  if (!eni) return eni.error();
  if (!source_dest_check && group_ids.empty()) {
    return make_error("MissingParameter", "An attribute to modify is required");
  }
  if (!group_ids.empty()) {
    auto groups = check_groups(region, caller, (*eni)->vpc_id, group_ids);
    if (!groups) return groups.error();
    (*eni)->group_ids = std::move(*groups);
  }
  if (source_dest_check) (*eni)->source_dest_check = *source_dest_check;
  return {};
}

Result<std::string> attach_network_interface(Region& region, const Caller& caller,
                                             const std::string& id, const std::string& instance_id,
                                             int device_index) {
  auto eni = find_interface(region, caller, id);
  if (!eni) return eni.error();
  if ((*eni)->requester_managed) {
    return make_error("InvalidNetworkInterface.InUse",
                      "The network interface '" + id + "' is currently in use.");
  }
  auto instance =
      find_owned(region.instances, caller, instance_id, "InvalidInstanceID.NotFound", "instance");
  if (!instance) return instance.error();
  if ((*instance)->state != "running") {
    return make_error(
        "IncorrectInstanceState",
        "The instance '" + instance_id + "' is not in a valid state for this operation.");
  }
  if ((*eni)->attached) {
    return make_error("InvalidNetworkInterface.InUse", "Interface " + id + " is currently in use.");
  }
  if ((*eni)->vpc_id != (*instance)->vpc_id ||
      (*eni)->availability_zone != (*instance)->availability_zone) {
    return invalid_parameter("Interface " + id + " and instance " + instance_id +
                             " are in different networks or availability zones");
  }
  if (device_index < 0 || device_index > 31) {
    return invalid_parameter("Value (" + std::to_string(device_index) +
                             ") for parameter deviceIndex is invalid.");
  }
  for (const auto& [other_id, other] : std::as_const(region.network_interfaces)) {
    if (other.attached && other.attachment.instance_id == instance_id &&
        other.attachment.device_index == device_index) {
      return invalid_parameter("Instance '" + instance_id +
                               "' already has an interface attached at device index '" +
                               std::to_string(device_index) + "'.");
    }
  }
  (*eni)->attached = true;
  (*eni)->attachment = {caller.ids->resource_id("eni-attach"), instance_id, device_index};
  (*eni)->host_id = (*instance)->host_id;
  return (*eni)->attachment.id;
}

Result<void> detach_network_interface(Region& region, const Caller& caller,
                                      const std::string& attachment_id) {
  for (auto& [id, eni] : region.network_interfaces) {
    if (eni.owner != caller.account_id || !eni.attached || eni.attachment.id != attachment_id) {
      continue;
    }
    if (eni.attachment.device_index == 0) {
      return make_error("OperationNotPermitted",
                        "The network interface at device index 0 cannot be detached.");
    }
    eni.attached = false;
    eni.attachment = {};
    eni.host_id.clear();
    return {};
  }
  return make_error("InvalidAttachmentID.NotFound",
                    "The attachment ID '" + attachment_id + "' does not exist");
}

Result<std::vector<std::string>> assign_private_ip_addresses(
    Region& region, const Caller& caller, const std::string& id,
    const std::vector<std::string>& addresses, int count) {
  auto eni = find_interface(region, caller, id);
  if (!eni) return eni.error();
  if (addresses.empty() == (count <= 0)) {
    return make_error("InvalidParameterCombination",
                      "Specify either private IP addresses or a secondary address count");
  }
  size_t wanted = addresses.empty() ? static_cast<size_t>(count) : addresses.size();
  if ((*eni)->secondary_private_ips.size() + wanted + 1 > kAddressesPerInterface) {
    return make_error("PrivateIpAddressLimitExceeded",
                      "Number of private addresses will exceed limit.");
  }
  Cidr block = *parse_ipv4_block(region.subnets[(*eni)->subnet_id].cidr);
  auto used = used_addresses(region, (*eni)->subnet_id);
  std::vector<std::string> assigned;
  for (size_t i = 0; i < wanted; ++i) {
    auto address = claim_address(block, used, addresses.empty() ? "" : addresses[i]);
    if (!address) return address.error();
    assigned.push_back(*address);
  }
  auto& secondary = (*eni)->secondary_private_ips;
  secondary.insert(secondary.end(), assigned.begin(), assigned.end());
  return assigned;
}

}  // namespace openvpc::model
