#include "model/load_balancer.h"

#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

class LoadBalancerTest : public RegionTest {
 protected:
  void SetUp() override {
    vpc_ = vpc();
    subnet_a_ = *model::create_subnet(region_, caller_, vpc_, "10.0.1.0/24", "us-east-1a");
    subnet_b_ = *model::create_subnet(region_, caller_, vpc_, "10.0.2.0/24", "us-east-1b");
  }
  void attach_igw() {
    std::string igw = *model::create_internet_gateway(region_, caller_);
    ASSERT_EQ(code(model::attach_internet_gateway(region_, caller_, igw, vpc_)), "ok");
  }
  model::LoadBalancerRequest request(std::string name, std::string scheme = "internal") {
    model::LoadBalancerRequest r;
    r.name = std::move(name);
    r.type = "network";
    r.scheme = std::move(scheme);
    r.subnets = {{subnet_a_, "", ""}, {subnet_b_, "", ""}};
    return r;
  }
  std::string target_group(const std::string& name, const std::string& protocol = "TCP") {
    model::TargetGroupRequest r;
    r.name = name;
    r.protocol = protocol;
    r.port = 80;
    r.vpc_id = vpc_;
    auto arn = model::create_target_group(region_, caller_, r);
    EXPECT_TRUE(arn.ok()) << arn.error().code;
    return arn.ok() ? *arn : "";
  }
  std::string instance(const std::string& subnet_id) {
    model::InstanceRequest r;
    r.network.subnet_id = subnet_id;
    r.image_id = "ami-1";
    auto ids = model::run_instances(region_, caller_, r);
    EXPECT_TRUE(ids.ok()) << ids.error().code;
    return ids.ok() ? ids->front() : "";
  }
  static model::TargetGroupRequest group_request(std::string name, std::string protocol,
                                                 std::string vpc_id, std::string target_type,
                                                 int port) {
    model::TargetGroupRequest r;
    r.name = std::move(name);
    r.protocol = std::move(protocol);
    r.vpc_id = std::move(vpc_id);
    r.target_type = std::move(target_type);
    r.port = port;
    return r;
  }
  model::TargetHealth health_of(const std::string& tg, const std::string& id, int port = 80) {
    model::LoadBalancerTarget target;
    target.id = id;
    target.port = port;
    return model::target_health(region_, region_.target_groups.at(tg), target, caller_.now);
  }

  std::string vpc_, subnet_a_, subnet_b_;
};

TEST_F(LoadBalancerTest, OwnsOneRequesterManagedInterfacePerSubnet) {
  auto arn = model::create_load_balancer(region_, caller_, request("front"));
  ASSERT_TRUE(arn.ok()) << arn.error().code << " " << arn.error().message;
  const auto& lb = region_.load_balancers.at(*arn);
  EXPECT_EQ(*arn,
            "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/front/" + lb.id);
  EXPECT_EQ(lb.id.size(), 16u);
  EXPECT_EQ(lb.dns_name, "front-" + lb.id + ".elb.us-east-1.amazonaws.com");
  EXPECT_EQ(lb.state, "provisioning");  // until placed on a hyperplane node
  EXPECT_NE(lb.number, 0u);
  ASSERT_EQ(lb.addresses.size(), 2u);
  EXPECT_EQ(lb.addresses[0].availability_zone, "us-east-1a");
  EXPECT_EQ(lb.addresses[1].availability_zone, "us-east-1b");
  for (const auto& address : lb.addresses) {
    const auto& eni = region_.network_interfaces.at(address.network_interface_id);
    EXPECT_EQ(eni.interface_type, "network_load_balancer");
    EXPECT_TRUE(eni.requester_managed);
    EXPECT_TRUE(eni.group_ids.empty());
    EXPECT_EQ(eni.description, "ELB net/front/" + lb.id);
    EXPECT_EQ(eni.private_ip, address.private_ip);
    EXPECT_TRUE(address.public_ip.empty());  // internal
    EXPECT_EQ(code(model::delete_network_interface(region_, caller_, eni.id)),
              "InvalidNetworkInterface.InUse");
  }
  EXPECT_EQ(code(model::delete_subnet(region_, caller_, subnet_a_)), "DependencyViolation");
  ASSERT_EQ(code(model::delete_load_balancer(region_, caller_, *arn)), "ok");
  EXPECT_TRUE(region_.load_balancers.empty());
  EXPECT_TRUE(region_.network_interfaces.empty());
  EXPECT_EQ(code(model::delete_subnet(region_, caller_, subnet_a_)), "ok");
}

