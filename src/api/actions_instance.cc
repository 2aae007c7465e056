// Instance actions: RunInstances (SubnetId, PrivateIpAddress, SecurityGroupId.N or the same in
// NetworkInterface.1 with AssociatePublicIpAddress, and Placement.HostId naming the physical
// host; the image id is accepted and ignored),
// TerminateInstances, DescribeInstances (one reservation per instance).
#include "api/action.h"

#include <utility>

#include "model/region_index.h"
#include "program/dns_names.h"

namespace openvpc::api {

namespace {

using model::Region;

// visit(id, interface) for each interface attached to `instance_id`, in id order: through the
// attachment index where it is current (every published Region), else by a scan (issue 14:
// a DescribeInstances page at 100k interfaces must not scan them once per instance).
template <typename Visit>
void for_each_attached_interface(const Region& region, const std::string& instance_id,
                                 Visit&& visit) {
  if (model::indexes_current(region)) {
    model::for_each_indexed(region, model::kInterfaceKind, "attachment.instance-id", instance_id,
                            [&](std::string_view id) {
                              auto it = region.network_interfaces.find(std::string(id));
                              if (it != region.network_interfaces.end())
                                visit(it->first, it->second);
                            });
    return;
  }
  for (const auto& [id, eni] : std::as_const(region.network_interfaces)) {
    if (eni.attached && eni.attachment.instance_id == instance_id) visit(id, eni);
  }
}

void render_state(XmlWriter& out, std::string_view element, const std::string& state) {
  out.open(element).number("code", state == "running" ? 16 : 48).text("name", state).close();
}

// The primary interface's public address (elastic or launch-time), if any.
std::optional<model::PublicAddress> instance_public_address(const Region& region,
                                                            const model::Instance& instance) {
  auto primary = region.network_interfaces.find(instance.primary_interface_id);
  if (instance.state != "running" || primary == region.network_interfaces.end()) return {};
  return model::public_address_of(region, primary->second, instance.private_ip);
}

void render_instance(XmlWriter& out, const Region& region, const model::Instance& instance,
                     const std::string& region_name) {
  out.text("instanceId", instance.id).text("imageId", instance.image_id);
  render_state(out, "instanceState", instance.state);
  const auto public_address = instance_public_address(region, instance);
  const std::string public_ip = public_address ? public_address->public_ip : "";
  out.text("privateDnsName", instance.state == "running"
                                 ? program::private_dns_name(instance.private_ip, region_name)
                                 : "");
  out.text("dnsName", program::public_dns_name(public_ip, region_name));
  out.text("instanceType", instance.instance_type).text("launchTime", instance.launch_time);
  out.number("amiLaunchIndex", 0);
  out.open("placement").text("availabilityZone", instance.availability_zone);
  out.optional("hostId", instance.host_id).text("tenancy", "default").close();
  out.open("monitoring").text("state", "disabled").close();
  out.text("architecture", "x86_64").text("rootDeviceType", "ebs");
  out.text("virtualizationType", "hvm").text("hypervisor", "xen");
  if (instance.state != "running") {
    out.open("groupSet").close().open("networkInterfaceSet").close();
    render_tags(out, instance.tags);
    return;
  }
  out.text("subnetId", instance.subnet_id).text("vpcId", instance.vpc_id);
  out.text("privateIpAddress", instance.private_ip);
  auto primary = region.network_interfaces.find(instance.primary_interface_id);
  if (primary != region.network_interfaces.end()) {
    out.optional("ipAddress", public_ip);
    out.boolean("sourceDestCheck", primary->second.source_dest_check);
    render_group_set(out, region, primary->second.group_ids);
  }
  out.open("networkInterfaceSet");
  for_each_attached_interface(region, instance.id, [&](const std::string&, const auto& eni) {
    out.open("item");
    render_network_interface(out, region, eni, region_name);
    out.close();
  });
  out.close();
  render_tags(out, instance.tags);
}

void render_reservation(XmlWriter& out, const Region& region, const model::Instance& instance,
                        const std::string& region_name) {
  out.text("reservationId", "r-" + instance.id.substr(2)).text("ownerId", instance.owner);
  out.open("groupSet").close().open("instancesSet").open("item");
  render_instance(out, region, instance, region_name);
  out.close().close();
}

FilterFields instance_fields(const Region& region, const model::Instance& instance,
                             const std::string& region_name) {
  FilterFields fields{{"availability-zone", {instance.availability_zone}},
                      {"image-id", {instance.image_id}},
                      {"instance-id", {instance.id}},
                      {"instance-state-name", {instance.state}},
                      {"instance-type", {instance.instance_type}},
                      {"host-id", {instance.host_id}},
                      {"placement-host-id", {instance.host_id}},
                      {"network-interface.network-interface-id", {instance.primary_interface_id}},
                      {"owner-id", {instance.owner}},
                      {"private-ip-address", {instance.private_ip}},
                      {"subnet-id", {instance.subnet_id}},
                      {"vpc-id", {instance.vpc_id}},
                      {"ip-address", {}},
                      {"dns-name", {}},
                      {"network-interface.association.public-ip", {}}};
  // What the answer reports about every instance here.
  const std::pair<const char*, const char*> constant[] = {
      {"architecture", "x86_64"},     {"hypervisor", "xen"},  {"root-device-type", "ebs"},
      {"virtualization-type", "hvm"}, {"tenancy", "default"}, {"monitoring-state", "disabled"},
      {"launch-index", "0"}};
  for (const auto& [name, value] : constant) fields[name] = {value};
  fields["instance-state-code"] = {instance.state == "running" ? "16" : "48"};
  fields["launch-time"] = {instance.launch_time};
  fields["reservation-id"] = {"r-" + instance.id.substr(std::min<size_t>(2, instance.id.size()))};
  fields["private-dns-name"] = {};
  // Its interfaces' fields as network-interface.NAME; the primary's groups as the instance's.
  model::NetworkInterface none;
  for (const auto& [name, values] : interface_fields(region, none, region_name)) {
    fields["network-interface." + name];
  }
  for (const char* name :
       {"group-id", "group-name", "instance.group-id", "instance.group-name", "source-dest-check",
        "network-interface.addresses.association.ip-owner-id"}) {
    fields[name];
  }
  auto add_interface = [&](const std::string& id, const model::NetworkInterface& eni) {
    FilterFields of_interface = interface_fields(region, eni, region_name);
    for (const auto& [name, values] : of_interface) {
      auto& into = fields["network-interface." + name];
      into.insert(into.end(), values.begin(), values.end());
    }
    // DescribeInstances spells the interfaces' addresses.association.owner-id this way.
    auto& owners = fields["network-interface.addresses.association.ip-owner-id"];
    const auto& owner_ids = of_interface["addresses.association.owner-id"];
    owners.insert(owners.end(), owner_ids.begin(), owner_ids.end());
    if (id != instance.primary_interface_id) return;
    fields["private-dns-name"] = of_interface["private-dns-name"];
    fields["source-dest-check"] = of_interface["source-dest-check"];
    for (const char* name : {"group-id", "group-name"}) {
      fields[name] = of_interface[name];
      fields[std::string("instance.") + name] = of_interface[name];
    }
  };
  if (instance.state == "running") for_each_attached_interface(region, instance.id, add_interface);
  // Block devices, profiles, key pairs, placement groups, Spot, Outposts and the rest of EC2's
  // instance options do not exist here.
  add_absent_fields(fields, {"affinity",
                             "block-device-mapping.attach-time",
                             "block-device-mapping.delete-on-termination",
                             "block-device-mapping.device-name",
                             "block-device-mapping.status",
                             "block-device-mapping.volume-id",
                             "capacity-reservation-id",
                             "client-token",
                             "hibernation-options.configured",
                             "iam-instance-profile.arn",
                             "instance-lifecycle",
                             "kernel-id",
                             "key-name",
                             "metadata-options.http-tokens",
                             "metadata-options.http-put-response-hop-limit",
                             "metadata-options.http-endpoint",
                             "outpost-arn",
                             "placement-group-name",
                             "placement-partition-number",
                             "platform",
                             "product-code",
                             "product-code.type",
                             "ramdisk-id",
                             "reason",
                             "requester-id",
                             "root-device-name",
                             "spot-instance-request-id",
                             "state-reason-code",
                             "state-reason-message"});
  if (auto address = instance_public_address(region, instance)) {
    fields["ip-address"].push_back(address->public_ip);
    fields["dns-name"].push_back(program::public_dns_name(address->public_ip, region_name));
    fields["network-interface.association.public-ip"].push_back(address->public_ip);
  }
  add_tag_fields(fields, instance.tags);
  return fields;
}

Result<model::InstanceRequest> instance_request(const Params& params) {
  model::InstanceRequest request;
  auto image = params.required("ImageId");
  if (!image) return image.error();
  request.image_id = *image;
  request.instance_type = params.get_or("InstanceType", "t3.micro");
  request.host_id = params.get_or("Placement.HostId", "");
  auto min_count = params.integer("MinCount", 1, 1000);
  if (!min_count) return min_count.error();
  auto max_count = params.integer("MaxCount", 1, 1000);
  if (!max_count) return max_count.error();
  if (!*min_count || !*max_count) {
    return make_error("MissingParameter", "The request must contain MinCount and MaxCount");
  }
  if (**min_count > **max_count) {
    return make_error("InvalidParameterValue", "MinCount must be less than or equal to MaxCount");
  }
  request.count = static_cast<int>(**max_count);
  request.network.subnet_id = params.get_or("SubnetId", "");
  request.network.private_ip = params.get_or("PrivateIpAddress", "");
  request.network.group_ids = params.list("SecurityGroupId");
  // The primary interface spelled out (aws ec2 run-instances --associate-public-ip-address
  // sends SubnetId, groups and the flag this way): NetworkInterface.1 with DeviceIndex 0.
  const std::string primary = "NetworkInterface.1.";
  if (params.count("NetworkInterface") > 0) {
    if (params.count("NetworkInterface") > 1 ||
        params.get_or(primary + "DeviceIndex", "0") != "0") {
      return make_error(
          "InvalidParameterValue",
          "Only the primary network interface (DeviceIndex 0) can be given at launch");
    }
    if (auto subnet = params.get(primary + "SubnetId")) request.network.subnet_id = *subnet;
    if (auto ip = params.get(primary + "PrivateIpAddress")) request.network.private_ip = *ip;
    if (auto groups = params.list(primary + "SecurityGroupId"); !groups.empty()) {
      request.network.group_ids = groups;
    }
    auto associate = params.boolean(primary + "AssociatePublicIpAddress");
    if (!associate) return associate.error();
    request.associate_public_ip = *associate;
  }
  return request;
}

Result<std::string> run_instances(ActionContext& ctx) {
  auto request = instance_request(ctx.params);
  if (!request) return request.error();
  model::Tags tags = ctx.tag_specifications("instance");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto ids = model::run_instances(region, ctx.caller, *request);
    if (!ids) return ids.error();
    if (!tags.empty()) {
      if (auto tagged = model::create_tags(region, ctx.caller, *ids, tags); !tagged) {
        return tagged.error();
      }
    }
    out.text("reservationId", "r-" + ids->front().substr(2)).text("ownerId", ctx.caller.account_id);
    out.open("groupSet").close().open("instancesSet");
    for (const auto& id : *ids) {
      out.open("item");
      render_instance(out, region, region.instances.at(id), ctx.caller.region);
      out.close();
    }
    out.close();
    return {};
  });
}

