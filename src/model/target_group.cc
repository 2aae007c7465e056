// Target groups of network load balancers: creation, targets, their health as the model knows
// it, and attributes (load_balancer.h).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "model/cidr.h"
#include "model/load_balancer.h"
#include "model/program_numbers.h"

namespace openvpc::model {

namespace {

Error validation(std::string message) {
  return make_error("ValidationError", std::move(message));
}

Result<void> check_range(const std::optional<int>& value, std::string_view name, int low,
                         int high) {
  if (value && (*value < low || *value > high)) {
    return validation(std::string(name) + " must be between " + std::to_string(low) + " and " +
                      std::to_string(high));
  }
  return {};
}

Result<int> parse_int(const std::string& key, const std::string& value, int low, int high) {
  int n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < low ||
      n > high) {
    return validation("The value of attribute '" + key + "' must be an integer from " +
                      std::to_string(low) + " to " + std::to_string(high));
  }
  return n;
}

Result<bool> parse_bool(const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return validation("The value of attribute '" + key + "' must be 'true' or 'false'");
}

bool valid_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 32 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  return ok;
}

// ELB's HTTP matcher: codes 200-599, as "200", "200,202" or "200-299".
bool valid_matcher(const std::string& matcher) {
  size_t start = 0;
  while (start <= matcher.size()) {
    size_t end = matcher.find(',', start);
    std::string item = matcher.substr(start, end == std::string::npos ? end : end - start);
    size_t dash = item.find('-');
    int low = 0, high = 0;
    auto parse = [](const std::string& text, int& out) {
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
      return !text.empty() && ec == std::errc() && ptr == text.data() + text.size() && out >= 200 &&
             out <= 599;
    };
    if (dash == std::string::npos ? !parse(item, low)
                                  : !parse(item.substr(0, dash), low) ||
                                        !parse(item.substr(dash + 1), high) || high < low) {
      return false;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

// Drops targets whose deregistration delay has passed.
void expire_drained(TargetGroup& group, int64_t now) {
  std::erase_if(group.targets,
                [&](const auto& t) { return t.draining_until != 0 && t.draining_until <= now; });
}

// The zone of a target, or InvalidTarget when it is not one of the group's VPC.
Result<std::string> target_zone(const Region& region, const Caller& caller,
                                const TargetGroup& group, const std::string& id) {
  if (group.target_type == "instance") {
    auto it = region.instances.find(id);
    if (it == region.instances.end() || it->second.owner != caller.account_id ||
        it->second.state != "running") {
      return make_error("InvalidTarget", "The following targets are not valid instances: " + id);
    }
    if (it->second.vpc_id != group.vpc_id) {
      return make_error("InvalidTarget",
                        "The following targets are not in the target group's VPC: " + id);
    }
    return it->second.availability_zone;
  }
  auto address = parse_ipv4(id);
  if (!address) {
    return make_error("InvalidTarget", "The following targets are not valid IP addresses: " + id);
  }
  for (const auto& [subnet_id, subnet] : std::as_const(region.subnets)) {
    if (subnet.vpc_id != group.vpc_id) continue;
    auto block = parse_ipv4_block(subnet.cidr);
    if (block && block->contains(*address)) return subnet.availability_zone;
  }
  return make_error("InvalidTarget",
                    "The following targets are not in a subnet of the target group's VPC: " + id);
}

// The health check settings of request that are set, over group's; validated as ELB does.
// A change of protocol brings that protocol's defaults for what request leaves unset.
Result<void> apply_health_check(TargetGroup& group, const TargetGroupRequest& request) {
  const std::string protocol = request.health_check_protocol.empty()
                                   ? group.health_check_protocol
                                   : request.health_check_protocol;
  if (protocol != "TCP" && protocol != "HTTP") {
    return validation("Health check protocol '" + protocol +
                      "' is not available here; TCP and HTTP are");
  }
  if (protocol == "TCP" && (!request.health_check_path.empty() || !request.matcher.empty())) {
    return validation("A health check path and matcher need health check protocol HTTP");
  }
  if (!request.health_check_port.empty() && request.health_check_port != "traffic-port") {
    int port = 0;
    const auto& text = request.health_check_port;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
      return validation("Health check port '" + text + "' must be 'traffic-port' or 1-65535");
    }
  }
  if (request.health_check_enabled == false) {
    return validation("Health checks cannot be disabled for target groups of type instance or ip");
  }
  if (!request.matcher.empty() && !valid_matcher(request.matcher)) {
    return validation("Matcher '" + request.matcher +
                      "' must be HTTP codes from 200 to 599, as '200', '200,202' or '200-299'");
  }
  if (!request.health_check_path.empty() && request.health_check_path.front() != '/') {
    return validation("Health check path must begin with '/'");
  }
  for (auto [value, name, low, high] :
       {std::tuple{request.health_check_interval, "HealthCheckIntervalSeconds", 5, 300},
        std::tuple{request.health_check_timeout, "HealthCheckTimeoutSeconds", 2, 120},
        std::tuple{request.healthy_threshold, "HealthyThresholdCount", 2, 10},
        std::tuple{request.unhealthy_threshold, "UnhealthyThresholdCount", 2, 10}}) {
    if (auto ok = check_range(value, name, low, high); !ok) return ok.error();
  }
  const bool changed_protocol = protocol != group.health_check_protocol;
  group.health_check_protocol = protocol;
  if (!request.health_check_port.empty()) group.health_check_port = request.health_check_port;
  if (protocol == "HTTP") {
    if (!request.health_check_path.empty()) group.health_check_path = request.health_check_path;
    if (group.health_check_path.empty()) group.health_check_path = "/";
    if (!request.matcher.empty()) group.matcher = request.matcher;
    if (group.matcher.empty()) group.matcher = "200-399";
  } else {
    group.health_check_path.clear();
    group.matcher.clear();
  }
  if (request.health_check_interval) group.health_check_interval = *request.health_check_interval;
  if (request.health_check_timeout) {
    group.health_check_timeout = *request.health_check_timeout;
  } else if (changed_protocol) {
    group.health_check_timeout = protocol == "HTTP" ? 6 : 10;
  }
  if (request.healthy_threshold) group.healthy_threshold = *request.healthy_threshold;
  if (request.unhealthy_threshold) group.unhealthy_threshold = *request.unhealthy_threshold;
  return {};
}

}  // namespace

Result<TargetGroup*> find_target_group(Region& region, const Caller& caller,
                                       const std::string& arn) {
  auto it = region.target_groups.find(arn);
  if (it == region.target_groups.end() || it->second.owner != caller.account_id) {
    return make_error("TargetGroupNotFound", "Target group '" + arn + "' not found");
  }
  return &it->second;
}

Result<std::string> create_target_group(Region& region, const Caller& caller,
                                        const TargetGroupRequest& request) {
  if (!valid_name(request.name)) {
    return validation("Target group name '" + request.name +
                      "' must be 1-32 letters, digits or hyphens, and must not begin or end "
                      "with a hyphen");
  }
  if (request.target_type != "instance" && request.target_type != "ip") {
    return validation("Target type '" + request.target_type +
                      "' is not available here; instance and ip are");
  }
  if (request.protocol.empty() || !request.port || request.vpc_id.empty()) {
    return validation("A protocol, port and VPC ID must be specified for target type '" +
                      request.target_type + "'");
  }
  if (request.protocol != "TCP" && request.protocol != "UDP" && request.protocol != "TCP_UDP") {
    return make_error("InvalidConfigurationRequest",
                      "Protocol '" + request.protocol +
                          "' is not available here; target groups of network load balancers "
                          "take TCP, UDP or TCP_UDP");
  }
  if (auto ok = check_range(request.port, "Port", 1, 65535); !ok) return ok.error();
  auto vpc = region.vpcs.find(request.vpc_id);
  if (vpc == region.vpcs.end() || vpc->second.owner != caller.account_id) {
    return validation("The VPC ID '" + request.vpc_id + "' is not found");
  }
  int owned = 0;
  for (const auto& [arn, group] : std::as_const(region.target_groups)) {
    if (group.owner != caller.account_id) continue;
    if (group.name == request.name) {
      return make_error("DuplicateTargetGroupName",
                        "A target group with the same name '" + request.name + "' exists");
    }
    ++owned;
  }
  if (owned >= caller.limits.target_groups_per_account) {
    return make_error("TooManyTargetGroups",
                      "You have reached the limit of " +
                          std::to_string(caller.limits.target_groups_per_account) +
                          " target groups");
  }
  TargetGroup group;
  group.id = caller.ids->hex(16);
  group.arn = "arn:aws:elasticloadbalancing:" + caller.region + ":" + caller.account_id +
              ":targetgroup/" + request.name + "/" + group.id;
  group.owner = caller.account_id;
  group.name = request.name;
  group.vpc_id = request.vpc_id;
  group.number = new_program_number(region, *caller.ids);
  group.protocol = request.protocol;
  group.port = *request.port;
  group.target_type = request.target_type;
  if (auto checked = apply_health_check(group, request); !checked) return checked.error();
  // ELB keeps client addresses for instance targets and for UDP; not for TCP to IP targets.
  group.preserve_client_ip = request.target_type == "instance" || request.protocol != "TCP";
  std::string arn = group.arn;
  region.target_groups[arn] = std::move(group);
  return arn;
}

Result<void> modify_target_group(Region& region, const Caller& caller, const std::string& arn,
                                 const TargetGroupRequest& request) {
  auto found = find_target_group(region, caller, arn);
  if (!found) return found.error();
  TargetGroup group = **found;
  if (auto checked = apply_health_check(group, request); !checked) return checked.error();
  **found = std::move(group);
  return {};
}

Result<void> delete_target_group(Region& region, const Caller& caller, const std::string& arn) {
  auto group = find_target_group(region, caller, arn);
  if (!group) return group.error();
  for (const auto& [listener_arn, listener] : std::as_const(region.listeners)) {
    if (listener.target_group_arn == arn) {
      return make_error("ResourceInUse",
                        "Target group '" + arn + "' is currently in use by a listener or a rule");
    }
  }
  region.target_groups.erase(arn);
  return {};
}

bool target_group_in_use(const Region& region, const std::string& target_group_arn) {
  return std::any_of(region.listeners.cbegin(), region.listeners.cend(),
                     [&](const auto& e) { return e.second.target_group_arn == target_group_arn; });
}

std::vector<LoadBalancerTarget> live_targets(const TargetGroup& group, int64_t now) {
  std::vector<LoadBalancerTarget> live;
  for (const auto& target : group.targets) {
    if (target.draining_until == 0 || target.draining_until > now) live.push_back(target);
  }
  return live;
}

Result<void> register_targets(Region& region, const Caller& caller, const std::string& arn,
                              const std::vector<TargetSpec>& targets) {
  auto found = find_target_group(region, caller, arn);
  if (!found) return found.error();
  TargetGroup group = **found;
  expire_drained(group, caller.now);
  if (targets.empty()) return validation("At least one target must be specified");
  for (const auto& spec : targets) {
    if (auto ok = check_range(spec.port, "Port", 1, 65535); !ok) return ok.error();
    auto zone = target_zone(region, caller, group, spec.id);
    if (!zone) return zone.error();
    const int port = spec.port.value_or(group.port);
    auto same = std::find_if(group.targets.begin(), group.targets.end(),
                             [&](const auto& t) { return t.id == spec.id && t.port == port; });
    if (same != group.targets.end()) {
      same->draining_until = 0;  // registering a draining target takes it back
      continue;
    }
    group.targets.push_back({.id = spec.id,
                             .port = port,
                             .availability_zone = *zone,
                             .draining_until = 0,
                             .health = ""});
  }
  if (group.targets.size() > static_cast<size_t>(caller.limits.targets_per_target_group)) {
    return make_error("TooManyTargets", "You have reached the limit of " +
                                            std::to_string(caller.limits.targets_per_target_group) +
                                            " targets per target group");
  }
  **found = std::move(group);
  return {};
}

Result<void> deregister_targets(Region& region, const Caller& caller, const std::string& arn,
                                const std::vector<TargetSpec>& targets) {
  auto found = find_target_group(region, caller, arn);
  if (!found) return found.error();
  TargetGroup group = **found;
  expire_drained(group, caller.now);
  if (targets.empty()) return validation("At least one target must be specified");
  const bool in_use = target_group_in_use(region, arn);
  for (const auto& spec : targets) {
    if (auto ok = check_range(spec.port, "Port", 1, 65535); !ok) return ok.error();
    const int port = spec.port.value_or(group.port);
    auto it = std::find_if(group.targets.begin(), group.targets.end(),
                           [&](const auto& t) { return t.id == spec.id && t.port == port; });
    if (it == group.targets.end()) {
      return make_error("InvalidTarget",
                        "The following targets are not registered in target "
                        "group '" +
                            arn + "': " + spec.id);
    }
    if (!in_use || group.deregistration_delay == 0) {
      group.targets.erase(it);  // no traffic to drain
    } else if (it->draining_until == 0) {
      it->draining_until = caller.now + group.deregistration_delay;
    }
  }
  **found = std::move(group);
  return {};
}

TargetHealth target_health(const Region& region, const TargetGroup& group,
                           const LoadBalancerTarget& target, int64_t now) {
  auto registered = std::find_if(group.targets.begin(), group.targets.end(), [&](const auto& t) {
    return t.id == target.id && t.port == target.port;
  });
  if (registered == group.targets.end() ||
      (registered->draining_until != 0 && registered->draining_until <= now)) {
    return {"unused", "Target.NotRegistered", "Target is not registered to the target group"};
  }
  if (registered->draining_until != 0) {
    return {"draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"};
  }
  if (group.target_type == "instance") {
    auto instance = region.instances.find(target.id);
    if (instance == region.instances.end() || instance->second.state != "running") {
      return {"unused", "Target.InvalidState", "Target is in the terminated state"};
    }
  }
  if (!target_group_in_use(region, group.arn)) {
    return {"unused", "Target.NotInUse",
            "Target group is not configured to receive traffic from the load balancer"};
  }
  const bool zone_enabled =
      std::any_of(region.listeners.cbegin(), region.listeners.cend(), [&](const auto& e) {
        if (e.second.target_group_arn != group.arn) return false;
        auto lb = region.load_balancers.find(e.second.load_balancer_arn);
        return lb != region.load_balancers.end() &&
               std::any_of(lb->second.addresses.begin(), lb->second.addresses.end(),
                           [&](const auto& a) {
                             return a.availability_zone == registered->availability_zone;
                           });
      });
  if (!zone_enabled) {
    return {"unused", "Target.NotInUse",
            "Target is in an Availability Zone that is not enabled for the load balancer"};
  }
  if (registered->health == "healthy") return {"healthy", "", ""};
  if (registered->health == "unhealthy") {
    return {"unhealthy", "Target.FailedHealthChecks", "Health checks failed"};
  }
  return {"initial", "Elb.RegistrationInProgress", "Target registration is in progress"};
}

bool record_target_health(Region& region, const std::string& target_group_arn,
                          const std::string& target_id, int port, const std::string& health) {
  auto group = region.target_groups.find(target_group_arn);
  if (group == region.target_groups.end()) return false;
  for (auto& target : group->second.targets) {
    if (target.id != target_id || target.port != port || target.health == health) continue;
    target.health = health;
    return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> target_group_attributes(const TargetGroup& tg) {
  return {{"deregistration_delay.timeout_seconds", std::to_string(tg.deregistration_delay)},
          {"preserve_client_ip.enabled", tg.preserve_client_ip ? "true" : "false"},
          {"stickiness.enabled", tg.stickiness ? "true" : "false"},
          {"stickiness.type", tg.stickiness_type}};
}

Result<void> modify_target_group_attributes(
    Region& region, const Caller& caller, const std::string& arn,
    const std::vector<std::pair<std::string, std::string>>& attributes) {
  auto found = find_target_group(region, caller, arn);
  if (!found) return found.error();
  TargetGroup group = **found;
  for (const auto& [key, value] : attributes) {
    if (key == "deregistration_delay.timeout_seconds") {
      auto seconds = parse_int(key, value, 0, 3600);
      if (!seconds) return seconds.error();
      group.deregistration_delay = *seconds;
    } else if (key == "preserve_client_ip.enabled") {
      auto flag = parse_bool(key, value);
      if (!flag) return flag.error();
      if (!*flag && group.protocol != "TCP") {
        return make_error("InvalidConfigurationRequest",
                          "Client IP preservation cannot be disabled for UDP and TCP_UDP target "
                          "groups");
      }
      group.preserve_client_ip = *flag;
    } else if (key == "stickiness.enabled") {
      auto flag = parse_bool(key, value);
      if (!flag) return flag.error();
      group.stickiness = *flag;
    } else if (key == "stickiness.type") {
      if (value != "source_ip") {
        return validation("Stickiness type '" + value +
                          "' is not valid for network load balancers; source_ip is");
      }
      group.stickiness_type = value;
    } else {
      return validation("Target group attribute key '" + key + "' is not recognized");
    }
  }
  **found = std::move(group);
  return {};
}

}  // namespace openvpc::model
