// Route tables: subnet associations (a subnet has at most one explicit association; the rest
// use the VPC's main table), routes with one target each, and the undeletable local routes.
#include <algorithm>
#include <utility>

#include "model/cidr.h"
#include "model/nat_gateway.h"
#include "model/operations.h"
#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

Result<RouteTable*> find_table(Region& region, const Caller& caller, const std::string& id) {
  return find_owned(region.route_tables, caller, id, "InvalidRouteTableID.NotFound", "route table");
}

// The table and association index holding association_id, if the caller owns it.
Result<std::pair<RouteTable*, size_t>> find_association(Region& region, const Caller& caller,
                                                        const std::string& association_id) {
  // Search read-only, then write only the table found (a non-const walk copies every chunk).
  for (const auto& [id, table] : std::as_const(region.route_tables)) {
    if (table.owner != caller.account_id) continue;
    for (size_t i = 0; i < table.associations.size(); ++i) {
      if (table.associations[i].id == association_id) {
        return std::pair{&region.route_tables.at(id), i};
      }
    }
  }
  return make_error("InvalidAssociationID.NotFound",
                    "The association ID '" + association_id + "' does not exist");
}

Result<void> check_target(Region& region, const Caller& caller, const RouteTable& table,
                          const RouteTarget& target) {
  int given = !target.gateway_id.empty() + !target.network_interface_id.empty() +
              !target.instance_id.empty() + !target.nat_gateway_id.empty();
  if (given != 1) {
    return make_error("InvalidParameterCombination",
                      "The request must contain exactly one of gatewayId, networkInterfaceId, "
                      "instanceId, natGatewayId");
  }
  if (!target.nat_gateway_id.empty()) {
    auto nat = region.nat_gateways.find(target.nat_gateway_id);
    if (nat == region.nat_gateways.end() || nat->second.owner != caller.account_id ||
        !nat_gateway_live(nat->second)) {
      return make_error("InvalidNatGatewayID.NotFound",
                        "The natGateway ID '" + target.nat_gateway_id + "' does not exist");
    }
    if (nat->second.vpc_id != table.vpc_id) {
      return invalid_parameter("route table " + table.id + " and NAT gateway " +
                               target.nat_gateway_id + " belong to different networks");
    }
  } else if (!target.gateway_id.empty()) {
    auto gateway = find_owned(region.internet_gateways, caller, target.gateway_id,
                              "InvalidGatewayID.NotFound", "internet gateway");
    if (!gateway) return gateway.error();
    if ((*gateway)->attached_vpc_id != table.vpc_id) {
      return invalid_parameter("route table " + table.id + " and network gateway " +
                               target.gateway_id + " belong to different networks");
    }
  } else if (!target.network_interface_id.empty()) {
    auto eni = find_owned(region.network_interfaces, caller, target.network_interface_id,
                          "InvalidNetworkInterfaceID.NotFound", "network interface");
    if (!eni) return eni.error();
    if ((*eni)->vpc_id != table.vpc_id) {
      return invalid_parameter("route table " + table.id + " and interface " +
                               target.network_interface_id + " belong to different networks");
    }
  } else {
    auto instance = find_owned(region.instances, caller, target.instance_id,
                               "InvalidInstanceID.NotFound", "instance");
    if (!instance) return instance.error();
    if ((*instance)->vpc_id != table.vpc_id || (*instance)->state != "running") {
      return make_error("IncorrectInstanceState",
                        "The instance '" + target.instance_id + "' is not in a usable state");
    }
  }
  return {};
}

}  // namespace

Result<std::string> create_route_table(Region& region, const Caller& caller,
                                       const std::string& vpc_id) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  auto count = std::count_if(region.route_tables.cbegin(), region.route_tables.cend(),
                             [&](const auto& e) { return e.second.vpc_id == vpc_id; });
  if (count >= caller.limits.route_tables_per_vpc) {
    return make_error("RouteTableLimitExceeded",
                      "The maximum number of route tables has been reached.");
  }
  RouteTable table{.id = caller.ids->resource_id("rtb"),
                   .owner = caller.account_id,
                   .vpc_id = vpc_id,
                   .number = new_program_number(region, *caller.ids),
                   .routes = {},
                   .associations = {},
                   .tags = {}};
  for (const auto& association : (*vpc)->cidr_associations) {
    table.routes.push_back(Route{association.cidr, "local", "", "", "CreateRouteTable"});
  }
  std::string id = table.id;
  region.route_tables[id] = std::move(table);
  return id;
}

Result<void> delete_route_table(Region& region, const Caller& caller, const std::string& id) {
  auto table = find_table(region, caller, id);
  if (!table) return table.error();
  if (!(*table)->associations.empty()) {
    return dependency_violation("The routeTable '" + id +
                                "' has dependencies and cannot be deleted.");
  }
  region.route_tables.erase(id);
  return {};
}

Result<std::string> associate_route_table(Region& region, const Caller& caller,
                                          const std::string& route_table_id,
                                          const std::string& subnet_id) {
  auto table = find_table(region, caller, route_table_id);
  if (!table) return table.error();
  auto subnet = find_owned(region.subnets, caller, subnet_id, "InvalidSubnetID.NotFound", "subnet");
  if (!subnet) return subnet.error();
  if ((*subnet)->vpc_id != (*table)->vpc_id) {
    return invalid_parameter("Route table " + route_table_id + " and subnet " + subnet_id +
                             " belong to different networks");
  }
  for (const auto& [id, other] : std::as_const(region.route_tables)) {
    for (const auto& association : other.associations) {
      if (association.subnet_id == subnet_id) {
        return make_error("Resource.AlreadyAssociated",
                          "the specified association for route table " + id +
                              " conflicts with an existing association");
      }
    }
  }
  std::string association_id = caller.ids->resource_id("rtbassoc");
  (*table)->associations.push_back({association_id, subnet_id, false});
  return association_id;
}