TEST_F(LoadBalancerTest, RefusesWhatElbRefuses) {
  auto application = request("alb");
  application.type = "application";
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, application)),
            "InvalidConfigurationRequest");
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, request("-x"))), "ValidationError");
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, request("internal-x"))),
            "ValidationError");
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, request(std::string(33, 'a')))),
            "ValidationError");
  auto missing = request("m");
  missing.subnets = {{"subnet-00000000000000000", "", ""}};
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, missing)), "SubnetNotFound");
  auto same_zone = request("z");
  same_zone.subnets = {{subnet_a_, "", ""}, {subnet_a_, "", ""}};
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, same_zone)),
            "InvalidConfigurationRequest");
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, request("pub", "internet-facing"))),
            "InvalidSubnet");  // no internet gateway
  auto eip_internal = request("e");
  eip_internal.subnets = {{subnet_a_, "eipalloc-00000000000000000", ""}};
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, eip_internal)),
            "InvalidConfigurationRequest");
  // Nothing was left behind by the refusals.
  EXPECT_TRUE(region_.load_balancers.empty());
  EXPECT_TRUE(region_.network_interfaces.empty());

  ASSERT_EQ(code(model::create_load_balancer(region_, caller_, request("one"))), "ok");
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, request("one"))),
            "DuplicateLoadBalancerName");
  caller_.limits.load_balancers_per_account = 1;
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, request("two"))),
            "TooManyLoadBalancers");
  // Names are per account.
  std::string other_vpc = *model::create_vpc(region_, other_, "10.0.0.0/16");
  std::string other_subnet =
      *model::create_subnet(region_, other_, other_vpc, "10.0.1.0/24", "us-east-1a");
  auto theirs = request("one");
  theirs.subnets = {{other_subnet, "", ""}};
  EXPECT_EQ(code(model::create_load_balancer(region_, other_, theirs)), "ok");
  caller_.limits.load_balancers_per_account = 50;
  auto mine = request("x");  // and subnets of another account are not found
  mine.subnets = {{other_subnet, "", ""}};
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, mine)), "SubnetNotFound");
}

TEST_F(LoadBalancerTest, InternetFacingGetsElasticOrPublicAddresses) {
  attach_igw();
  std::string alloc = *model::allocate_address(region_, caller_);
  auto r = request("pub", "internet-facing");
  r.subnets = {{subnet_a_, alloc, "10.0.1.77"}, {subnet_b_, "", ""}};
  auto arn = model::create_load_balancer(region_, caller_, r);
  ASSERT_TRUE(arn.ok()) << arn.error().code << " " << arn.error().message;
  const auto& lb = region_.load_balancers.at(*arn);
  const auto& eip = region_.addresses.at(alloc);
  EXPECT_EQ(lb.addresses[0].private_ip, "10.0.1.77");
  EXPECT_EQ(lb.addresses[0].public_ip, eip.public_ip);
  EXPECT_EQ(eip.network_interface_id, lb.addresses[0].network_interface_id);
  EXPECT_EQ(eip.private_ip, "10.0.1.77");
  const auto& other_eni = region_.network_interfaces.at(lb.addresses[1].network_interface_id);
  EXPECT_FALSE(other_eni.public_ip.empty());
  EXPECT_EQ(lb.addresses[1].public_ip, other_eni.public_ip);
  EXPECT_NE(lb.addresses[1].public_ip, eip.public_ip);

  auto again = request("pub2", "internet-facing");
  again.subnets = {{subnet_a_, alloc, ""}};
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, again)),
            "InvalidConfigurationRequest");  // the EIP is taken
  again.subnets = {{subnet_a_, "eipalloc-00000000000000000", ""}};
  EXPECT_EQ(code(model::create_load_balancer(region_, caller_, again)), "AllocationIdNotFound");

  ASSERT_EQ(code(model::delete_load_balancer(region_, caller_, *arn)), "ok");
  EXPECT_TRUE(region_.addresses.at(alloc).association_id.empty());  // stays allocated, free
  EXPECT_TRUE(region_.addresses.at(alloc).network_interface_id.empty());
}

