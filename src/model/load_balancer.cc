// Network load balancers and their listeners, attributes and tags (load_balancer.h).
#include "model/load_balancer.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <type_traits>
#include <utility>

#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

Error validation(std::string message) {
  return make_error("ValidationError", std::move(message));
}
Error configuration(std::string message) {
  return make_error("InvalidConfigurationRequest", std::move(message));
}

// ELB's names: 1-32 letters, digits and hyphens, no hyphen first or last.
Result<void> check_name(const std::string& name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= 32 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) {
    return validation(std::string(what) + " name '" + name +
                      "' must be 1-32 letters, digits or hyphens, and must not begin or end "
                      "with a hyphen");
  }
  return {};
}

bool vpc_has_internet_gateway(const Region& region, const std::string& vpc_id) {
  return std::any_of(region.internet_gateways.cbegin(), region.internet_gateways.cend(),
                     [&](const auto& e) { return e.second.attached_vpc_id == vpc_id; });
}

std::string arn_prefix(const Caller& caller) {
  return "arn:aws:elasticloadbalancing:" + caller.region + ":" + caller.account_id + ":";
}

// The checked subnets of a request: each the caller's, one VPC, one per zone.
Result<std::string> check_subnets(Region& region, const Caller& caller,
                                  const LoadBalancerRequest& request) {
  if (request.subnets.empty()) {
    return validation("At least one subnet must be specified for a network load balancer");
  }
  std::string vpc_id;
  std::set<std::string> zones;
  for (const auto& mapping : request.subnets) {
    auto it = region.subnets.find(mapping.subnet_id);
    if (it == region.subnets.end() || it->second.owner != caller.account_id) {
      return make_error("SubnetNotFound", "The subnet ID '" + mapping.subnet_id + "' is not valid");
    }
    if (!vpc_id.empty() && it->second.vpc_id != vpc_id) {
      return configuration("The subnets of a load balancer must all be in the same VPC");
    }
    vpc_id = it->second.vpc_id;
    if (!zones.insert(it->second.availability_zone).second) {
      return configuration("You cannot specify multiple subnets in the same Availability Zone");
    }
    if (!mapping.allocation_id.empty()) {
      if (request.scheme != "internet-facing") {
        return configuration(
            "Elastic IP addresses can only be used by internet-facing load "
            "balancers");
      }
      auto address = region.addresses.find(mapping.allocation_id);
      if (address == region.addresses.end() || address->second.owner != caller.account_id) {
        return make_error("AllocationIdNotFound",
                          "The allocation ID '" + mapping.allocation_id + "' was not found");
      }
      if (!address->second.association_id.empty()) {
        return configuration("The allocation ID '" + mapping.allocation_id +
                             "' is already associated");
      }
    }
  }
  for (size_t i = 0; i < request.subnets.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const auto& a = request.subnets[i].allocation_id;
      if (!a.empty() && a == request.subnets[j].allocation_id) {
        return configuration("The allocation ID '" + a + "' is given for more than one subnet");
      }
    }
  }
  return vpc_id;
}

// The interface of one subnet, with its public address when internet-facing.
Result<LoadBalancerAddress> claim_address(Region& region, const Caller& caller,
                                          const LoadBalancer& lb, const SubnetMapping& mapping) {
  InterfaceRequest eni_request{.subnet_id = mapping.subnet_id,
                               .private_ip = mapping.private_ip,
                               .group_ids = {},
                               .description = "ELB net/" + lb.name + "/" + lb.id,
                               .secondary_count = 0};
  auto eni_id = create_network_interface(region, caller, eni_request);
  if (!eni_id) return configuration(eni_id.error().message);
  NetworkInterface& eni = region.network_interfaces.at(*eni_id);
  eni.interface_type = "network_load_balancer";
  eni.requester_managed = true;
  eni.group_ids.clear();
  LoadBalancerAddress address{.subnet_id = mapping.subnet_id,
                              .availability_zone = eni.availability_zone,
                              .network_interface_id = *eni_id,
                              .private_ip = eni.private_ip,
                              .allocation_id = "",
                              .association_id = "",
                              .public_ip = ""};
  if (lb.scheme != "internet-facing") return address;
  if (!mapping.allocation_id.empty()) {
    auto association = associate_address(
        region, caller, {mapping.allocation_id, "", *eni_id, eni.private_ip, false});
    if (!association) return configuration(association.error().message);
    address.allocation_id = mapping.allocation_id;
    address.association_id = *association;
    address.public_ip = region.addresses.at(mapping.allocation_id).public_ip;
  } else {
    auto public_ip = claim_public_ip(region, caller);
    if (!public_ip) return configuration(public_ip.error().message);
    NetworkInterface& claimed = region.network_interfaces.at(*eni_id);
    claimed.public_ip = *public_ip;
    claimed.auto_public_ip = true;
    address.public_ip = *public_ip;
  }
  return address;
}

