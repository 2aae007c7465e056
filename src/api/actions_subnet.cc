// Subnet actions: Create/Delete/DescribeSubnets, ModifySubnetAttribute.
#include <cctype>
#include <utility>

#include "api/action.h"
#include "model/cidr.h"

namespace openvpc::api {

namespace {

using model::Region;

int64_t available_addresses(const Region& region, const model::Subnet& subnet) {
  auto block = model::parse_ipv4_block(subnet.cidr);
  if (!block) return 0;
  int64_t count = model::address_count(*block) - 5;
  for (const auto& [id, eni] : std::as_const(region.network_interfaces)) {
    if (eni.subnet_id == subnet.id)
      count -= 1 + static_cast<int64_t>(eni.secondary_private_ips.size());
  }
  return count;
}

std::string subnet_arn(const model::Subnet& subnet) {
  return "arn:aws:ec2:us-east-1:" + subnet.owner + ":subnet/" + subnet.id;
}

FilterFields subnet_fields(const Region& region, const model::Subnet& subnet) {
  FilterFields fields{
      {"availability-zone", {subnet.availability_zone}},
      {"available-ip-address-count", {std::to_string(available_addresses(region, subnet))}},
      {"cidr-block", {subnet.cidr}},
      {"cidr", {subnet.cidr}},
      {"cidrBlock", {subnet.cidr}},
      {"default-for-az", {"false"}},
      {"map-public-ip-on-launch", {subnet.map_public_ip_on_launch ? "true" : "false"}},
      {"enable-dns64", {subnet.enable_dns64 ? "true" : "false"}},
      {"ipv6-native", {"false"}},
      {"private-dns-name-options-on-launch.hostname-type",
       {subnet.private_dns_hostname_type_on_launch}},
      {"private-dns-name-options-on-launch.enable-resource-name-dns-a-record",
       {subnet.enable_resource_name_dns_a_record_on_launch ? "true" : "false"}},
      {"private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record",
       {subnet.enable_resource_name_dns_aaaa_record_on_launch ? "true" : "false"}},
      {"owner-id", {subnet.owner}},
      {"state", {"available"}},
      {"subnet-id", {subnet.id}},
      {"vpc-id", {subnet.vpc_id}},
      {"subnet-arn", {subnet_arn(subnet)}},
      {"map-customer-owned-ip-on-launch", {"false"}}};
  // Zone ids, IPv6 blocks and Outposts (customer-owned pools, local network interfaces) are
  // not modelled.
  add_absent_fields(
      fields,
      {"availability-zone-id", "customer-owned-ipv4-pool", "enable-lni-at-device-index",
       "ipv6-cidr-block-association.ipv6-cidr-block", "ipv6-cidr-block-association.association-id",
       "ipv6-cidr-block-association.state", "outpost-arn"});
  add_tag_fields(fields, subnet.tags);
  return fields;
}

void render_subnet(XmlWriter& out, const Region& region, const model::Subnet& subnet) {
  out.text("subnetId", subnet.id).text("state", "available").text("vpcId", subnet.vpc_id);
  out.text("cidrBlock", subnet.cidr);
  out.number("availableIpAddressCount", available_addresses(region, subnet));
  out.text("availabilityZone", subnet.availability_zone);
  out.boolean("defaultForAz", false).boolean("mapPublicIpOnLaunch", subnet.map_public_ip_on_launch);
  out.text("ownerId", subnet.owner);
  out.boolean("assignIpv6AddressOnCreation", subnet.assign_ipv6_address_on_creation);
  out.open("ipv6CidrBlockAssociationSet").close();
  out.boolean("ipv6Native", false).boolean("mapCustomerOwnedIpOnLaunch", false);
  out.boolean("enableDns64", subnet.enable_dns64);
  out.open("privateDnsNameOptionsOnLaunch");
  out.text("hostnameType", subnet.private_dns_hostname_type_on_launch);
  out.boolean("enableResourceNameDnsARecord", subnet.enable_resource_name_dns_a_record_on_launch);
  out.boolean("enableResourceNameDnsAAAARecord",
              subnet.enable_resource_name_dns_aaaa_record_on_launch);
  out.close();
  out.text("subnetArn", subnet_arn(subnet));
  render_tags(out, subnet.tags);
}

Result<std::string> create_subnet(ActionContext& ctx) {
  auto vpc_id = ctx.params.required("VpcId");
  if (!vpc_id) return vpc_id.error();
  auto cidr = ctx.params.required("CidrBlock");
  if (!cidr) return cidr.error();
  std::string zone = ctx.params.get_or("AvailabilityZone", "");
  model::Tags tags = ctx.tag_specifications("subnet");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_subnet(region, ctx.caller, *vpc_id, *cidr, zone);
    if (!id) return id.error();
    if (!tags.empty()) {
      if (auto tagged = model::create_tags(region, ctx.caller, {*id}, tags); !tagged) {
        return tagged.error();
      }
    }
    out.open("subnet");
    render_subnet(out, region, region.subnets.at(*id));
    out.close();
    return {};
  });
}