TEST_F(LoadBalancerTest, DeletionProtectionAndAttributes) {
  auto arn = *model::create_load_balancer(region_, caller_, request("p"));
  EXPECT_EQ(code(model::modify_load_balancer_attributes(region_, caller_, arn,
                                                        {{"deletion_protection.enabled", "yes"}})),
            "ValidationError");
  EXPECT_EQ(code(model::modify_load_balancer_attributes(region_, caller_, arn,
                                                        {{"access_logs.s3.enabled", "true"}})),
            "ValidationError");
  ASSERT_EQ(
      code(model::modify_load_balancer_attributes(region_, caller_, arn,
                                                  {{"deletion_protection.enabled", "true"},
                                                   {"load_balancing.cross_zone.enabled", "true"}})),
      "ok");
  using Attributes = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(model::load_balancer_attributes(region_.load_balancers.at(arn)),
            (Attributes{{"deletion_protection.enabled", "true"},
                        {"load_balancing.cross_zone.enabled", "true"}}));
  EXPECT_EQ(code(model::delete_load_balancer(region_, caller_, arn)), "OperationNotPermitted");
  ASSERT_EQ(code(model::modify_load_balancer_attributes(
                region_, caller_, arn, {{"deletion_protection.enabled", "false"}})),
            "ok");
  EXPECT_EQ(code(model::delete_load_balancer(region_, caller_, arn)), "ok");
  EXPECT_EQ(code(model::delete_load_balancer(region_, caller_, arn)), "ok");  // already gone
}

