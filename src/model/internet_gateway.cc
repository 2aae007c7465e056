// Internet gateways: at most one per VPC, attached to at most one VPC.
#include <algorithm>
#include <utility>

#include "model/operations.h"
#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

Result<InternetGateway*> find_gateway(Region& region, const Caller& caller, const std::string& id) {
  return find_owned(region.internet_gateways, caller, id, "InvalidInternetGatewayID.NotFound",
                    "internet gateway");
}

}  // namespace

Result<std::string> create_internet_gateway(Region& region, const Caller& caller) {
  auto count = std::count_if(region.internet_gateways.cbegin(), region.internet_gateways.cend(),
                             [&](const auto& e) { return e.second.owner == caller.account_id; });
  if (count >= caller.limits.internet_gateways_per_account) {
    return make_error("InternetGatewayLimitExceeded",
                      "The maximum number of internet gateways has been reached.");
  }
  InternetGateway gateway{.id = caller.ids->resource_id("igw"),
                          .owner = caller.account_id,
                          .number = new_program_number(region, *caller.ids),
                          .attached_vpc_id = "",
                          .tags = {}};
  std::string id = gateway.id;
  region.internet_gateways[id] = std::move(gateway);
  return id;
}

Result<void> attach_internet_gateway(Region& region, const Caller& caller, const std::string& id,
                                     const std::string& vpc_id) {
  auto gateway = find_gateway(region, caller, id);
  if (!gateway) return gateway.error();
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  if (!(*gateway)->attached_vpc_id.empty()) {
    return make_error(
        "Resource.AlreadyAssociated",
        "resource " + id + " is already attached to network " + (*gateway)->attached_vpc_id);
  }
  for (const auto& [other_id, other] : std::as_const(region.internet_gateways)) {
    if (other.attached_vpc_id == vpc_id) {
      return make_error("Resource.AlreadyAssociated",
                        "Network " + vpc_id + " already has an internet gateway attached");
    }
  }
  (*gateway)->attached_vpc_id = vpc_id;
  return {};
}

Result<void> detach_internet_gateway(Region& region, const Caller& caller, const std::string& id,
                                     const std::string& vpc_id) {
  auto gateway = find_gateway(region, caller, id);
  if (!gateway) return gateway.error();
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  if ((*gateway)->attached_vpc_id != vpc_id) {
    return make_error("Gateway.NotAttached",
                      "resource " + id + " is not attached to network " + vpc_id);
  }
  bool mapped = std::any_of(region.addresses.cbegin(), region.addresses.cend(), [&](const auto& e) {
    auto eni = region.network_interfaces.find(e.second.network_interface_id);
    return eni != region.network_interfaces.end() && eni->second.vpc_id == vpc_id;
  });
  if (mapped) {
    return dependency_violation("Network " + vpc_id +
                                " has some mapped public address(es). Please unmap those public "
                                "address(es) before detaching the gateway.");
  }
  (*gateway)->attached_vpc_id.clear();
  return {};
}

Result<void> delete_internet_gateway(Region& region, const Caller& caller, const std::string& id) {
  auto gateway = find_gateway(region, caller, id);
  if (!gateway) return gateway.error();
  if (!(*gateway)->attached_vpc_id.empty()) {
    return dependency_violation("The internetGateway '" + id +
                                "' has dependencies and cannot be deleted.");
  }
  region.internet_gateways.erase(id);
  return {};
}

}  // namespace openvpc::model
