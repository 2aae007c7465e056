// NAT gateway actions: CreateNatGateway, DescribeNatGateways, DeleteNatGateway,
// Associate/DisassociateNatGatewayAddress (model in model/nat_gateway.h; the controller's
// placement moves the states on).
#include "api/action.h"
#include "model/nat_gateway.h"

namespace openvpc::api {

namespace {

using model::Region;

FilterFields nat_fields(const model::NatGateway& nat) {
  FilterFields fields{{"nat-gateway-id", {nat.id}},
                      {"state", {nat.state}},
                      {"subnet-id", {nat.subnet_id}},
                      {"vpc-id", {nat.vpc_id}}};
  add_tag_fields(fields, nat.tags);
  return fields;
}

void render_addresses(XmlWriter& out, const std::vector<model::NatGatewayAddress>& addresses) {
  out.open("natGatewayAddressSet");
  for (const auto& address : addresses) {
    out.open("item");
    out.optional("allocationId", address.allocation_id);
    out.optional("networkInterfaceId", address.network_interface_id);
    out.optional("privateIp", address.private_ip);
    out.optional("publicIp", address.public_ip);
    out.optional("associationId", address.association_id);
    out.boolean("isPrimary", address.is_primary).text("status", address.status);
    out.close();
  }
  out.close();
}

void render_nat(XmlWriter& out, const model::NatGateway& nat) {
  out.text("createTime", nat.create_time).optional("deleteTime", nat.delete_time);
  out.optional("failureCode", nat.failure_code).optional("failureMessage", nat.failure_message);
  render_addresses(out, nat.addresses);
  out.text("natGatewayId", nat.id).text("state", nat.state);
  out.text("subnetId", nat.subnet_id).text("vpcId", nat.vpc_id);
  out.text("connectivityType", nat.connectivity_type);
  render_tags(out, nat.tags);
}

Result<std::string> create_nat_gateway(ActionContext& ctx) {
  auto subnet_id = ctx.params.required("SubnetId");
  if (!subnet_id) return subnet_id.error();
  auto count = ctx.params.integer("SecondaryPrivateIpAddressCount", 1, 7);
  if (!count) return count.error();
  model::NatGatewayRequest request;
  request.subnet_id = *subnet_id;
  request.connectivity_type = ctx.params.get_or("ConnectivityType", "public");
  request.allocation_id = ctx.params.get_or("AllocationId", "");
  request.secondary_allocation_ids = ctx.params.list("SecondaryAllocationId");
  request.private_ip = ctx.params.get_or("PrivateIpAddress", "");
  request.secondary_private_ips = ctx.params.list("SecondaryPrivateIpAddress");
  request.secondary_private_ip_count = static_cast<int>(count->value_or(0));
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_nat_gateway(region, ctx.caller, request);
    if (!id) return id.error();
    if (auto tagged = tag_new_resource(ctx, region, *id, "natgateway"); !tagged) {
      return tagged.error();
    }
    out.optional("clientToken", ctx.params.get_or("ClientToken", ""));
    out.open("natGateway");
    render_nat(out, region.nat_gateways.at(*id));
    out.close();
    return {};
  });
}

Result<std::string> describe_nat_gateways(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  return describe<model::NatGateway>(ctx, (*region)->nat_gateways,
                                     {"NatGatewayId", "natGatewaySet", "NatGatewayNotFound",
                                      "NAT gateway", nat_fields, render_nat});
}

Result<std::string> delete_nat_gateway(ActionContext& ctx) {
  auto id = ctx.params.required("NatGatewayId");
  if (!id) return id.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    if (auto deleted = model::delete_nat_gateway(region, ctx.caller, *id); !deleted) {
      return deleted.error();
    }
    out.text("natGatewayId", *id);
    return {};
  });
}

Result<std::string> associate_nat_gateway_address(ActionContext& ctx) {
  auto id = ctx.params.required("NatGatewayId");
  if (!id) return id.error();
  const auto allocations = ctx.params.list("AllocationId");
  const auto private_ips = ctx.params.list("PrivateIpAddress");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto added =
        model::associate_nat_gateway_address(region, ctx.caller, *id, allocations, private_ips);
    if (!added) return added.error();
    out.text("natGatewayId", *id);
    render_addresses(out, *added);
    return {};
  });
}

Result<std::string> disassociate_nat_gateway_address(ActionContext& ctx) {
  auto id = ctx.params.required("NatGatewayId");
  if (!id) return id.error();
  const auto associations = ctx.params.list("AssociationId");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto removed = model::disassociate_nat_gateway_address(region, ctx.caller, *id, associations);
    if (!removed) return removed.error();
    out.text("natGatewayId", *id);
    render_addresses(out, *removed);
    return {};
  });
}

}  // namespace

void register_nat_gateway_actions(ActionTable& table) {
  table["CreateNatGateway"] = create_nat_gateway;
  table["DescribeNatGateways"] = describe_nat_gateways;
  table["DeleteNatGateway"] = delete_nat_gateway;
  table["AssociateNatGatewayAddress"] = associate_nat_gateway_address;
  table["DisassociateNatGatewayAddress"] = disassociate_nat_gateway_address;
}

}  // namespace openvpc::api