TEST_F(LoadBalancerTest, ListenersForwardToOneGroupOfTheSameVpcAndProtocol) {
  auto lb = *model::create_load_balancer(region_, caller_, request("l"));
  auto lb2 = *model::create_load_balancer(region_, caller_, request("l2"));
  std::string tcp = target_group("tcp");
  std::string udp = target_group("udp", "UDP");
  auto listen = [&](const std::string& on, const std::string& protocol, int port,
                    const std::string& group) {
    return model::create_listener(region_, caller_, {on, protocol, group, port});
  };
  auto listener = listen(lb, "TCP", 80, tcp);
  ASSERT_TRUE(listener.ok()) << listener.error().code;
  EXPECT_EQ(listener->rfind("arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/net/l/" +
                                region_.load_balancers.at(lb).id + "/",
                            0),
            0u);
  EXPECT_EQ(code(listen(lb, "TCP", 80, tcp)), "DuplicateListener");
  EXPECT_EQ(code(listen(lb, "TCP", 81, udp)), "IncompatibleProtocols");
  EXPECT_EQ(code(listen(lb, "UDP", 80, udp)), "ok");  // TCP and UDP share a port
  EXPECT_EQ(code(listen(lb, "TCP_UDP", 80, target_group("both", "TCP_UDP"))), "DuplicateListener");
  EXPECT_EQ(code(listen(lb, "HTTP", 8080, tcp)), "UnsupportedProtocol");
  EXPECT_EQ(code(listen(lb, "TCP", 0, tcp)), "ValidationError");
  EXPECT_EQ(code(listen(lb2, "TCP", 80, tcp)), "TargetGroupAssociationLimit");
  EXPECT_EQ(code(listen(lb, "TCP", 82, "arn:aws:elasticloadbalancing:x:targetgroup/n/0")),
            "TargetGroupNotFound");
  EXPECT_EQ(code(listen("arn:nope", "TCP", 82, tcp)), "LoadBalancerNotFound");
  std::string other_vpc = vpc("10.9.0.0/16");
  std::string far = *model::create_target_group(
      region_, caller_, group_request("elsewhere", "TCP", other_vpc, "instance", 80));
  EXPECT_EQ(code(listen(lb, "TCP", 83, far)), "ValidationError");

  // ModifyListener: validated like a new one, itself excepted.
  EXPECT_EQ(code(model::modify_listener(region_, caller_, *listener, {"", "", "", 80})), "ok");
  EXPECT_EQ(code(model::modify_listener(region_, caller_, *listener, {"", "UDP", "", {}})),
            "IncompatibleProtocols");
  EXPECT_EQ(code(model::modify_listener(region_, caller_, *listener, {"", "", "", 8080})), "ok");
  EXPECT_EQ(region_.listeners.at(*listener).port, 8080);
  EXPECT_EQ(code(model::modify_listener(region_, caller_, "arn:nope", {"", "", "", 1})),
            "ListenerNotFound");
  EXPECT_EQ(code(model::delete_target_group(region_, caller_, tcp)), "ResourceInUse");
  ASSERT_EQ(code(model::delete_listener(region_, caller_, *listener)), "ok");
  EXPECT_EQ(code(model::delete_listener(region_, caller_, *listener)), "ListenerNotFound");
  EXPECT_EQ(code(model::delete_target_group(region_, caller_, tcp)), "ok");
  // Deleting the load balancer deletes its remaining (UDP) listener.
  ASSERT_EQ(code(model::delete_load_balancer(region_, caller_, lb)), "ok");
  EXPECT_TRUE(region_.listeners.empty());
}