template <typename Map>
Result<typename Map::mapped_type*> find_arn(Map& map, const Caller& caller, const std::string& arn,
                                            std::string_view code, std::string_view noun) {
  auto it = map.find(arn);
  if (it == map.end() || it->second.owner != caller.account_id) {
    return make_error(std::string(code), std::string(noun) + " '" + arn + "' not found");
  }
  return &it->second;
}

Result<bool> attribute_boolean(const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return validation("The value of attribute '" + key + "' must be 'true' or 'false'");
}

}  // namespace

Result<LoadBalancer*> find_load_balancer(Region& region, const Caller& caller,
                                         const std::string& arn) {
  return find_arn(region.load_balancers, caller, arn, "LoadBalancerNotFound", "Load balancer");
}

Result<std::string> create_load_balancer(Region& region, const Caller& caller,
                                         const LoadBalancerRequest& request) {
  if (request.type != "network") {
    if (request.type == "application" || request.type == "gateway") {
      return configuration("Load balancers of type '" + request.type +
                           "' are not available here; only network load balancers "
                           "(Type network) are");
    }
    return validation("Load balancer type '" + request.type + "' is not valid");
  }
  if (auto named = check_name(request.name, "Load balancer"); !named) return named.error();
  if (request.name.rfind("internal-", 0) == 0) {
    return validation("Load balancer names cannot begin with 'internal-'");
  }
  if (request.scheme != "internet-facing" && request.scheme != "internal") {
    return validation("Scheme '" + request.scheme + "' is not valid");
  }
  if (request.ip_address_type != "ipv4") {
    return validation("IP address type '" + request.ip_address_type +
                      "' is not available here; only ipv4 is");
  }
  int owned = 0;
  for (const auto& [arn, lb] : std::as_const(region.load_balancers)) {
    if (lb.owner != caller.account_id) continue;
    if (lb.name == request.name) {
      return make_error("DuplicateLoadBalancerName",
                        "A load balancer with the same name '" + request.name + "' exists");
    }
    ++owned;
  }
  if (owned >= caller.limits.load_balancers_per_account) {
    return make_error("TooManyLoadBalancers",
                      "You have reached the limit of " +
                          std::to_string(caller.limits.load_balancers_per_account) +
                          " load balancers");
  }
  auto vpc_id = check_subnets(region, caller, request);
  if (!vpc_id) return vpc_id.error();
  if (request.scheme == "internet-facing" && !vpc_has_internet_gateway(region, *vpc_id)) {
    return make_error("InvalidSubnet", "VPC " + *vpc_id + " has no internet gateway");
  }

  LoadBalancer lb;
  lb.id = caller.ids->hex(16);
  lb.arn = arn_prefix(caller) + "loadbalancer/net/" + request.name + "/" + lb.id;
  lb.owner = caller.account_id;
  lb.name = request.name;
  lb.vpc_id = *vpc_id;
  lb.number = new_program_number(region, *caller.ids);
  lb.scheme = request.scheme;
  lb.dns_name = request.name + "-" + lb.id + ".elb." + caller.region + ".amazonaws.com";
  lb.created_time = iso8601(caller.now);
  for (const auto& mapping : request.subnets) {
    auto address = claim_address(region, caller, lb, mapping);
    if (!address) return address.error();
    lb.addresses.push_back(std::move(*address));
  }
  std::string arn = lb.arn;
  region.load_balancers[arn] = std::move(lb);
  return arn;
}