Result<void> disassociate_route_table(Region& region, const Caller& caller,
                                      const std::string& association_id) {
  auto found = find_association(region, caller, association_id);
  if (!found) return found.error();
  auto [table, index] = *found;
  if (table->associations[index].main) {
    return invalid_parameter("cannot disassociate the main route table association " +
                             association_id);
  }
  table->associations.erase(table->associations.begin() + static_cast<long>(index));
  return {};
}

Result<std::string> replace_route_table_association(Region& region, const Caller& caller,
                                                    const std::string& association_id,
                                                    const std::string& route_table_id) {
  auto found = find_association(region, caller, association_id);
  if (!found) return found.error();
  auto target = find_table(region, caller, route_table_id);
  if (!target) return target.error();
  auto [table, index] = *found;
  if (table->vpc_id != (*target)->vpc_id) {
    return invalid_parameter("Route table " + route_table_id + " belongs to a different network");
  }
  RouteTableAssociation association = table->associations[index];
  table->associations.erase(table->associations.begin() + static_cast<long>(index));
  association.id = caller.ids->resource_id("rtbassoc");
  if (association.main) region.vpcs[(*target)->vpc_id].main_route_table_id = route_table_id;
  (*target)->associations.push_back(association);
  return association.id;
}

Result<void> create_route(Region& region, const Caller& caller, const std::string& route_table_id,
                          std::string_view destination, const RouteTarget& target, bool replace) {
  auto table = find_table(region, caller, route_table_id);
  if (!table) return table.error();
  auto block = parse_ipv4_block(destination);
  if (!block) return block.error();
  if (auto valid = check_target(region, caller, **table, target); !valid) return valid.error();
  auto& routes = (*table)->routes;
  auto it = std::find_if(routes.begin(), routes.end(),
                         [&](const Route& r) { return r.destination_cidr == block->to_string(); });
  Route route{block->to_string(), target.gateway_id, target.network_interface_id,
              target.instance_id, "CreateRoute",     target.nat_gateway_id};
  if (replace) {
    if (it == routes.end()) {
      return make_error("InvalidRoute.NotFound", "no route with destination-cidr-block " +
                                                     block->to_string() + " in route table " +
                                                     route_table_id);
    }
    if (it->gateway_id == "local") {
      return invalid_parameter("cannot replace local route " + block->to_string());
    }
    *it = route;
    return {};
  }
  if (it != routes.end()) {
    return make_error("RouteAlreadyExists",
                      "The route identified by " + block->to_string() + " already exists.");
  }
  if (static_cast<int>(routes.size()) >= caller.limits.routes_per_table) {
    return make_error("RouteLimitExceeded", "The maximum number of routes has been reached.");
  }
  routes.push_back(route);
  return {};
}

Result<void> delete_route(Region& region, const Caller& caller, const std::string& route_table_id,
                          std::string_view destination) {
  auto table = find_table(region, caller, route_table_id);
  if (!table) return table.error();
  auto& routes = (*table)->routes;
  auto it = std::find_if(routes.begin(), routes.end(),
                         [&](const Route& r) { return r.destination_cidr == destination; });
  if (it == routes.end()) {
    return make_error("InvalidRoute.NotFound", "no route with destination-cidr-block " +
                                                   std::string(destination) + " in route table " +
                                                   route_table_id);
  }
  if (it->gateway_id == "local") {
    return invalid_parameter("cannot remove local route " + std::string(destination) +
                             " in route table " + route_table_id);
  }
  routes.erase(it);
  return {};
}

RouteReach route_reach(const Region& region, const RouteTable& table, const Route& route) {
  using program::RouteTargetKind;
  if (route.gateway_id == "local") return {RouteTargetKind::local, 0};
  if (!route.network_interface_id.empty() || !route.instance_id.empty()) {
    std::string eni_id = route.network_interface_id;
    if (eni_id.empty()) {
      auto instance = region.instances.find(route.instance_id);
      if (instance == region.instances.end() || instance->second.state != "running") return {};
      eni_id = instance->second.primary_interface_id;
    }
    auto eni = region.network_interfaces.find(eni_id);
    if (eni == region.network_interfaces.end() || eni->second.vpc_id != table.vpc_id) return {};
    return {RouteTargetKind::eni, eni->second.number};
  }
  if (!route.nat_gateway_id.empty()) {  // carried by its shard; nothing while it has none
    auto nat = region.nat_gateways.find(route.nat_gateway_id);
    if (nat == region.nat_gateways.end() || nat->second.vpc_id != table.vpc_id ||
        nat->second.state != "available") {
      return {};
    }
    return {RouteTargetKind::nat_gateway, nat->second.number};
  }
  auto gateway = region.internet_gateways.find(route.gateway_id);
  if (gateway != region.internet_gateways.end() &&
      gateway->second.attached_vpc_id == table.vpc_id) {
    return {RouteTargetKind::internet_gateway, gateway->second.number};
  }
  return {};  // a gateway that is gone or detached (or a kind with nothing behind it)
}

}  // namespace openvpc::model
