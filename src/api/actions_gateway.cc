// Internet gateway and elastic IP actions: Create/Attach/Detach/Delete/DescribeInternetGateways,
// Allocate/Associate/Disassociate/Release/DescribeAddresses.
#include "api/action.h"

#include <utility>

namespace openvpc::api {

namespace {

using model::Region;

FilterFields gateway_fields(const model::InternetGateway& gateway) {
  FilterFields fields{{"attachment.state", {}},
                      {"attachment.vpc-id", {}},
                      {"internet-gateway-id", {gateway.id}},
                      {"owner-id", {gateway.owner}}};
  if (!gateway.attached_vpc_id.empty()) {
    fields["attachment.state"].push_back("available");
    fields["attachment.vpc-id"].push_back(gateway.attached_vpc_id);
  }
  add_tag_fields(fields, gateway.tags);
  return fields;
}

void render_gateway(XmlWriter& out, const model::InternetGateway& gateway) {
  out.text("internetGatewayId", gateway.id).text("ownerId", gateway.owner);
  out.open("attachmentSet");
  if (!gateway.attached_vpc_id.empty()) {
    out.open("item").text("vpcId", gateway.attached_vpc_id).text("state", "available").close();
  }
  out.close();
  render_tags(out, gateway.tags);
}

Result<std::string> create_internet_gateway(ActionContext& ctx) {
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_internet_gateway(region, ctx.caller);
    if (!id) return id.error();
    if (auto tagged = tag_new_resource(ctx, region, *id, "internet-gateway"); !tagged) {
      return tagged.error();
    }
    out.open("internetGateway");
    render_gateway(out, region.internet_gateways.at(*id));
    out.close();
    return {};
  });
}

Result<void> gateway_and_vpc(ActionContext& ctx, Region& region, bool attach) {
  auto id = ctx.params.required("InternetGatewayId");
  if (!id) return id.error();
  auto vpc_id = ctx.params.required("VpcId");
  if (!vpc_id) return vpc_id.error();
  return attach ? model::attach_internet_gateway(region, ctx.caller, *id, *vpc_id)
                : model::detach_internet_gateway(region, ctx.caller, *id, *vpc_id);
}

Result<std::string> describe_internet_gateways(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  return describe<model::InternetGateway>(
      ctx, (*region)->internet_gateways,
      {"InternetGatewayId", "internetGatewaySet", "InvalidInternetGatewayID.NotFound",
       "internet gateway", gateway_fields, render_gateway, nullptr, &**region,
       model::kInternetGatewayKind, "internet-gateway-id"});
}

FilterFields address_fields(const model::ElasticAddress& address) {
  FilterFields fields{{"allocation-id", {address.allocation_id}},
                      {"association-id", {}},
                      {"domain", {"vpc"}},
                      {"instance-id", {}},
                      {"network-interface-id", {}},
                      {"network-interface-owner-id", {}},
                      {"private-ip-address", {}},
                      {"public-ip", {address.public_ip}}};
  add_absent_fields(fields, {"network-border-group"});  // no border groups or Local Zones here
  if (!address.association_id.empty()) {
    fields["association-id"].push_back(address.association_id);
    fields["network-interface-id"].push_back(address.network_interface_id);
    fields["network-interface-owner-id"].push_back(address.owner);
    fields["private-ip-address"].push_back(address.private_ip);
    if (!address.instance_id.empty()) fields["instance-id"].push_back(address.instance_id);
  }
  add_tag_fields(fields, address.tags);
  return fields;
}

void render_address(XmlWriter& out, const model::ElasticAddress& address,
                    const std::string& region_name) {
  out.text("publicIp", address.public_ip).text("allocationId", address.allocation_id);
  out.text("domain", "vpc");
  out.optional("associationId", address.association_id);
  out.optional("instanceId", address.instance_id);
  out.optional("networkInterfaceId", address.network_interface_id);
  if (!address.association_id.empty()) out.text("networkInterfaceOwnerId", address.owner);
  out.optional("privateIpAddress", address.private_ip);
  out.text("publicIpv4Pool", "amazon").text("networkBorderGroup", region_name);
  render_tags(out, address.tags);
}

Result<std::string> allocate_address(ActionContext& ctx) {
  std::string domain = ctx.params.get_or("Domain", "vpc");
  if (domain != "vpc" && domain != "standard") {  // EC2-Classic is gone: standard means vpc
    return make_error("InvalidParameterValue",
                      "Value (" + domain + ") for parameter domain is invalid.");
  }
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::allocate_address(region, ctx.caller);
    if (!id) return id.error();
    if (auto tagged = tag_new_resource(ctx, region, *id, "elastic-ip"); !tagged) {
      return tagged.error();
    }
    const auto& address = region.addresses.at(*id);
    out.text("publicIp", address.public_ip).text("domain", "vpc").text("allocationId", *id);
    out.text("publicIpv4Pool", "amazon").text("networkBorderGroup", ctx.caller.region);
    return {};
  });
}