Result<void> delete_load_balancer(Region& region, const Caller& caller, const std::string& arn) {
  auto it = region.load_balancers.find(arn);
  if (it == region.load_balancers.end() || it->second.owner != caller.account_id) return {};
  const LoadBalancer& lb = it->second;
  if (lb.deletion_protection) {
    return make_error(
        "OperationNotPermitted",
        "Load balancer '" + arn + "' cannot be deleted because deletion protection is enabled");
  }
  erase_if(region.listeners, [&](const auto& e) { return e.second.load_balancer_arn == arn; });
  for (const auto& address : lb.addresses) {
    for (auto& [allocation_id, eip] : region.addresses) {
      if (eip.network_interface_id == address.network_interface_id) {
        eip.association_id.clear();
        eip.network_interface_id.clear();
        eip.private_ip.clear();
        eip.instance_id.clear();
      }
    }
    erase_if(region.flow_logs,
             [&](const auto& e) { return e.second.resource_id == address.network_interface_id; });
    region.network_interfaces.erase(address.network_interface_id);
  }
  region.load_balancers.erase(it);
  return {};
}

namespace {

// A listener as request describes it is valid next to the others (self: the one it replaces).
Result<LoadBalancer*> check_listener(Region& region, const Caller& caller,
                                     const ListenerRequest& request, const std::string& self) {
  auto lb = find_load_balancer(region, caller, request.load_balancer_arn);
  if (!lb) return lb.error();
  if (request.protocol != "TCP" && request.protocol != "UDP" && request.protocol != "TCP_UDP") {
    return make_error("UnsupportedProtocol", "Protocol '" + request.protocol +
                                                 "' is not supported; network load balancers "
                                                 "here take TCP, UDP or TCP_UDP");
  }
  if (!request.port) return validation("A listener port must be specified");
  if (*request.port < 1 || *request.port > 65535) {
    return validation("Port " + std::to_string(*request.port) + " is not between 1 and 65535");
  }
  auto group = find_target_group(region, caller, request.target_group_arn);
  if (!group) return group.error();
  if ((*group)->vpc_id != (*lb)->vpc_id) {
    return validation("The target group's VPC and the load balancer's VPC must be the same");
  }
  if ((*group)->protocol != request.protocol) {
    return make_error("IncompatibleProtocols", "Listener protocol '" + request.protocol +
                                                   "' is not compatible with target group "
                                                   "protocol '" +
                                                   (*group)->protocol + "'");
  }
  for (const auto& [arn, listener] : std::as_const(region.listeners)) {
    if (arn == self) continue;
    if (listener.target_group_arn == request.target_group_arn &&
        listener.load_balancer_arn != request.load_balancer_arn) {
      return make_error("TargetGroupAssociationLimit",
                        "The target group '" + request.target_group_arn +
                            "' is already associated with another load balancer");
    }
    if (listener.load_balancer_arn != request.load_balancer_arn || listener.port != *request.port) {
      continue;
    }
    // TCP and UDP may share a port; TCP_UDP takes both.
    if (listener.protocol == request.protocol || listener.protocol == "TCP_UDP" ||
        request.protocol == "TCP_UDP") {
      return make_error("DuplicateListener", "A listener already exists on port " +
                                                 std::to_string(*request.port) +
                                                 " of this load balancer");
    }
  }
  return lb;
}

}  // namespace

Result<std::string> create_listener(Region& region, const Caller& caller,
                                    const ListenerRequest& request) {
  auto lb = check_listener(region, caller, request, "");
  if (!lb) return lb.error();
  Listener listener;
  listener.arn = arn_prefix(caller) + "listener/net/" + (*lb)->name + "/" + (*lb)->id + "/" +
                 caller.ids->hex(16);
  listener.owner = caller.account_id;
  listener.load_balancer_arn = request.load_balancer_arn;
  listener.protocol = request.protocol;
  listener.port = *request.port;
  listener.target_group_arn = request.target_group_arn;
  std::string arn = listener.arn;
  region.listeners[arn] = std::move(listener);
  return arn;
}

Result<void> modify_listener(Region& region, const Caller& caller, const std::string& arn,
                             const ListenerRequest& change) {
  auto listener = find_arn(region.listeners, caller, arn, "ListenerNotFound", "Listener");
  if (!listener) return listener.error();
  Listener& current = **listener;
  ListenerRequest request{
      current.load_balancer_arn, change.protocol.empty() ? current.protocol : change.protocol,
      change.target_group_arn.empty() ? current.target_group_arn : change.target_group_arn,
      change.port ? change.port : std::optional<int>(current.port)};
  auto checked = check_listener(region, caller, request, arn);
  if (!checked) return checked.error();
  current.protocol = request.protocol;
  current.port = *request.port;
  current.target_group_arn = request.target_group_arn;
  return {};
}

Result<void> delete_listener(Region& region, const Caller& caller, const std::string& arn) {
  auto listener = find_arn(region.listeners, caller, arn, "ListenerNotFound", "Listener");
  if (!listener) return listener.error();
  region.listeners.erase(arn);
  return {};
}

