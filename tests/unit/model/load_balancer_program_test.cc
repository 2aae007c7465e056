// Network load balancers' placement states, draining expiry and what the compiled programs
// carry of them (program_compiler_load_balancers.h).
#include "model/load_balancer.h"

#include <gtest/gtest.h>

#include "fixture.h"
#include "model/program_compiler.h"

namespace openvpc::testing {
namespace {

class LoadBalancerProgramTest : public RegionTest {
 protected:
  void SetUp() override {
    vpc_ = vpc();
    subnet_a_ = *model::create_subnet(region_, caller_, vpc_, "10.0.1.0/24", "us-east-1a");
    subnet_b_ = *model::create_subnet(region_, caller_, vpc_, "10.0.2.0/24", "us-east-1b");
    std::string igw = *model::create_internet_gateway(region_, caller_);
    EXPECT_EQ(code(model::attach_internet_gateway(region_, caller_, igw, vpc_)), "ok");
    options_.hyperplane_nodes = {{"hp-1", "127.0.12.1"}, {"hp-3", "127.0.12.3"}};  // hp-2: down
    options_.edge_nodes = {{"edge-1", "127.0.11.1"}};
  }
  std::string load_balancer(const std::string& name, const std::string& scheme = "internal") {
    model::LoadBalancerRequest r;
    r.name = name;
    r.type = "network";
    r.scheme = scheme;
    r.subnets = {{subnet_a_, "", "10.0.1.50"}, {subnet_b_, "", "10.0.2.50"}};
    auto arn = model::create_load_balancer(region_, caller_, r);
    EXPECT_TRUE(arn.ok()) << arn.error().code << " " << arn.error().message;
    return arn.ok() ? *arn : "";
  }
  std::string target_group(const std::string& name, const std::string& type = "instance") {
    model::TargetGroupRequest r;
    r.name = name;
    r.protocol = "TCP";
    r.port = 80;
    r.vpc_id = vpc_;
    r.target_type = type;
    auto arn = model::create_target_group(region_, caller_, r);
    EXPECT_TRUE(arn.ok()) << arn.error().code;
    return arn.ok() ? *arn : "";
  }
  // An instance running on `host` (its interface there).
  std::string instance(const std::string& subnet_id, const std::string& host) {
    model::InstanceRequest r;
    r.network.subnet_id = subnet_id;
    r.image_id = "ami-1";
    r.host_id = host;
    auto ids = model::run_instances(region_, caller_, r);
    EXPECT_TRUE(ids.ok()) << ids.error().code;
    return ids.ok() ? ids->front() : "";
  }
  void place(const std::string& arn, std::vector<std::string> shard) {
    model::LoadBalancerPlacement placement;
    placement.shards[arn] = std::move(shard);
    placement.carried.insert(arn);  // and its nodes ACKed it
    model::advance_load_balancers(region_, placement, caller_.now);
  }