Result<std::string> terminate_instances(ActionContext& ctx) {
  auto ids = ctx.params.list("InstanceId");
  return ctx.commit([&](Region& region, XmlWriter& out) -> Result<void> {
    auto previous = model::terminate_instances(region, ctx.caller, ids);
    if (!previous) return previous.error();
    out.open("instancesSet");
    for (size_t i = 0; i < ids.size(); ++i) {
      out.open("item").text("instanceId", ids[i]);
      render_state(out, "currentState", "terminated");
      render_state(out, "previousState", (*previous)[i]);
      out.close();
    }
    out.close();
    return {};
  });
}

Result<std::string> describe_instances(ActionContext& ctx) {
  auto region = ctx.read();
  if (!region) return region.error();
  const Region& r = **region;
  return describe<model::Instance>(
      ctx, r.instances,
      {"InstanceId", "reservationSet", "InvalidInstanceID.NotFound", "instance",
       [&](const model::Instance& i) { return instance_fields(r, i, ctx.caller.region); },
       [&](XmlWriter& out, const model::Instance& i) {
         render_reservation(out, r, i, ctx.caller.region);
       },
       nullptr, &r, model::kInstanceKind, "instance-id"});
}

}  // namespace

void register_instance_actions(ActionTable& table) {
  table["RunInstances"] = run_instances;
  table["TerminateInstances"] = terminate_instances;
  table["DescribeInstances"] = describe_instances;
}

}  // namespace openvpc::api