TEST_F(LoadBalancerTest, TargetGroupValidationAndDefaults) {
  std::string tg = target_group("tg");
  const auto& group = region_.target_groups.at(tg);
  EXPECT_EQ(tg, "arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/tg/" + group.id);
  EXPECT_EQ(group.health_check_protocol, "TCP");
  EXPECT_EQ(group.health_check_port, "traffic-port");
  EXPECT_EQ(group.health_check_timeout, 10);
  EXPECT_TRUE(group.health_check_path.empty());
  EXPECT_TRUE(group.preserve_client_ip);
  EXPECT_EQ(group.deregistration_delay, 300);
  EXPECT_NE(group.number, 0u);

  auto make = [&](auto edit) {
    model::TargetGroupRequest r = group_request("x", "TCP", vpc_, "ip", 80);
    edit(r);
    return code(model::create_target_group(region_, caller_, r));
  };
  EXPECT_EQ(make([](auto& r) { r.name = "tg"; }), "DuplicateTargetGroupName");
  EXPECT_EQ(make([](auto& r) { r.protocol = "HTTP"; }), "InvalidConfigurationRequest");
  EXPECT_EQ(make([](auto& r) { r.port.reset(); }), "ValidationError");
  EXPECT_EQ(make([](auto& r) { r.vpc_id = "vpc-00000000000000000"; }), "ValidationError");
  EXPECT_EQ(make([](auto& r) { r.target_type = "lambda"; }), "ValidationError");
  EXPECT_EQ(make([](auto& r) { r.health_check_interval = 4; }), "ValidationError");
  EXPECT_EQ(make([](auto& r) { r.healthy_threshold = 11; }), "ValidationError");
  EXPECT_EQ(make([](auto& r) { r.health_check_path = "/h"; }), "ValidationError");  // TCP check
  EXPECT_EQ(make([](auto& r) { r.health_check_port = "70000"; }), "ValidationError");
  EXPECT_EQ(make([](auto& r) { r.health_check_protocol = "HTTPS"; }), "ValidationError");
  EXPECT_EQ(make([](auto& r) {
              r.health_check_protocol = "HTTP";
              r.health_check_path = "health";
            }),
            "ValidationError");
  EXPECT_EQ(make([](auto& r) { r.health_check_enabled = false; }), "ValidationError");
  for (const char* matcher : {"200-", "199", "600", "300-200", "2OO", "200,,201"}) {
    EXPECT_EQ(make([&](auto& r) {
                r.health_check_protocol = "HTTP";
                r.matcher = matcher;
              }),
              "ValidationError")
        << matcher;
  }
  EXPECT_EQ(make([](auto& r) {
              r.name = "m";
              r.health_check_protocol = "HTTP";
              r.matcher = "200,202-204";
            }),
            "ok");
  EXPECT_EQ(make([](auto& r) { r.health_check_protocol = "HTTP"; }), "ok");
  const auto& http =
      std::find_if(region_.target_groups.begin(), region_.target_groups.end(), [](const auto& e) {
        return e.second.name == "x";
      })->second;
  EXPECT_EQ(http.health_check_path, "/");
  EXPECT_EQ(http.matcher, "200-399");
  EXPECT_EQ(http.health_check_timeout, 6);
  EXPECT_FALSE(http.preserve_client_ip);  // TCP to IP targets
  // ModifyTargetGroup: a change of protocol brings its defaults; the rest stays.
  model::TargetGroupRequest change;
  change.health_check_protocol = "HTTP";
  change.health_check_interval = 10;
  ASSERT_EQ(code(model::modify_target_group(region_, caller_, tg, change)), "ok");
  const auto& modified = region_.target_groups.at(tg);
  EXPECT_EQ(modified.health_check_path, "/");
  EXPECT_EQ(modified.matcher, "200-399");
  EXPECT_EQ(modified.health_check_timeout, 6);
  EXPECT_EQ(modified.health_check_interval, 10);
  EXPECT_EQ(modified.healthy_threshold, 5);
  change = {};
  change.healthy_threshold = 1;
  EXPECT_EQ(code(model::modify_target_group(region_, caller_, tg, change)), "ValidationError");
  EXPECT_EQ(region_.target_groups.at(tg).healthy_threshold, 5);
  change = {};
  change.health_check_protocol = "TCP";
  ASSERT_EQ(code(model::modify_target_group(region_, caller_, tg, change)), "ok");
  EXPECT_TRUE(region_.target_groups.at(tg).health_check_path.empty());
  EXPECT_EQ(region_.target_groups.at(tg).health_check_timeout, 10);
  EXPECT_EQ(code(model::modify_target_group(region_, other_, tg, change)), "TargetGroupNotFound");
  caller_.limits.target_groups_per_account = 3;
  EXPECT_EQ(make([](auto& r) { r.name = "y"; }), "TooManyTargetGroups");
}