  std::string vpc_, subnet_a_, subnet_b_;
  model::CompileOptions options_;
};

TEST_F(LoadBalancerProgramTest, ProvisioningUntilPlacedOnANodeThatRunsIt) {
  std::string arn = load_balancer("front");
  EXPECT_EQ(region_.load_balancers.at(arn).state, "provisioning");
  EXPECT_FALSE(model::advance_load_balancers(region_, {}, caller_.now));  // no node: waits
  model::LoadBalancerPlacement placement;
  placement.shards[arn] = {"hp-1", "hp-2"};
  EXPECT_TRUE(model::advance_load_balancers(region_, placement, caller_.now));
  EXPECT_EQ(region_.load_balancers.at(arn).state, "provisioning");  // its nodes have not ACKed
  // Its nodes get it to ACK; routers of its VPC do not yet.
  instance(subnet_a_, "127.0.0.21");
  EXPECT_EQ(model::compile_host_program(region_, "hp-1", options_).load_balancers.size(), 1u);
  EXPECT_TRUE(model::compile_host_program(region_, "127.0.0.21", options_).load_balancers.empty());
  placement.carried.insert(arn);
  EXPECT_TRUE(model::advance_load_balancers(region_, placement, caller_.now));
  EXPECT_EQ(region_.load_balancers.at(arn).state, "active");
  EXPECT_EQ(model::compile_host_program(region_, "127.0.0.21", options_).load_balancers.size(), 1u);
  EXPECT_EQ(region_.load_balancers.at(arn).shard, (std::vector<std::string>{"hp-1", "hp-2"}));
  EXPECT_FALSE(model::advance_load_balancers(region_, placement, caller_.now));
  EXPECT_TRUE(model::advance_load_balancers(region_, {}, caller_.now));  // every node gone
  EXPECT_EQ(region_.load_balancers.at(arn).state, "provisioning");
  EXPECT_TRUE(region_.load_balancers.at(arn).shard.empty());
}

TEST_F(LoadBalancerProgramTest, DrainedTargetsAreDroppedWhenTheirDelayEnds) {
  std::string arn = load_balancer("front");
  std::string tg = target_group("web");
  ASSERT_EQ(code(model::create_listener(region_, caller_, {arn, "TCP", tg, 80})), "ok");
  std::string a = instance(subnet_a_, "127.0.0.21");
  std::string b = instance(subnet_b_, "127.0.0.22");
  ASSERT_EQ(code(model::register_targets(region_, caller_, tg, {{a, {}}, {b, {}}})), "ok");
  ASSERT_EQ(code(model::modify_target_group_attributes(
                region_, caller_, tg, {{"deregistration_delay.timeout_seconds", "30"}})),
            "ok");
  EXPECT_EQ(model::next_draining_deadline(region_, caller_.now), 0);
  ASSERT_EQ(code(model::deregister_targets(region_, caller_, tg, {{a, {}}})), "ok");
  EXPECT_EQ(model::next_draining_deadline(region_, caller_.now), caller_.now + 30);
  place(arn, {"hp-1"});
  EXPECT_EQ(region_.target_groups.at(tg).targets.size(), 2u);  // still draining

  model::LoadBalancerPlacement same;
  same.shards[arn] = {"hp-1"};
  EXPECT_FALSE(model::advance_load_balancers(region_, same, caller_.now + 29));
  EXPECT_TRUE(model::advance_load_balancers(region_, same, caller_.now + 30));
  ASSERT_EQ(region_.target_groups.at(tg).targets.size(), 1u);
  EXPECT_EQ(region_.target_groups.at(tg).targets[0].id, b);
  EXPECT_EQ(model::next_draining_deadline(region_, caller_.now + 30), 0);
}

// A router of the VPC gets the placed load balancer with its interfaces and shard by slot and
// a mapping per address; a node of the shard also gets listeners and target groups with their
// resolved targets; the edge binds an internet-facing one's public addresses.
TEST_F(LoadBalancerProgramTest, ProgramsCarryThePlacedLoadBalancer) {
  std::string arn = load_balancer("front");
  std::string tg = target_group("web");
  std::string ip_tg = target_group("dns", "ip");
  ASSERT_EQ(code(model::create_listener(region_, caller_, {arn, "TCP", tg, 80})), "ok");
  ASSERT_EQ(code(model::create_listener(region_, caller_, {arn, "TCP", ip_tg, 53})), "ok");
  std::string a = instance(subnet_a_, "127.0.0.21");
  std::string b = instance(subnet_b_, "127.0.0.22");
  std::string nowhere = instance(subnet_b_, "");  // no host yet: left out
  ASSERT_EQ(code(model::register_targets(region_, caller_, tg,
                                         {{b, {}}, {a, 8080}, {nowhere, {}}, {a, {}}})),
            "ok");
  const auto& a_instance = region_.instances.at(a);
  ASSERT_EQ(code(model::register_targets(region_, caller_, ip_tg, {{a_instance.private_ip, 53}})),
            "ok");
  ASSERT_EQ(code(model::deregister_targets(region_, caller_, tg, {{b, {}}})), "ok");  // draining
  const auto& lb = region_.load_balancers.at(arn);

  // Not placed yet: nobody carries it.
  EXPECT_TRUE(model::compile_host_program(region_, "127.0.0.21", options_).load_balancers.empty());
  EXPECT_TRUE(model::compile_host_program(region_, "hp-1", options_).load_balancers.empty());

  place(arn, {"hp-1", "hp-2", "hp-3"});
  auto router = model::compile_host_program(region_, "127.0.0.21", options_);
  ASSERT_EQ(router.load_balancers.size(), 1u);
  const auto& r = router.load_balancers[0];
  EXPECT_EQ(r.id, lb.number);
  EXPECT_EQ(r.name, "net/front/" + lb.id);
  EXPECT_EQ(r.vpc, region_.vpcs.at(vpc_).vni);
  EXPECT_EQ(r.dns_name, lb.dns_name);
  ASSERT_EQ(r.interfaces.size(), 2u);
  EXPECT_EQ(program::format_address(r.interfaces[0].address), "10.0.1.50");
  EXPECT_EQ(r.interfaces[0].eni,
            region_.network_interfaces.at(lb.addresses[0].network_interface_id).number);
  EXPECT_EQ(r.interfaces[0].subnet, region_.subnets.at(subnet_a_).number);
  EXPECT_FALSE(r.interfaces[0].public_address);
  ASSERT_EQ(r.nodes.size(), 3u);
  EXPECT_EQ(program::format_address(r.nodes[0]), "127.0.12.1");
  EXPECT_EQ(program::format_address(r.nodes[1]), "0.0.0.0");
  EXPECT_EQ(program::format_address(r.nodes[2]), "127.0.12.3");
  EXPECT_TRUE(r.listeners.empty());
  EXPECT_TRUE(r.target_groups.empty());
  int mapped = 0;
  for (const auto& m : router.mappings) {
    if (m.load_balancer == 0) continue;
    ++mapped;
    EXPECT_EQ(m.load_balancer, lb.number);
    EXPECT_EQ(m.vpc, r.vpc);
    EXPECT_EQ(m.nat_gateway, 0u);
  }
  EXPECT_EQ(mapped, 2);

  auto node = model::compile_host_program(region_, "hp-3", options_);
  ASSERT_EQ(node.load_balancers.size(), 1u);
  const auto& n = node.load_balancers[0];
  EXPECT_EQ(n.nodes, r.nodes);
  ASSERT_EQ(n.listeners.size(), 2u);
  EXPECT_EQ(n.listeners[0].port, 53);  // sorted by port
  EXPECT_EQ(n.listeners[0].target_group, region_.target_groups.at(ip_tg).number);
  EXPECT_EQ(n.listeners[1].port, 80);
  EXPECT_EQ(n.listeners[1].target_group, region_.target_groups.at(tg).number);
  ASSERT_EQ(n.target_groups.size(), 2u);
  const auto& web = n.target_groups[0].name == tg ? n.target_groups[0] : n.target_groups[1];
  EXPECT_EQ(web.id, region_.target_groups.at(tg).number);
  EXPECT_EQ(web.health_check.protocol, program::HealthCheckProtocol::tcp);
  EXPECT_EQ(web.health_check.port, 0);  // traffic-port
  EXPECT_EQ(web.health_check.interval_seconds, 30u);
  EXPECT_EQ(web.deregistration_delay_seconds, 300u);
  ASSERT_EQ(web.targets.size(), 3u);  // a:80, a:8080, b draining; `nowhere` left out
  const auto& b_instance = region_.instances.at(b);
  const auto a_address = *program::parse_address(a_instance.private_ip);
  const auto b_address = *program::parse_address(b_instance.private_ip);
  EXPECT_EQ(web.targets[0].address, a_address);
  EXPECT_EQ(web.targets[0].port, 80);
  EXPECT_EQ(web.targets[0].eni,
            region_.network_interfaces.at(a_instance.primary_interface_id).number);
  EXPECT_EQ(program::format_address(web.targets[0].underlay), "127.0.0.21");
  EXPECT_FALSE(web.targets[0].draining);
  EXPECT_EQ(web.targets[1].port, 8080);
  EXPECT_EQ(web.targets[2].address, b_address);
  EXPECT_EQ(program::format_address(web.targets[2].underlay), "127.0.0.22");
  EXPECT_TRUE(web.targets[2].draining);
  const auto& dns = n.target_groups[0].name == tg ? n.target_groups[1] : n.target_groups[0];
  ASSERT_EQ(dns.targets.size(), 1u);
  EXPECT_EQ(dns.targets[0].address, a_address);
  EXPECT_EQ(dns.targets[0].port, 53);
  EXPECT_TRUE(node.mappings.empty());
  EXPECT_TRUE(node.vpcs.empty());
  // hp-1's program is the same load balancer; a node outside the shard has none.
  EXPECT_EQ(program::to_text(model::compile_host_program(region_, "hp-1", options_)),
            program::to_text([&] {
              auto same = node;
              same.host_underlay = *program::parse_address("127.0.12.1");
              return same;
            }()));
  options_.hyperplane_nodes["hp-4"] = "127.0.12.4";
  EXPECT_TRUE(model::compile_host_program(region_, "hp-4", options_).load_balancers.empty());
  // An internal load balancer is nothing to the edge.
  EXPECT_TRUE(model::compile_host_program(region_, "edge-1", options_).load_balancers.empty());

  // Deleting it takes it out of every program.
  ASSERT_EQ(code(model::delete_load_balancer(region_, caller_, arn)), "ok");
  EXPECT_TRUE(model::compile_host_program(region_, "127.0.0.21", options_).load_balancers.empty());
  EXPECT_TRUE(model::compile_host_program(region_, "hp-3", options_).load_balancers.empty());
}

TEST_F(LoadBalancerProgramTest, EdgeBindsAnInternetFacingOnesPublicAddresses) {
  std::string alloc = *model::allocate_address(region_, caller_);
  model::LoadBalancerRequest r;
  r.name = "pub";
  r.type = "network";
  r.scheme = "internet-facing";
  r.subnets = {{subnet_a_, alloc, "10.0.1.77"}};
  auto arn = model::create_load_balancer(region_, caller_, r);
  ASSERT_TRUE(arn.ok()) << arn.error().code << " " << arn.error().message;
  place(*arn, {"hp-1"});
  const auto& lb = region_.load_balancers.at(*arn);
  auto edge = model::compile_host_program(region_, "edge-1", options_);
  ASSERT_EQ(edge.load_balancers.size(), 1u);
  EXPECT_EQ(edge.load_balancers[0].id, lb.number);
  ASSERT_TRUE(edge.load_balancers[0].interfaces[0].public_address);
  const program::Mapping* binding = nullptr;
  for (const auto& m : edge.mappings) {
    if (m.load_balancer == lb.number) binding = &m;
  }
  ASSERT_NE(binding, nullptr);
  EXPECT_EQ(program::format_address(binding->address), "10.0.1.77");
  EXPECT_EQ(program::format_address(*binding->public_address),
            region_.addresses.at(alloc).public_ip);
}

}  // namespace
}  // namespace openvpc::testing
