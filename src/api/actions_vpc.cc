// VPC actions: Create/Delete/DescribeVpcs, Modify/DescribeVpcAttribute, AssociateVpcCidrBlock,
// and the region-level DescribeAvailabilityZones / DescribeAccountAttributes.
#include "api/action.h"

namespace openvpc::api {

namespace {

using model::Region;

FilterFields vpc_fields(const model::Vpc& vpc) {
  // "cidr-block" and "cidrBlock" are aliases EC2 accepts for "cidr" (Ansible's ec2_vpc_net
  // looks VPCs up with "cidr-block"). No IPv6 blocks exist here, so their fields are empty.
  FilterFields fields{{"cidr", {vpc.cidr}},
                      {"cidr-block", {vpc.cidr}},
                      {"cidrBlock", {vpc.cidr}},
                      {"cidr-block-association.cidr-block", {}},
                      {"cidr-block-association.association-id", {}},
                      {"cidr-block-association.state", {}},
                      {"ipv6-cidr-block-association.ipv6-cidr-block", {}},
                      {"ipv6-cidr-block-association.ipv6-pool", {}},
                      {"ipv6-cidr-block-association.association-id", {}},
                      {"ipv6-cidr-block-association.state", {}},
                      {"dhcp-options-id", {vpc.dhcp_options_id}},
                      {"is-default", {"false"}},
                      {"owner-id", {vpc.owner}},
                      {"state", {"available"}},
                      {"vpc-id", {vpc.id}}};
  for (const auto& association : vpc.cidr_associations) {
    fields["cidr-block-association.cidr-block"].push_back(association.cidr);
    fields["cidr-block-association.association-id"].push_back(association.association_id);
    fields["cidr-block-association.state"].push_back("associated");
  }
  add_tag_fields(fields, vpc.tags);
  return fields;
}

void render_cidr_association(XmlWriter& out, const model::VpcCidrAssociation& association) {
  out.text("associationId", association.association_id).text("cidrBlock", association.cidr);
  out.open("cidrBlockState").text("state", "associated").close();
}

void render_vpc(XmlWriter& out, const model::Vpc& vpc) {
  out.text("vpcId", vpc.id).text("ownerId", vpc.owner).text("state", "available");
  out.text("cidrBlock", vpc.cidr).text("dhcpOptionsId", vpc.dhcp_options_id);
  out.text("instanceTenancy", "default").boolean("isDefault", false);
  out.open("cidrBlockAssociationSet");
  for (const auto& association : vpc.cidr_associations) {
    out.open("item");
    render_cidr_association(out, association);
    out.close();
  }
  out.close();
  render_tags(out, vpc.tags);
}

Result<std::string> create_vpc(ActionContext& ctx) {
  auto cidr = ctx.params.required("CidrBlock");
  if (!cidr) return cidr.error();
  model::Tags tags = ctx.tag_specifications("vpc");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_vpc(region, ctx.caller, *cidr);
    if (!id) return id.error();
    if (!tags.empty()) {
      if (auto tagged = model::create_tags(region, ctx.caller, {*id}, tags); !tagged) {
        return tagged.error();
      }
    }
    out.open("vpc");
    render_vpc(out, region.vpcs.at(*id));
    out.close();
    return {};
  });
}

Result<std::string> delete_vpc(ActionContext& ctx) {
  auto id = ctx.params.required("VpcId");
  if (!id) return id.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto deleted = model::delete_vpc(region, ctx.caller, *id);
    if (!deleted) return deleted.error();
    out.boolean("return", true);
    return {};
  });
}

Result<std::string> describe_vpcs(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  return describe<model::Vpc>(
      ctx, (*region)->vpcs,
      {"VpcId", "vpcSet", "InvalidVpcID.NotFound", "vpc", vpc_fields, render_vpc});
}

Result<std::string> modify_vpc_attribute(ActionContext& ctx) {
  auto id = ctx.params.required("VpcId");
  if (!id) return id.error();
  std::vector<std::pair<std::string, bool>> changes;
  for (const char* attribute :
       {"EnableDnsSupport", "EnableDnsHostnames", "EnableNetworkAddressUsageMetrics"}) {
    auto value = ctx.params.boolean(std::string(attribute) + ".Value");
    if (!value) return value.error();
    if (!*value) continue;
    std::string name = attribute;
    name[0] = 'e';
    changes.emplace_back(name, **value);
  }
  if (changes.size() != 1) {
    return make_error("InvalidParameterCombination",
                      "Exactly one attribute may be modified per request");
  }
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto changed =
        model::modify_vpc_attribute(region, ctx.caller, *id, changes[0].first, changes[0].second);
    if (!changed) return changed.error();
    out.boolean("return", true);
    return {};
  });
}

