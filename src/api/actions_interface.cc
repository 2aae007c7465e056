// Network interface and instance actions: Create/Delete/DescribeNetworkInterfaces,
// ModifyNetworkInterfaceAttribute, Attach/DetachNetworkInterface, AssignPrivateIpAddresses,
// RunInstances, TerminateInstances, DescribeInstances.
#include <algorithm>

#include "api/action.h"
#include "program/dns_names.h"

namespace openvpc::api {

namespace {

using model::Region;

void render_groups(XmlWriter& out, const Region& region, const std::vector<std::string>& ids) {
  out.open("groupSet");
  for (const auto& id : ids) {
    auto it = region.security_groups.find(id);
    out.open("item").text("groupId", id);
    out.text("groupName", it == region.security_groups.end() ? "" : it->second.name).close();
  }
  out.close();
}

// <association> of one private address with a public one (elastic or launch-time).
void render_association(XmlWriter& out, const model::PublicAddress& address,
                        const std::string& region_name) {
  out.open("association").text("publicIp", address.public_ip);
  out.text("publicDnsName", program::public_dns_name(address.public_ip, region_name));
  out.text("ipOwnerId", address.ip_owner);
  out.optional("allocationId", address.allocation_id);
  out.optional("associationId", address.association_id);
  out.close();
}

void render_interface(XmlWriter& out, const Region& region, const model::NetworkInterface& eni,
                      const std::string& region_name) {
  out.text("networkInterfaceId", eni.id).text("subnetId", eni.subnet_id).text("vpcId", eni.vpc_id);
  out.text("availabilityZone", eni.availability_zone).text("description", eni.description);
  out.text("ownerId", eni.owner).boolean("requesterManaged", eni.requester_managed);
  out.text("status", eni.attached || eni.requester_managed ? "in-use" : "available")
      .text("macAddress", eni.mac_address);
  out.text("privateIpAddress", eni.private_ip)
      .text("privateDnsName", program::private_dns_name(eni.private_ip, region_name));
  out.boolean("sourceDestCheck", eni.source_dest_check).text("interfaceType", eni.interface_type);
  render_groups(out, region, eni.group_ids);
  if (eni.attached) {
    out.open("attachment").text("attachmentId", eni.attachment.id);
    out.text("instanceId", eni.attachment.instance_id).text("instanceOwnerId", eni.owner);
    out.number("deviceIndex", eni.attachment.device_index).text("status", "attached");
    out.boolean("deleteOnTermination", eni.attachment.device_index == 0).close();
  }
  if (auto address = model::public_address_of(region, eni, eni.private_ip)) {
    render_association(out, *address, region_name);
  }
  out.open("privateIpAddressesSet");
  for (size_t i = 0; i <= eni.secondary_private_ips.size(); ++i) {
    const std::string& ip = i == 0 ? eni.private_ip : eni.secondary_private_ips[i - 1];
    out.open("item").text("privateIpAddress", ip);
    out.text("privateDnsName", program::private_dns_name(ip, region_name));
    out.boolean("primary", i == 0);
    if (auto address = model::public_address_of(region, eni, ip)) {
      render_association(out, *address, region_name);
    }
    out.close();
  }
  out.close().open("ipv6AddressesSet").close();
  render_tags(out, eni.tags);
}

}  // namespace

FilterFields interface_fields(const Region& region, const model::NetworkInterface& eni,
                              const std::string& region_name) {
  FilterFields fields{
      {"addresses.private-ip-address", {eni.private_ip}},
      {"attachment.instance-id", {}},
      {"attachment.attachment-id", {}},
      {"availability-zone", {eni.availability_zone}},
      {"description", {eni.description}},
      {"group-id", eni.group_ids},
      {"mac-address", {eni.mac_address}},
      {"network-interface-id", {eni.id}},
      {"owner-id", {eni.owner}},
      {"private-ip-address", {eni.private_ip}},
      {"source-dest-check", {eni.source_dest_check ? "true" : "false"}},
      {"status", {eni.attached ? "in-use" : "available"}},
      {"subnet-id", {eni.subnet_id}},
      {"vpc-id", {eni.vpc_id}},
      {"addresses.primary", {"true"}},
      {"addresses.association.public-ip", {}},
      {"addresses.association.owner-id", {}},
      {"attachment.device-index", {}},
      {"attachment.instance-owner-id", {}},
      {"attachment.status", {}},
      {"interface-type", {eni.interface_type}},
      {"private-dns-name", {program::private_dns_name(eni.private_ip, region_name)}},
      {"requester-managed", {eni.requester_managed ? "true" : "false"}}};
  // Attach times, delete-on-termination, requester ids and IPv6 are not kept here.
  add_absent_fields(fields, {"attachment.attach-time", "attachment.delete-on-termination",
                             "requester-id", "ipv6-addresses.ipv6-address"});
  for (const auto& group_id : eni.group_ids) {
    if (auto group = region.security_groups.find(group_id); group != region.security_groups.end()) {
      fields["group-name"].push_back(group->second.name);
    }
  }
  fields["group-name"];
  for (const auto& ip : eni.secondary_private_ips) {
    fields["addresses.private-ip-address"].push_back(ip);
    fields["addresses.primary"].push_back("false");
  }
  if (eni.attached) {
    fields["attachment.instance-id"].push_back(eni.attachment.instance_id);
    fields["attachment.attachment-id"].push_back(eni.attachment.id);
    fields["attachment.device-index"].push_back(std::to_string(eni.attachment.device_index));
    fields["attachment.instance-owner-id"].push_back(eni.owner);
    fields["attachment.status"].push_back("attached");
  }
  for (const char* name :
       {"association.public-ip", "association.public-dns-name", "association.ip-owner-id",
        "association.allocation-id", "association.association-id"}) {
    fields[name];
  }
  for (size_t i = 0; i <= eni.secondary_private_ips.size(); ++i) {
    const std::string& ip = i == 0 ? eni.private_ip : eni.secondary_private_ips[i - 1];
    auto address = model::public_address_of(region, eni, ip);
    if (!address) continue;
    fields["association.public-ip"].push_back(address->public_ip);
    fields["association.public-dns-name"].push_back(
        program::public_dns_name(address->public_ip, region_name));
    fields["association.ip-owner-id"].push_back(address->ip_owner);
    fields["addresses.association.public-ip"].push_back(address->public_ip);
    fields["addresses.association.owner-id"].push_back(address->ip_owner);
    if (!address->allocation_id.empty()) {
      fields["association.allocation-id"].push_back(address->allocation_id);
      fields["association.association-id"].push_back(address->association_id);
    }
  }
  add_tag_fields(fields, eni.tags);
  return fields;
}

namespace {

model::InterfaceRequest interface_request(const Params& params) {
  model::InterfaceRequest request;
  request.subnet_id = params.get_or("SubnetId", "");
  request.private_ip = params.get_or("PrivateIpAddress", "");
  request.group_ids = params.list("SecurityGroupId");
  request.description = params.get_or("Description", "");
  return request;
}

Result<std::string> create_interface(ActionContext& ctx) {
  auto subnet = ctx.params.required("SubnetId");
  if (!subnet) return subnet.error();
  auto request = interface_request(ctx.params);
  auto secondary = ctx.params.integer("SecondaryPrivateIpAddressCount", 0, 1000);
  if (!secondary) return secondary.error();
  request.secondary_count = static_cast<int>(secondary->value_or(0));
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto id = model::create_network_interface(region, ctx.caller, request);
    if (!id) return id.error();
    if (auto tagged = tag_new_resource(ctx, region, *id, "network-interface"); !tagged) {
      return tagged.error();
    }
    out.open("networkInterface");
    render_interface(out, region, region.network_interfaces.at(*id), ctx.caller.region);
    out.close();
    return {};
  });
}