Result<std::string> delete_subnet(ActionContext& ctx) {
  auto id = ctx.params.required("SubnetId");
  if (!id) return id.error();
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto deleted = model::delete_subnet(region, ctx.caller, *id);
    if (!deleted) return deleted.error();
    out.boolean("return", true);
    return {};
  });
}

Result<std::string> describe_subnets(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const Region& r = **region;
  return describe<model::Subnet>(
      ctx, r.subnets,
      {"SubnetId", "subnetSet", "InvalidSubnetID.NotFound", "subnet",
       [&](const model::Subnet& s) { return subnet_fields(r, s); },
       [&](XmlWriter& out, const model::Subnet& s) { render_subnet(out, r, s); }, nullptr, &r,
       model::kSubnetKind, "subnet-id"});
}

Result<std::string> modify_subnet_attribute(ActionContext& ctx) {
  auto id = ctx.params.required("SubnetId");
  if (!id) return id.error();
  // EC2 changes one attribute per request: a boolean as NAME.Value, the hostname type as is.
  std::vector<std::pair<std::string, std::string>> changes;
  for (const char* name :
       {"MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation", "EnableDns64",
        "EnableResourceNameDnsARecordOnLaunch", "EnableResourceNameDnsAAAARecordOnLaunch"}) {
    auto value = ctx.params.boolean(std::string(name) + ".Value");
    if (!value) return value.error();
    if (!*value) continue;
    std::string attribute = name;
    attribute[0] = static_cast<char>(std::tolower(attribute[0]));  // as the model names it
    changes.emplace_back(attribute, **value ? "true" : "false");
  }
  if (auto type = ctx.params.get("PrivateDnsHostnameTypeOnLaunch")) {
    changes.emplace_back("privateDnsHostnameTypeOnLaunch", *type);
  }
  for (const char* outposts : {"EnableLniAtDeviceIndex", "DisableLniAtDeviceIndex",
                               "MapCustomerOwnedIpOnLaunch", "CustomerOwnedIpv4Pool"}) {
    if (ctx.params.has(outposts) || ctx.params.has(std::string(outposts) + ".Value")) {
      return make_error("UnsupportedOperation", std::string(outposts) +
                                                    " applies only to subnets on an AWS "
                                                    "Outpost, which this region does not have.");
    }
  }
  if (changes.empty()) {
    return make_error("MissingParameter", "The request must contain an attribute to modify");
  }
  if (changes.size() > 1) {
    return make_error("InvalidParameterCombination",
                      "Exactly one attribute may be modified per request");
  }
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto changed = model::modify_subnet_attribute(region, ctx.caller, *id, changes[0].first,
                                                  changes[0].second);
    if (!changed) return changed.error();
    out.boolean("return", true);
    return {};
  });
}

}  // namespace

void register_subnet_actions(ActionTable& table) {
  table["CreateSubnet"] = create_subnet;
  table["DeleteSubnet"] = delete_subnet;
  table["DescribeSubnets"] = describe_subnets;
  table["ModifySubnetAttribute"] = modify_subnet_attribute;
}

}  // namespace openvpc::api