TEST_F(LoadBalancerTest, TargetHealthFollowsRegistrationListenersAndChecks) {
  std::string tg = target_group("tg");
  std::string a = instance(subnet_a_);
  std::string b = instance(subnet_b_);
  ASSERT_EQ(code(model::register_targets(region_, caller_, tg, {{a, {}}, {b, 8080}})), "ok");
  const auto& group = region_.target_groups.at(tg);
  ASSERT_EQ(group.targets.size(), 2u);
  EXPECT_EQ(group.targets[0].port, 80);
  EXPECT_EQ(group.targets[0].availability_zone, "us-east-1a");
  EXPECT_EQ(group.targets[1].port, 8080);
  EXPECT_EQ(group.targets[1].availability_zone, "us-east-1b");
  EXPECT_EQ(health_of(tg, a).state, "unused");
  EXPECT_EQ(health_of(tg, a).reason, "Target.NotInUse");
  EXPECT_EQ(health_of(tg, a, 81).reason, "Target.NotRegistered");

  auto lb = *model::create_load_balancer(region_, caller_, request("h"));
  ASSERT_EQ(code(model::create_listener(region_, caller_, {lb, "TCP", tg, 80})), "ok");
  EXPECT_EQ(health_of(tg, a).state, "initial");
  EXPECT_EQ(health_of(tg, a).reason, "Elb.RegistrationInProgress");
  // A target in a zone the load balancer has no subnet in gets no traffic.
  std::string subnet_c = *model::create_subnet(region_, caller_, vpc_, "10.0.3.0/24", "us-east-1c");
  std::string c = instance(subnet_c);
  ASSERT_EQ(code(model::register_targets(region_, caller_, tg, {{c, {}}})), "ok");
  EXPECT_EQ(health_of(tg, c).state, "unused");
  EXPECT_EQ(health_of(tg, c).description,
            "Target is in an Availability Zone that is not enabled for the load balancer");
  ASSERT_EQ(code(model::deregister_targets(region_, caller_, tg, {{c, {}}})), "ok");
  caller_.now += 300;  // drained
  // What the controller records from the nodes' health checks.
  EXPECT_TRUE(model::record_target_health(region_, tg, a, 80, "healthy"));
  EXPECT_FALSE(model::record_target_health(region_, tg, a, 80, "healthy"));  // no change
  EXPECT_FALSE(model::record_target_health(region_, tg, a, 81, "healthy"));  // not registered
  EXPECT_TRUE(model::record_target_health(region_, tg, b, 8080, "unhealthy"));
  EXPECT_EQ(health_of(tg, a).state, "healthy");
  EXPECT_EQ(health_of(tg, a).reason, "");
  EXPECT_EQ(health_of(tg, b, 8080).state, "unhealthy");
  EXPECT_EQ(health_of(tg, b, 8080).reason, "Target.FailedHealthChecks");

  // Deregistering drains for the group's delay, then the target is gone.
  ASSERT_EQ(code(model::modify_target_group_attributes(
                region_, caller_, tg, {{"deregistration_delay.timeout_seconds", "30"}})),
            "ok");
  ASSERT_EQ(code(model::deregister_targets(region_, caller_, tg, {{a, {}}})), "ok");
  EXPECT_EQ(health_of(tg, a).state, "draining");
  EXPECT_EQ(health_of(tg, a).reason, "Target.DeregistrationInProgress");
  EXPECT_EQ(model::live_targets(region_.target_groups.at(tg), caller_.now).size(), 2u);
  caller_.now += 30;
  EXPECT_EQ(health_of(tg, a).reason, "Target.NotRegistered");
  EXPECT_EQ(model::live_targets(region_.target_groups.at(tg), caller_.now).size(), 1u);
  // Registering again takes a draining target back.
  ASSERT_EQ(code(model::deregister_targets(region_, caller_, tg, {{b, 8080}})), "ok");
  ASSERT_EQ(code(model::register_targets(region_, caller_, tg, {{b, 8080}})), "ok");
  EXPECT_EQ(health_of(tg, b, 8080).state, "unhealthy");
  EXPECT_EQ(code(model::deregister_targets(region_, caller_, tg, {{a, {}}})), "InvalidTarget");

  // A group no listener uses deregisters at once.
  std::string idle = target_group("idle");
  ASSERT_EQ(code(model::register_targets(region_, caller_, idle, {{a, {}}})), "ok");
  ASSERT_EQ(code(model::deregister_targets(region_, caller_, idle, {{a, {}}})), "ok");
  EXPECT_TRUE(region_.target_groups.at(idle).targets.empty());
}