Result<void> modify_interface(ActionContext& ctx, Region& region) {
  auto id = ctx.params.required("NetworkInterfaceId");
  if (!id) return id.error();
  auto check = ctx.params.boolean("SourceDestCheck.Value");
  if (!check) return check.error();
  return model::modify_network_interface(region, ctx.caller, *id, *check,
                                         ctx.params.list("SecurityGroupId"));
}

Result<std::string> attach_interface(ActionContext& ctx) {
  auto id = ctx.params.required("NetworkInterfaceId");
  if (!id) return id.error();
  auto instance = ctx.params.required("InstanceId");
  if (!instance) return instance.error();
  auto index = ctx.params.integer("DeviceIndex", -1000, 1000);
  if (!index) return index.error();
  if (!*index)
    return make_error("MissingParameter", "The request must contain the parameter DeviceIndex");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto attachment = model::attach_network_interface(region, ctx.caller, *id, *instance,
                                                      static_cast<int>(**index));
    if (!attachment) return attachment.error();
    out.text("attachmentId", *attachment);
    return {};
  });
}

Result<std::string> assign_addresses(ActionContext& ctx) {
  auto id = ctx.params.required("NetworkInterfaceId");
  if (!id) return id.error();
  auto count = ctx.params.integer("SecondaryPrivateIpAddressCount", 1, 1000);
  if (!count) return count.error();
  auto addresses = ctx.params.list("PrivateIpAddress");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto assigned = model::assign_private_ip_addresses(region, ctx.caller, *id, addresses,
                                                       static_cast<int>(count->value_or(0)));
    if (!assigned) return assigned.error();
    out.text("networkInterfaceId", *id).open("assignedPrivateIpAddressesSet");
    for (const auto& ip : *assigned) out.open("item").text("privateIpAddress", ip).close();
    out.close();
    return {};
  });
}

Result<std::string> describe_interfaces(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const Region& r = **region;
  return describe<model::NetworkInterface>(
      ctx, r.network_interfaces,
      {"NetworkInterfaceId", "networkInterfaceSet", "InvalidNetworkInterfaceID.NotFound",
       "network interface",
       [&](const model::NetworkInterface& eni) {
         return interface_fields(r, eni, ctx.caller.region);
       },
       [&](XmlWriter& out, const model::NetworkInterface& eni) {
         render_interface(out, r, eni, ctx.caller.region);
       },
       nullptr, &r, model::kInterfaceKind, "network-interface-id"});
}

}  // namespace

// Shared with actions_instance.cc.
void render_network_interface(XmlWriter& out, const Region& region,
                              const model::NetworkInterface& eni, const std::string& region_name) {
  render_interface(out, region, eni, region_name);
}
void render_group_set(XmlWriter& out, const Region& region, const std::vector<std::string>& ids) {
  render_groups(out, region, ids);
}

void register_interface_actions(ActionTable& table) {
  table["CreateNetworkInterface"] = create_interface;
  table["DeleteNetworkInterface"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("NetworkInterfaceId");
        if (!id) return id.error();
        return model::delete_network_interface(region, ctx.caller, *id);
      });
  table["DescribeNetworkInterfaces"] = describe_interfaces;
  table["ModifyNetworkInterfaceAttribute"] = returning_true(modify_interface);
  table["AttachNetworkInterface"] = attach_interface;
  table["DetachNetworkInterface"] =
      returning_true([](ActionContext& ctx, Region& region) -> Result<void> {
        auto id = ctx.params.required("AttachmentId");
        if (!id) return id.error();
        return model::detach_network_interface(region, ctx.caller, *id);
      });
  table["AssignPrivateIpAddresses"] = assign_addresses;
}

}  // namespace openvpc::api