Result<std::string> associate_address(ActionContext& ctx) {
  auto allocation_id = ctx.params.required("AllocationId");
  if (!allocation_id) return allocation_id.error();
  auto allow_reassociation = ctx.params.boolean("AllowReassociation");
  if (!allow_reassociation) return allow_reassociation.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::associate_address(
        region, ctx.caller,
        {*allocation_id, ctx.params.get_or("InstanceId", ""),
         ctx.params.get_or("NetworkInterfaceId", ""), ctx.params.get_or("PrivateIpAddress", ""),
         allow_reassociation->value_or(false)});
    if (!id) return id.error();
    out.boolean("return", true).text("associationId", *id);
    return {};
  });
}

Result<std::string> describe_addresses(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  auto public_ips = ctx.params.list("PublicIp");
  if (!public_ips.empty()) {
    for (const auto& ip : public_ips) {
      bool found =
          std::any_of((*region)->addresses.begin(), (*region)->addresses.end(), [&](const auto& e) {
            return e.second.public_ip == ip && e.second.owner == ctx.caller.account_id;
          });
      if (!found) {
        return make_error("InvalidAddress.NotFound", "Address '" + ip + "' not found.");
      }
    }
  }
  auto answer = describe<model::ElasticAddress>(
      ctx, (*region)->addresses,
      {"AllocationId", "addressesSet", "InvalidAllocationID.NotFound", "allocation", address_fields,
       [&](XmlWriter& out, const model::ElasticAddress& a) {
         render_address(out, a, ctx.caller.region);
       },
       [&](const model::ElasticAddress& a) {
         return public_ips.empty() ||
                std::find(public_ips.begin(), public_ips.end(), a.public_ip) != public_ips.end();
       }});
  return answer;
}

// The caller's elastic IP named by `id_parameter` (AssociationId / AllocationId) or PublicIp.
Result<const model::ElasticAddress*> address_named(ActionContext& ctx, const Region& region,
                                                   const std::string& id_parameter) {
  auto id = ctx.params.get(id_parameter);
  auto public_ip = ctx.params.get("PublicIp");
  if (!id && !public_ip) {
    return make_error("MissingParameter",
                      "The request must contain the parameter " + id_parameter + " or PublicIp");
  }
  for (const auto& [allocation_id, address] : std::as_const(region.addresses)) {
    if (address.owner != ctx.caller.account_id) continue;
    if (id &&
        (id_parameter == "AllocationId" ? address.allocation_id : address.association_id) == *id) {
      return &address;
    }
    if (!id && address.public_ip == *public_ip) return &address;
  }
  if (!id) return make_error("InvalidAddress.NotFound", "Address '" + *public_ip + "' not found.");
  if (id_parameter == "AllocationId") {
    return make_error("InvalidAllocationID.NotFound",
                      "The allocation ID '" + *id + "' does not exist");
  }
  return make_error("InvalidAssociationID.NotFound",
                    "The association ID '" + *id + "' does not exist");
}

}  // namespace

void register_gateway_actions(ActionTable& table) {
  table["CreateInternetGateway"] = create_internet_gateway;
  table["AttachInternetGateway"] = returning_true(
      [](ActionContext& ctx, Region& region) { return gateway_and_vpc(ctx, region, true); });
  table["DetachInternetGateway"] = returning_true(
      [](ActionContext& ctx, Region& region) { return gateway_and_vpc(ctx, region, false); });
  table["DeleteInternetGateway"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("InternetGatewayId");
        if (!id) return id.error();
        return model::delete_internet_gateway(region, ctx.caller, *id);
      });
  table["DescribeInternetGateways"] = describe_internet_gateways;
  table["AllocateAddress"] = allocate_address;
  table["AssociateAddress"] = associate_address;
  table["DisassociateAddress"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto address = address_named(ctx, region, "AssociationId");
        if (!address) return address.error();
        if ((*address)->association_id.empty()) {
          return make_error(
              "InvalidAssociationID.NotFound",
              "The association ID '" + ctx.params.get_or("AssociationId", "") + "' does not exist");
        }
        return model::disassociate_address(region, ctx.caller, (*address)->association_id);
      });
  table["ReleaseAddress"] = returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
    auto address = address_named(ctx, region, "AllocationId");
    if (!address) return address.error();
    return model::release_address(region, ctx.caller, (*address)->allocation_id);
  });
  table["DescribeAddresses"] = describe_addresses;
}

}  // namespace openvpc::api