std::vector<std::pair<std::string, std::string>> load_balancer_attributes(const LoadBalancer& lb) {
  return {{"deletion_protection.enabled", lb.deletion_protection ? "true" : "false"},
          {"load_balancing.cross_zone.enabled", lb.cross_zone ? "true" : "false"}};
}

Result<void> modify_load_balancer_attributes(
    Region& region, const Caller& caller, const std::string& arn,
    const std::vector<std::pair<std::string, std::string>>& attributes) {
  auto lb = find_load_balancer(region, caller, arn);
  if (!lb) return lb.error();
  LoadBalancer changed = **lb;
  for (const auto& [key, value] : attributes) {
    bool* field = key == "deletion_protection.enabled"         ? &changed.deletion_protection
                  : key == "load_balancing.cross_zone.enabled" ? &changed.cross_zone
                                                               : nullptr;
    if (!field) return validation("Load balancer attribute key '" + key + "' is not recognized");
    auto flag = attribute_boolean(key, value);
    if (!flag) return flag.error();
    *field = *flag;
  }
  **lb = std::move(changed);
  return {};
}

namespace {

// Both overloads of find_elb_tags: through a non-const Region the lookups are non-const, so
// the resource written is this Region's own (ResourceMap copies a shared entry on a non-const
// access; a pointer found through the const path would name the entry the live Region shares).
template <typename R>
auto elb_tags(R& region, const Caller& caller, const std::string& arn)
    -> Result<std::conditional_t<std::is_const_v<R>, const Tags*, Tags*>> {
  using Out = std::conditional_t<std::is_const_v<R>, const Tags*, Tags*>;
  auto owned = [&](auto& map, std::string_view code, std::string_view noun) -> Result<Out> {
    auto it = map.find(arn);
    if (it == map.end() || it->second.owner != caller.account_id) {
      return make_error(std::string(code), std::string(noun) + " '" + arn + "' not found");
    }
    return &it->second.tags;
  };
  if (arn.find(":loadbalancer/") != std::string::npos) {
    return owned(region.load_balancers, "LoadBalancerNotFound", "Load balancer");
  }
  if (arn.find(":targetgroup/") != std::string::npos) {
    return owned(region.target_groups, "TargetGroupNotFound", "Target group");
  }
  if (arn.find(":listener/") != std::string::npos) {
    return owned(region.listeners, "ListenerNotFound", "Listener");
  }
  return validation("'" + arn + "' is not a valid load balancer, target group or listener ARN");
}

}  // namespace

Result<const Tags*> find_elb_tags(const Region& region, const Caller& caller,
                                  const std::string& arn) {
  return elb_tags(region, caller, arn);
}

Result<Tags*> find_elb_tags(Region& region, const Caller& caller, const std::string& arn) {
  return elb_tags(region, caller, arn);
}

bool advance_load_balancers(Region& region, const LoadBalancerPlacement& placement, int64_t now) {
  bool changed = false;
  for (auto& [arn, lb] : region.load_balancers) {
    auto shard = placement.shards.find(arn);
    std::vector<std::string> nodes =
        shard == placement.shards.end() ? std::vector<std::string>{} : shard->second;
    if (nodes != lb.shard) {
      lb.shard = std::move(nodes);
      changed = true;
    }
    // Provisioning (routers drop its traffic: the compiler leaves it out) until the nodes of
    // its shard run it; active then while at least one node is in its shard; with none it
    // waits again.
    std::string state = lb.state;
    if (lb.shard.empty()) {
      state = "provisioning";
    } else if (lb.state == "provisioning" && placement.carried.contains(arn)) {
      state = "active";
    }
    if (state != lb.state) {
      lb.state = state;
      changed = true;
    }
  }
  for (auto& [arn, group] : region.target_groups) {
    changed |= std::erase_if(group.targets, [&](const LoadBalancerTarget& t) {
                 return t.draining_until != 0 && t.draining_until <= now;
               }) > 0;
  }
  return changed;
}

int64_t next_draining_deadline(const Region& region, int64_t now) {
  int64_t next = 0;
  for (const auto& [arn, group] : std::as_const(region.target_groups)) {
    for (const auto& target : group.targets) {
      if (target.draining_until > now && (next == 0 || target.draining_until < next)) {
        next = target.draining_until;
      }
    }
  }
  return next;
}

}  // namespace openvpc::model
