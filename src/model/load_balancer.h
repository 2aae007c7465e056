// load_balancer.h — Elastic Load Balancing v2's network load balancers, target groups and
// listeners, validated the way ELB validates (its error codes: LoadBalancerNotFound,
// ValidationError, InvalidConfigurationRequest, ...).
//
// A network load balancer owns one interface per subnet (InterfaceType network_load_balancer,
// requester-managed, no security group, description "ELB net/<name>/<id>") with the requested
// or the subnet's first free private address. An internet-facing one needs an internet gateway
// attached to its VPC; each of its interfaces gets the subnet mapping's elastic IP (associated
// like a NAT gateway's) or a public address from the region's pools, as an instance gets at
// launch. It is created "provisioning"; the controller's placement (advance_load_balancers)
// puts it on a shard of live hyperplane nodes and makes it "active" once those nodes have
// acknowledged a program that carries it — as a NAT gateway is "pending" until then, a load
// balancer stays "provisioning" while no hyperplane node runs it, and routers drop its traffic
// until then. Deleting it deletes its listeners and
// releases its interfaces (its elastic IPs stay allocated).
//
// Targets: registered ones are healthy/unhealthy once the controller records the nodes' health
// checks (LoadBalancerTarget::health); until then they are "initial", or "unused" while no
// listener forwards to the group. Deregistering one of a group in use drains it for the
// group's deregistration delay; advance_load_balancers drops it once that has passed (the
// shard's nodes then reset its connections). Resources are keyed by ARN; other accounts' ARNs
// are not found.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/operations.h"

namespace openvpc::model {

struct SubnetMapping {
  std::string subnet_id, allocation_id, private_ip;
};

struct LoadBalancerRequest {
  std::string name;
  std::string type = "application";  // ELB's default; only "network" is served
  std::string scheme = "internet-facing";
  std::string ip_address_type = "ipv4";
  std::vector<SubnetMapping> subnets;
};

Result<std::string> create_load_balancer(Region& region, const Caller& caller,
                                         const LoadBalancerRequest& request);
// "net/<name>/<id>": its name in programs and in `openvpc hyperplane`.
inline std::string load_balancer_name(const LoadBalancer& lb) {
  return "net/" + lb.name + "/" + lb.id;
}
// Succeeds when there is no such load balancer (as ELB does); OperationNotPermitted while
// deletion protection is on.
Result<void> delete_load_balancer(Region& region, const Caller& caller, const std::string& arn);
Result<LoadBalancer*> find_load_balancer(Region& region, const Caller& caller,
                                         const std::string& arn);

struct TargetGroupRequest {
  std::string name, protocol, vpc_id, target_type = "instance";
  std::optional<int> port;
  std::optional<bool> health_check_enabled;
  std::string health_check_protocol, health_check_port, health_check_path, matcher;
  std::optional<int> health_check_interval, health_check_timeout;
  std::optional<int> healthy_threshold, unhealthy_threshold;
};

Result<std::string> create_target_group(Region& region, const Caller& caller,
                                        const TargetGroupRequest& request);
// ModifyTargetGroup: the health check settings of request that are set (name, protocol, port,
// VPC and target type cannot change and are ignored), validated as on create.
Result<void> modify_target_group(Region& region, const Caller& caller, const std::string& arn,
                                 const TargetGroupRequest& request);
// ResourceInUse while a listener forwards to it.
Result<void> delete_target_group(Region& region, const Caller& caller, const std::string& arn);
Result<TargetGroup*> find_target_group(Region& region, const Caller& caller,
                                       const std::string& arn);

struct TargetSpec {
  std::string id;
  std::optional<int> port;  // unset: the group's port
};
// InvalidTarget for an instance not running in the group's VPC or an address outside it.
Result<void> register_targets(Region& region, const Caller& caller, const std::string& arn,
                              const std::vector<TargetSpec>& targets);
Result<void> deregister_targets(Region& region, const Caller& caller, const std::string& arn,
                                const std::vector<TargetSpec>& targets);

// DescribeTargetHealth's answer for one target of a group.
struct TargetHealth {
  std::string state;  // initial | healthy | unhealthy | unused | draining
  std::string reason, description;
};
bool target_group_in_use(const Region& region, const std::string& target_group_arn);
// The targets still registered or draining at `now`.
std::vector<LoadBalancerTarget> live_targets(const TargetGroup& group, int64_t now);
// health of `target` (which need not be registered: Target.NotRegistered).
TargetHealth target_health(const Region& region, const TargetGroup& group,
                           const LoadBalancerTarget& target, int64_t now);

// What the controller records from the hyperplane nodes' health checks: health is "healthy",
// "unhealthy" or "" (not checked). Returns whether a registered target changed.
bool record_target_health(Region& region, const std::string& target_group_arn,
                          const std::string& target_id, int port, const std::string& health);

struct ListenerRequest {
  std::string load_balancer_arn, protocol, target_group_arn;
  std::optional<int> port;
};
Result<std::string> create_listener(Region& region, const Caller& caller,
                                    const ListenerRequest& request);
// ModifyListener: the protocol, port and target group of change that are set (its
// load_balancer_arn is ignored), validated as on create.
Result<void> modify_listener(Region& region, const Caller& caller, const std::string& arn,
                             const ListenerRequest& change);
Result<void> delete_listener(Region& region, const Caller& caller, const std::string& arn);

// What placement decided: the shard of each load balancer (ARN -> hyperplane node ids, slot
// order), and the load balancers whose shard's live nodes have all acknowledged a program
// carrying them. advance_load_balancers applies it: a provisioning load balancer with a shard
// becomes "active" once carried, an active one stays active while it has a shard, one without
// a shard is "provisioning"; and it drops the targets whose draining ended at `now`. Returns
// whether anything changed.
struct LoadBalancerPlacement {
  std::map<std::string, std::vector<std::string>> shards;
  std::set<std::string> carried;  // ARNs
};
bool advance_load_balancers(Region& region, const LoadBalancerPlacement& placement, int64_t now);
// The earliest draining_until after `now` of any target (0: none): when the next
// advance_load_balancers has something to drop, so the controller wakes then.
int64_t next_draining_deadline(const Region& region, int64_t now);

// Attributes by ELB's key names; values as ELB reports them ("true", "300", ...).
std::vector<std::pair<std::string, std::string>> load_balancer_attributes(const LoadBalancer& lb);
Result<void> modify_load_balancer_attributes(
    Region& region, const Caller& caller, const std::string& arn,
    const std::vector<std::pair<std::string, std::string>>& attributes);
std::vector<std::pair<std::string, std::string>> target_group_attributes(const TargetGroup& tg);
Result<void> modify_target_group_attributes(
    Region& region, const Caller& caller, const std::string& arn,
    const std::vector<std::pair<std::string, std::string>>& attributes);

// The tags of a load balancer, target group or listener ARN the caller owns.
Result<const Tags*> find_elb_tags(const Region& region, const Caller& caller,
                                  const std::string& arn);
Result<Tags*> find_elb_tags(Region& region, const Caller& caller, const std::string& arn);
inline constexpr size_t kElbTagsPerResource = 50;

}  // namespace openvpc::model
