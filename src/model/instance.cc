// Instances: RunInstances creates the primary interface (device index 0) in the subnet, gives
// it a public IPv4 address when asked (AssociatePublicIpAddress, else the subnet's
// MapPublicIpOnLaunch) and places the instance on the named physical host; termination deletes the
// interfaces that were created with it and detaches the others. Terminated instances stay visible.
#include <algorithm>

#include "model/operations.h"

namespace openvpc::model {

Result<std::vector<std::string>> run_instances(Region& region, const Caller& caller,
                                               const InstanceRequest& request) {
  if (request.count < 1) {
    return invalid_parameter("Value (" + std::to_string(request.count) +
                             ") for parameter count is invalid.");
  }
  if (request.count > 1 && !request.network.private_ip.empty()) {
    return make_error("InvalidParameterCombination",
                      "Cannot specify a private IP address when launching more than one instance");
  }
  auto running =
      std::count_if(region.instances.cbegin(), region.instances.cend(), [&](const auto& e) {
        return e.second.owner == caller.account_id && e.second.state == "running";
      });
  if (running + request.count > caller.limits.instances_per_account) {
    return make_error("InstanceLimitExceeded",
                      "You have requested more instances than your current instance limit allows.");
  }
  if (request.network.subnet_id.empty()) {
    return make_error("MissingParameter", "The request must contain the parameter SubnetId");
  }
  std::vector<std::string> ids;
  for (int i = 0; i < request.count; ++i) {
    auto eni_id = create_network_interface(region, caller, request.network);
    if (!eni_id) return eni_id.error();
    NetworkInterface& eni = region.network_interfaces[*eni_id];
    const Subnet& subnet = region.subnets.at(eni.subnet_id);
    if (request.associate_public_ip.value_or(subnet.map_public_ip_on_launch)) {
      auto public_ip = claim_public_ip(region, caller);
      if (!public_ip) return public_ip.error();
      eni.public_ip = *public_ip;
      eni.auto_public_ip = true;
    }
    Instance instance;
    instance.id = caller.ids->resource_id("i");
    instance.owner = caller.account_id;
    instance.vpc_id = eni.vpc_id;
    instance.subnet_id = eni.subnet_id;
    instance.availability_zone = eni.availability_zone;
    instance.image_id = request.image_id;
    instance.instance_type = request.instance_type;
    instance.host_id = request.host_id;
    instance.primary_interface_id = eni.id;
    instance.private_ip = eni.private_ip;
    instance.launch_time = iso8601(caller.now);
    eni.attached = true;
    eni.attachment = {caller.ids->resource_id("eni-attach"), instance.id, 0};
    eni.host_id = request.host_id;
    eni.description = "Primary network interface";
    ids.push_back(instance.id);
    region.instances[instance.id] = std::move(instance);
  }
  return ids;
}

Result<std::vector<std::string>> terminate_instances(Region& region, const Caller& caller,
                                                     const std::vector<std::string>& ids) {
  if (ids.empty()) return make_error("MissingParameter", "The request must contain InstanceId");
  std::vector<std::string> previous;
  for (const auto& id : ids) {
    auto instance =
        find_owned(region.instances, caller, id, "InvalidInstanceID.NotFound", "instance");
    if (!instance) return instance.error();
    previous.push_back((*instance)->state);
  }
  for (const auto& id : ids) {
    Instance& instance = region.instances[id];
    if (instance.state == "terminated") continue;
    instance.state = "terminated";
    std::vector<std::string> doomed;
    for (auto& [eni_id, eni] : region.network_interfaces) {
      if (!eni.attached || eni.attachment.instance_id != id) continue;
      eni.attached = false;
      eni.attachment = {};
      eni.host_id.clear();
      if (eni_id == instance.primary_interface_id) doomed.push_back(eni_id);
    }
    for (const auto& eni_id : doomed) {
      auto deleted = delete_network_interface(region, caller, eni_id);
      if (!deleted) return deleted.error();
    }
  }
  return previous;
}

}  // namespace openvpc::model