Result<std::string> describe_vpc_attribute(ActionContext& ctx) {
  auto id = ctx.params.required("VpcId");
  if (!id) return id.error();
  auto attribute = ctx.params.required("Attribute");
  if (!attribute) return attribute.error();
  auto region = ctx.read();
  if (!region) return region.error();
  auto it = (*region)->vpcs.find(*id);
  if (it == (*region)->vpcs.end() || it->second.owner != ctx.caller.account_id) {
    return make_error("InvalidVpcID.NotFound", "The vpc ID '" + *id + "' does not exist");
  }
  bool value;
  if (*attribute == "enableDnsSupport") {
    value = it->second.enable_dns_support;
  } else if (*attribute == "enableDnsHostnames") {
    value = it->second.enable_dns_hostnames;
  } else if (*attribute == "enableNetworkAddressUsageMetrics") {
    value = it->second.enable_network_address_usage_metrics;
  } else {
    return make_error("InvalidParameterValue",
                      "Value (" + *attribute + ") for parameter attribute is invalid.");
  }
  XmlWriter out(XmlWriter::kFragment);
  out.text("vpcId", *id);
  out.open(*attribute).boolean("value", value).close();
  return out.finish();
}

// Every VPC here has default tenancy, and "default" is the only value EC2 lets a VPC change to.
Result<std::string> modify_vpc_tenancy(ActionContext& ctx) {
  auto id = ctx.params.required("VpcId");
  if (!id) return id.error();
  auto tenancy = ctx.params.required("InstanceTenancy");
  if (!tenancy) return tenancy.error();
  if (*tenancy != "default") {
    return make_error("InvalidParameterValue",
                      "Value (" + *tenancy + ") for parameter InstanceTenancy is invalid.");
  }
  auto region = ctx.read();
  if (!region) return region.error();
  auto it = (*region)->vpcs.find(*id);
  if (it == (*region)->vpcs.end() || it->second.owner != ctx.caller.account_id) {
    return make_error("InvalidVpcID.NotFound", "The vpc ID '" + *id + "' does not exist");
  }
  XmlWriter out(XmlWriter::kFragment);
  out.boolean("return", true);
  return out.finish();
}

Result<std::string> associate_vpc_cidr_block(ActionContext& ctx) {
  auto id = ctx.params.required("VpcId");
  if (!id) return id.error();
  auto cidr = ctx.params.required("CidrBlock");
  if (!cidr) return cidr.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto association = model::associate_vpc_cidr_block(region, ctx.caller, *id, *cidr);
    if (!association) return association.error();
    out.open("cidrBlockAssociation");
    render_cidr_association(out, region.vpcs.at(*id).cidr_associations.back());
    out.close();
    out.text("vpcId", *id);
    return {};
  });
}

Result<std::string> describe_availability_zones(ActionContext& ctx) {
  XmlWriter out(XmlWriter::kFragment);
  out.open("availabilityZoneInfo");
  int index = 1;
  for (const auto& zone : model::availability_zones(ctx.caller)) {
    out.open("item").text("zoneName", zone).text("zoneState", "available");
    out.text("regionName", ctx.caller.region).text("zoneId", "use1-az" + std::to_string(index++));
    out.text("zoneType", "availability-zone").text("optInStatus", "opt-in-not-required");
    out.open("messageSet").close().close();
  }
  out.close();
  return out.finish();
}

Result<std::string> describe_account_attributes(ActionContext& ctx) {
  const auto& limits = ctx.caller.limits;
  std::vector<std::pair<std::string, std::string>> attributes = {
      {"supported-platforms", "VPC"},
      {"default-vpc", "none"},
      {"max-instances", std::to_string(limits.instances_per_account)},
      {"vpc-max-security-groups-per-interface",
       std::to_string(limits.security_groups_per_interface)},
      {"max-elastic-ips", std::to_string(limits.elastic_ips_per_account)},
      {"vpc-max-elastic-ips", std::to_string(limits.elastic_ips_per_account)}};
  auto wanted = ctx.params.list("AttributeName");
  XmlWriter out(XmlWriter::kFragment);
  out.open("accountAttributeSet");
  for (const auto& [name, value] : attributes) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
    out.open("item").text("attributeName", name);
    out.open("attributeValueSet").open("item").text("attributeValue", value).close().close();
    out.close();
  }
  out.close();
  return out.finish();
}

}  // namespace

void register_vpc_actions(ActionTable& table) {
  table["CreateVpc"] = create_vpc;
  table["DeleteVpc"] = delete_vpc;
  table["DescribeVpcs"] = describe_vpcs;
  table["ModifyVpcAttribute"] = modify_vpc_attribute;
  table["DescribeVpcAttribute"] = describe_vpc_attribute;
  table["AssociateVpcCidrBlock"] = associate_vpc_cidr_block;
  table["ModifyVpcTenancy"] = modify_vpc_tenancy;
  table["DescribeAvailabilityZones"] = describe_availability_zones;
  table["DescribeAccountAttributes"] = describe_account_attributes;
}

}  // namespace openvpc::api