TEST_F(LoadBalancerTest, TargetsMustBeInTheGroupsVpc) {
  std::string tg = target_group("tg");
  std::string other_vpc = vpc("10.9.0.0/16");
  std::string far_subnet = subnet(other_vpc, "10.9.1.0/24");
  std::string far = instance(far_subnet);
  EXPECT_EQ(code(model::register_targets(region_, caller_, tg, {{far, {}}})), "InvalidTarget");
  EXPECT_EQ(code(model::register_targets(region_, caller_, tg, {{"i-00000000000000000", {}}})),
            "InvalidTarget");
  EXPECT_EQ(code(model::register_targets(region_, caller_, tg, {{"10.0.1.10", {}}})),
            "InvalidTarget");  // an instance group takes no addresses
  EXPECT_EQ(code(model::register_targets(region_, caller_, tg, {})), "ValidationError");
  std::string ip =
      *model::create_target_group(region_, caller_, group_request("ip", "UDP", vpc_, "ip", 53));
  EXPECT_EQ(code(model::register_targets(region_, caller_, ip, {{"10.0.2.9", {}}})), "ok");
  EXPECT_EQ(region_.target_groups.at(ip).targets[0].availability_zone, "us-east-1b");
  EXPECT_EQ(code(model::register_targets(region_, caller_, ip, {{"10.9.1.9", {}}})),
            "InvalidTarget");
  EXPECT_EQ(code(model::register_targets(region_, caller_, ip, {{"10.0.2.300", {}}})),
            "InvalidTarget");
  EXPECT_EQ(code(model::modify_target_group_attributes(region_, caller_, ip,
                                                       {{"preserve_client_ip.enabled", "false"}})),
            "InvalidConfigurationRequest");  // UDP keeps client addresses
  caller_.limits.targets_per_target_group = 1;
  EXPECT_EQ(code(model::register_targets(region_, caller_, ip, {{"10.0.2.10", {}}})),
            "TooManyTargets");
}

TEST_F(LoadBalancerTest, TagsByArnAreTheOwnersOnly) {
  auto lb = *model::create_load_balancer(region_, caller_, request("t"));
  std::string tg = target_group("tg");
  const model::Region live = region_;  // as RegionStore::mutate: the copy is written, not this
  auto tags = model::find_elb_tags(region_, caller_, lb);
  ASSERT_TRUE(tags.ok());
  (**tags)["k"] = "v";
  EXPECT_EQ(region_.load_balancers.at(lb).tags.at("k"), "v");
  EXPECT_FALSE(live.load_balancers.at(lb).tags.contains("k"));  // a write to the live version
                                                                // is one the store never sees
  EXPECT_EQ(code(model::find_elb_tags(region_, caller_, tg)), "ok");
  EXPECT_EQ(code(model::find_elb_tags(region_, other_, lb)), "LoadBalancerNotFound");
  EXPECT_EQ(code(model::find_elb_tags(region_, other_, tg)), "TargetGroupNotFound");
  EXPECT_EQ(code(model::find_elb_tags(region_, caller_, lb + "0")), "LoadBalancerNotFound");
  EXPECT_EQ(code(model::find_elb_tags(region_, caller_, "vpc-1")), "ValidationError");
}

TEST_F(LoadBalancerTest, SurvivesTheStoreEncoding) {
  attach_igw();
  auto lb = *model::create_load_balancer(region_, caller_, request("s", "internet-facing"));
  std::string tg = target_group("tg");
  ASSERT_EQ(code(model::register_targets(region_, caller_, tg, {{instance(subnet_a_), 81}})), "ok");
  ASSERT_EQ(code(model::create_listener(region_, caller_, {lb, "TCP", tg, 80})), "ok");
  region_.target_groups.at(tg).targets[0].health = "healthy";
  std::vector<store::KeyValue> kvs;
  for (const auto& op : model::diff_region(model::Region{}, region_)) {
    kvs.push_back({op.key, op.value, 0, 0});
  }
  auto decoded = model::decode_region(kvs);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->load_balancers, region_.load_balancers);
  EXPECT_EQ(decoded->target_groups, region_.target_groups);
  EXPECT_EQ(decoded->listeners, region_.listeners);
  EXPECT_EQ(decoded->network_interfaces, region_.network_interfaces);
}

}  // namespace
}  // namespace openvpc::testing
