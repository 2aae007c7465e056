// Actions for EC2 features this region does not have, answered exactly as EC2 answers them
// when the feature is absent, because infrastructure-as-code clients (Ansible amazon.aws,
// Terraform's AWS provider) call them on every run and depend on the answer:
// - DescribeVpcClassicLink / DescribeVpcClassicLinkDnsSupport: UnsupportedOperation, as in
//   every region since EC2-Classic was retired;
// - DescribeVpcEndpoints: no endpoints exist, so an empty set (its filters are accepted);
// - Enable/DisableVgwRoutePropagation: no virtual private gateway exists, so
//   InvalidVpnGatewayID.NotFound once the route table is known;
// - DescribeAddressesAttribute: no reverse-DNS (PTR) records are kept, so each address is
//   listed without one.
#include "api/action.h"

namespace openvpc::api {

namespace {

using model::Region;

Result<std::string> unsupported_in_region(ActionContext&) {
  return make_error("UnsupportedOperation",
                    "The functionality you requested is not available in this region.");
}

Result<std::string> describe_vpc_endpoints(ActionContext& ctx) {
  auto filters = ctx.params.filters();
  if (!filters) return filters.error();
  // The filter names EC2 documents for DescribeVpcEndpoints.
  FilterFields known{{"ip-address-type", {}}, {"service-name", {}},       {"vpc-id", {}},
                     {"vpc-endpoint-id", {}}, {"vpc-endpoint-state", {}}, {"vpc-endpoint-type", {}},
                     {"tag-key", {}},         {"tag-value", {}}};
  if (auto valid = check_filter_names(*filters, known); !valid) return valid.error();
  auto page = paginate({}, ctx.params);
  if (!page) return page.error();
  if (auto ids = ctx.params.list("VpcEndpointId"); !ids.empty()) {
    return make_error("InvalidVpcEndpointId.NotFound",
                      "The Vpc Endpoint Id '" + ids.front() + "' does not exist");
  }
  XmlWriter out(XmlWriter::kFragment);
  out.open("vpcEndpointSet").close();
  return out.finish();
}

ActionHandler vgw_route_propagation() {
  return [](ActionContext& ctx) -> Result<std::string> {
    auto table_id = ctx.params.required("RouteTableId");
    if (!table_id) return table_id.error();
    auto gateway_id = ctx.params.required("GatewayId");
    if (!gateway_id) return gateway_id.error();
    auto region = ctx.read();
    if (!region) return region.error();
    auto table = (*region)->route_tables.find(*table_id);
    if (table == (*region)->route_tables.end() || table->second.owner != ctx.caller.account_id) {
      return make_error("InvalidRouteTableID.NotFound",
                        "The routeTable ID '" + *table_id + "' does not exist");
    }
    return make_error("InvalidVpnGatewayID.NotFound",
                      "The vpnGateway ID '" + *gateway_id + "' does not exist");
  };
}

Result<std::string> describe_addresses_attribute(ActionContext& ctx) {
  auto attribute = ctx.params.required("Attribute");
  if (!attribute) return attribute.error();
  if (*attribute != "domain-name") {
    return make_error("InvalidParameterValue",
                      "Value (" + *attribute + ") for parameter attribute is invalid.");
  }
  auto region = ctx.read();
  if (!region) return region.error();
  const auto& addresses = (*region)->addresses;
  std::vector<std::string> wanted = ctx.params.list("AllocationId");
  for (const auto& id : wanted) {
    auto it = addresses.find(id);
    if (it == addresses.end() || it->second.owner != ctx.caller.account_id) {
      return make_error("InvalidAllocationID.NotFound",
                        "The allocation ID '" + id + "' does not exist");
    }
  }
  std::vector<std::string> ids;
  for (const auto& [id, address] : addresses) {
    if (address.owner != ctx.caller.account_id) continue;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), id) == wanted.end()) continue;
    ids.push_back(id);
  }
  auto page = paginate(ids, ctx.params);
  if (!page) return page.error();
  XmlWriter out(XmlWriter::kFragment);
  out.open("addressSet");
  for (const auto& id : page->ids) {
    out.open("item").text("publicIp", addresses.at(id).public_ip).text("allocationId", id);
    out.close();
  }
  out.close();
  out.optional("nextToken", page->next_token);
  return out.finish();
}

}  // namespace

void register_unavailable_actions(ActionTable& table) {
  table["DescribeVpcClassicLink"] = unsupported_in_region;
  table["DescribeVpcClassicLinkDnsSupport"] = unsupported_in_region;
  table["DescribeVpcEndpoints"] = describe_vpc_endpoints;
  table["EnableVgwRoutePropagation"] = vgw_route_propagation();
  table["DisableVgwRoutePropagation"] = vgw_route_propagation();
  table["DescribeAddressesAttribute"] = describe_addresses_attribute;
}

}  // namespace openvpc::api
