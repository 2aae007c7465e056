#include "model/nat_gateway.h"

#include <gtest/gtest.h>

#include "fixture.h"
#include "model/program_compiler.h"

namespace openvpc::testing {
namespace {

class NatGatewayTest : public RegionTest {
 protected:
  void SetUp() override {
    vpc_ = vpc();
    subnet_ = subnet(vpc_, "10.0.1.0/24");
  }
  void attach_igw() {
    igw_ = *model::create_internet_gateway(region_, caller_);
    ASSERT_EQ(code(model::attach_internet_gateway(region_, caller_, igw_, vpc_)), "ok");
  }
  std::string eip() { return *model::allocate_address(region_, caller_); }
  model::NatGatewayRequest public_request(const std::string& allocation) {
    model::NatGatewayRequest request;
    request.subnet_id = subnet_;
    request.allocation_id = allocation;
    return request;
  }

  std::string vpc_, subnet_, igw_;
};

TEST_F(NatGatewayTest, PublicWithoutInternetGatewayFails) {
  std::string alloc = eip();
  auto id = model::create_nat_gateway(region_, caller_, public_request(alloc));
  ASSERT_TRUE(id.ok()) << id.error().code;
  const auto& nat = region_.nat_gateways.at(*id);
  EXPECT_EQ(nat.state, "failed");
  EXPECT_EQ(nat.failure_code, "Gateway.NotAttached");
  EXPECT_TRUE(nat.network_interface_id.empty());
  EXPECT_TRUE(region_.addresses.at(alloc).association_id.empty());  // the EIP stays free
  EXPECT_EQ(region_.network_interfaces.size(), 0u);
}

TEST_F(NatGatewayTest, LifecycleOwnsInterfaceAndElasticIp) {
  attach_igw();
  std::string alloc = eip();
  auto id = model::create_nat_gateway(region_, caller_, public_request(alloc));
  ASSERT_TRUE(id.ok()) << id.error().code;
  auto& nat = region_.nat_gateways.at(*id);
  EXPECT_EQ(nat.state, "pending");
  const auto& eni = region_.network_interfaces.at(nat.network_interface_id);
  EXPECT_EQ(eni.interface_type, "nat_gateway");
  EXPECT_TRUE(eni.requester_managed);
  EXPECT_TRUE(eni.group_ids.empty());
  EXPECT_EQ(eni.private_ip, "10.0.1.4");
  ASSERT_EQ(nat.addresses.size(), 1u);
  EXPECT_EQ(nat.addresses[0].private_ip, "10.0.1.4");
  EXPECT_EQ(nat.addresses[0].public_ip, region_.addresses.at(alloc).public_ip);
  EXPECT_EQ(region_.addresses.at(alloc).network_interface_id, eni.id);
  auto shown = model::public_address_of(region_, eni, eni.private_ip);  // what the edge maps
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->public_ip, nat.addresses[0].public_ip);

  // The tenant cannot take the interface or the EIP away from it.
  EXPECT_EQ(code(model::delete_network_interface(region_, caller_, eni.id)),
            "InvalidNetworkInterface.InUse");
  EXPECT_EQ(code(model::release_address(region_, caller_, alloc)), "InvalidIPAddress.InUse");
  EXPECT_EQ(code(model::create_nat_gateway(region_, caller_, public_request(alloc))),
            "Resource.AlreadyAssociated");

  // A route to it is a blackhole until it is placed and its nodes run it, then active.
  std::string table = region_.vpcs.at(vpc_).main_route_table_id;
  model::RouteTarget target;
  target.nat_gateway_id = *id;
  ASSERT_EQ(code(model::create_route(region_, caller_, table, "0.0.0.0/0", target, false)), "ok");
  const auto& route = region_.route_tables.at(table).routes.back();
  EXPECT_FALSE(model::route_active(region_, region_.route_tables.at(table), route));
  model::NatPlacement placement;
  placement.shards[*id] = {"hp-1", "hp-2", "hp-3"};
  EXPECT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 1));
  EXPECT_EQ(nat.state, "pending");  // placed, but its nodes have not ACKed it
  EXPECT_EQ(nat.shard, placement.shards[*id]);
  EXPECT_FALSE(model::route_active(region_, region_.route_tables.at(table), route));
  EXPECT_FALSE(model::advance_nat_gateways(region_, placement, caller_.now + 1));
  placement.carried.insert(*id);
  EXPECT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 1));
  EXPECT_EQ(nat.state, "available");
  EXPECT_EQ(nat.shard, placement.shards[*id]);
  EXPECT_FALSE(model::advance_nat_gateways(region_, placement, caller_.now + 2));
  auto reach = model::route_reach(region_, region_.route_tables.at(table), route);
  EXPECT_EQ(reach.kind, program::RouteTargetKind::nat_gateway);
  EXPECT_EQ(reach.number, nat.number);

  // A shard that changes (a node replaced) while the new node has not ACKed yet keeps it
  // available: its routes keep working through the survivors.
  model::NatPlacement replaced;
  replaced.shards[*id] = {"hp-1", "hp-4", "hp-3"};
  EXPECT_TRUE(model::advance_nat_gateways(region_, replaced, caller_.now + 2));
  EXPECT_EQ(nat.state, "available");
  // Losing every node makes it wait again (and its routes blackholes), and placed again it
  // waits for its nodes' ACKs again.
  EXPECT_TRUE(model::advance_nat_gateways(region_, {}, caller_.now + 3));
  EXPECT_EQ(nat.state, "pending");
  EXPECT_TRUE(model::advance_nat_gateways(region_, replaced, caller_.now + 4));
  EXPECT_EQ(nat.state, "pending");
  EXPECT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 4));
  EXPECT_EQ(nat.state, "available");

  ASSERT_EQ(code(model::delete_nat_gateway(region_, caller_, *id)), "ok");
  EXPECT_EQ(nat.state, "deleting");
  EXPECT_EQ(code(model::delete_nat_gateway(region_, caller_, *id)), "ok");  // idempotent
  EXPECT_EQ(code(model::delete_nat_gateway(region_, other_, *id)), "NatGatewayNotFound");
  EXPECT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 5));
  EXPECT_EQ(nat.state, "deleted");
  EXPECT_TRUE(nat.shard.empty());
  EXPECT_TRUE(region_.network_interfaces.empty());
  EXPECT_TRUE(region_.addresses.at(alloc).association_id.empty());
  EXPECT_FALSE(model::route_active(region_, region_.route_tables.at(table), route));
  EXPECT_EQ(code(model::create_route(region_, caller_, table, "10.9.0.0/16", target, false)),
            "InvalidNatGatewayID.NotFound");
  EXPECT_EQ(code(model::release_address(region_, caller_, alloc)), "ok");
  // Describable for an hour after deletion, then gone.
  EXPECT_FALSE(model::advance_nat_gateways(region_, {}, caller_.now + 600));
  EXPECT_TRUE(model::advance_nat_gateways(region_, {}, caller_.now + 5 + 3600));
  EXPECT_TRUE(region_.nat_gateways.empty());
}

TEST_F(NatGatewayTest, SecondaryAddressesAndPrivateGateways) {
  attach_igw();
  std::string a = eip(), b = eip();
  auto request = public_request(a);
  request.secondary_allocation_ids = {b};
  request.private_ip = "10.0.1.50";
  auto id = model::create_nat_gateway(region_, caller_, request);
  ASSERT_TRUE(id.ok()) << id.error().code;
  const auto& nat = region_.nat_gateways.at(*id);
  ASSERT_EQ(nat.addresses.size(), 2u);
  EXPECT_EQ(nat.addresses[0].private_ip, "10.0.1.50");
  EXPECT_TRUE(nat.addresses[0].is_primary);
  EXPECT_FALSE(nat.addresses[1].is_primary);
  EXPECT_EQ(region_.addresses.at(b).private_ip, nat.addresses[1].private_ip);

  model::NatGatewayRequest private_request;
  private_request.subnet_id = subnet_;
  private_request.connectivity_type = "private";
  private_request.secondary_private_ip_count = 2;
  auto private_id = model::create_nat_gateway(region_, caller_, private_request);
  ASSERT_TRUE(private_id.ok()) << private_id.error().code;
  EXPECT_EQ(region_.nat_gateways.at(*private_id).addresses.size(), 3u);
  EXPECT_TRUE(region_.nat_gateways.at(*private_id).addresses[0].public_ip.empty());

  private_request.allocation_id = eip();
  EXPECT_EQ(code(model::create_nat_gateway(region_, caller_, private_request)),
            "InvalidParameterCombination");
  EXPECT_EQ(code(model::create_nat_gateway(region_, caller_, public_request(""))),
            "MissingParameter");
  EXPECT_EQ(code(model::create_nat_gateway(region_, caller_, public_request("eipalloc-nope"))),
            "InvalidAllocationID.NotFound");
  auto other = public_request(a);
  other.subnet_id = "subnet-nope";
  EXPECT_EQ(code(model::create_nat_gateway(region_, caller_, other)), "InvalidSubnetID.NotFound");
}

// Secondary addresses come and go: each EIP gets an interface address, the primary stays, and a
// disassociated address is released (EIP free, private address gone) at the next advance.
TEST_F(NatGatewayTest, AssociateAndDisassociateSecondaryAddresses) {
  attach_igw();
  std::string primary = eip();
  auto id = model::create_nat_gateway(region_, caller_, public_request(primary));
  ASSERT_TRUE(id.ok()) << id.error().code;
  model::NatPlacement placement;
  placement.shards[*id] = {"hp-1"};
  placement.carried.insert(*id);
  ASSERT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 1));
  std::string second = eip(), third = eip();
  auto added =
      model::associate_nat_gateway_address(region_, caller_, *id, {second, third}, {"10.0.1.50"});
  ASSERT_TRUE(added.ok()) << added.error().code;
  ASSERT_EQ(added->size(), 2u);
  EXPECT_EQ((*added)[0].private_ip, "10.0.1.50");
  EXPECT_EQ((*added)[0].status, "associating");
  EXPECT_FALSE((*added)[1].private_ip.empty());
  auto& nat = region_.nat_gateways.at(*id);
  ASSERT_EQ(nat.addresses.size(), 3u);
  const auto& eni = region_.network_interfaces.at(nat.network_interface_id);
  EXPECT_EQ(eni.secondary_private_ips.size(), 2u);
  EXPECT_EQ(region_.addresses.at(second).private_ip, "10.0.1.50");
  EXPECT_EQ(code(model::associate_nat_gateway_address(region_, caller_, *id, {second}, {})),
            "Resource.AlreadyAssociated");
  EXPECT_EQ(code(model::associate_nat_gateway_address(region_, caller_, "nat-0nope", {eip()}, {})),
            "NatGatewayNotFound");
  model::advance_nat_gateways(region_, placement, caller_.now + 2);
  EXPECT_EQ(nat.addresses[1].status, "succeeded");
  // The primary cannot go; a secondary can.
  EXPECT_EQ(code(model::disassociate_nat_gateway_address(region_, caller_, *id,
                                                         {nat.addresses[0].association_id})),
            "InvalidParameterValue");
  EXPECT_EQ(code(model::disassociate_nat_gateway_address(region_, caller_, *id, {"eipassoc-0x"})),
            "InvalidAssociationID.NotFound");
  auto removed = model::disassociate_nat_gateway_address(region_, caller_, *id,
                                                         {nat.addresses[1].association_id});
  ASSERT_TRUE(removed.ok()) << removed.error().code;
  EXPECT_EQ((*removed)[0].status, "disassociating");
  EXPECT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 3));
  ASSERT_EQ(nat.addresses.size(), 2u);
  EXPECT_TRUE(region_.addresses.at(second).association_id.empty());
  EXPECT_EQ(region_.network_interfaces.at(nat.network_interface_id).secondary_private_ips.size(),
            1u);
  // At most 8 addresses in all.
  std::vector<std::string> many;  // checked before the allocations themselves
  for (int i = 0; i < 7; ++i) many.push_back("eipalloc-0" + std::to_string(i));
  EXPECT_EQ(code(model::associate_nat_gateway_address(region_, caller_, *id, many, {})),
            "AddressLimitExceeded");
}

// What the hosts are told about a NAT gateway: each node of its shard gets it in its
// hyperplane program as soon as it is placed (pending: the nodes' ACKs make it available);
// once available, the router whose route table sends to it gets its shard by slot (a slot
// whose node is not live: 0.0.0.0) and the edge binds its EIP to the shard.
TEST_F(NatGatewayTest, ProgramsCarryTheShard) {
  attach_igw();
  std::string alloc = eip();
  auto id = model::create_nat_gateway(region_, caller_, public_request(alloc));
  ASSERT_TRUE(id.ok()) << id.error().code;
  std::string table = region_.vpcs.at(vpc_).main_route_table_id;
  model::RouteTarget target;
  target.nat_gateway_id = *id;
  ASSERT_EQ(code(model::create_route(region_, caller_, table, "0.0.0.0/0", target, false)), "ok");
  model::NatPlacement placement;
  placement.shards[*id] = {"hp-1", "hp-2", "hp-3"};
  ASSERT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 1));
  const auto& nat = region_.nat_gateways.at(*id);
  ASSERT_EQ(nat.state, "pending");
  const auto& nat_eni = region_.network_interfaces.at(nat.network_interface_id);
  std::string instance_eni = interface(subnet_, "10.0.1.10");
  region_.network_interfaces.at(instance_eni).host_id = "127.0.0.21";

  model::CompileOptions options;
  options.edge_nodes = {{"edge-1", "127.0.11.1"}};
  options.hyperplane_nodes = {{"hp-1", "127.0.12.1"}, {"hp-3", "127.0.12.3"}};  // hp-2 is down
  // Pending: its nodes have it, routers and edges do not yet.
  EXPECT_EQ(model::compile_host_program(region_, "hp-1", options).nat_gateways.size(), 1u);
  EXPECT_TRUE(model::compile_host_program(region_, "127.0.0.21", options).nat_gateways.empty());
  EXPECT_TRUE(model::compile_host_program(region_, "edge-1", options).nat_gateways.empty());
  placement.carried.insert(*id);
  ASSERT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 2));
  ASSERT_EQ(nat.state, "available");
  auto router = model::compile_host_program(region_, "127.0.0.21", options);
  ASSERT_EQ(router.nat_gateways.size(), 1u);
  const auto& g = router.nat_gateways[0];
  EXPECT_EQ(g.id, nat.number);
  EXPECT_EQ(g.name, *id);
  EXPECT_EQ(g.eni, nat_eni.number);
  EXPECT_TRUE(g.is_public);
  ASSERT_EQ(g.addresses.size(), 1u);
  EXPECT_EQ(program::format_address(g.addresses[0]), "10.0.1.4");
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(program::format_address(g.nodes[0]), "127.0.12.1");
  EXPECT_EQ(program::format_address(g.nodes[1]), "0.0.0.0");
  EXPECT_EQ(program::format_address(g.nodes[2]), "127.0.12.3");

  auto edge = model::compile_host_program(region_, "edge-1", options);
  ASSERT_EQ(edge.nat_gateways.size(), 1u);
  const program::Mapping* binding = nullptr;
  for (const auto& m : edge.mappings) {
    if (m.nat_gateway == nat.number) binding = &m;
  }
  ASSERT_NE(binding, nullptr);
  EXPECT_EQ(program::format_address(binding->address), "10.0.1.4");
  EXPECT_EQ(program::format_address(*binding->public_address),
            region_.addresses.at(alloc).public_ip);
  EXPECT_EQ(binding->eni, nat_eni.number);

  auto node = model::compile_host_program(region_, "hp-3", options);
  EXPECT_EQ(program::format_address(node.host_underlay), "127.0.12.3");
  ASSERT_EQ(node.nat_gateways.size(), 1u);
  EXPECT_EQ(node.nat_gateways[0].nodes, g.nodes);
  ASSERT_EQ(node.edge_nodes.size(), 1u);
  EXPECT_TRUE(node.mappings.empty());
  EXPECT_TRUE(node.vpcs.empty());
  // A node the gateway is not placed on carries nothing of it.
  options.hyperplane_nodes["hp-4"] = "127.0.12.4";
  EXPECT_TRUE(model::compile_host_program(region_, "hp-4", options).nat_gateways.empty());
  // Deleting it takes it out of every program.
  ASSERT_EQ(code(model::delete_nat_gateway(region_, caller_, *id)), "ok");
  EXPECT_TRUE(model::compile_host_program(region_, "127.0.0.21", options).nat_gateways.empty());
  EXPECT_TRUE(model::compile_host_program(region_, "hp-3", options).nat_gateways.empty());
}

// A private gateway: a router of its VPC gets its addresses as mappings served by the shard
// (the destinations' replies go to the node owning the port), whether or not a route targets
// it; its nodes get the VPC's interface addresses (where translated packets go).
TEST_F(NatGatewayTest, PrivateGatewayProgramsCarryItsAddressesAndTheVpcsInterfaces) {
  model::NatGatewayRequest request;
  request.subnet_id = subnet_;
  request.connectivity_type = "private";
  auto id = model::create_nat_gateway(region_, caller_, request);
  ASSERT_TRUE(id.ok()) << id.error().code;
  model::NatPlacement placement;
  placement.shards[*id] = {"hp-1", "hp-2"};
  placement.carried.insert(*id);  // its nodes ACKed it
  ASSERT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 1));
  const auto& nat = region_.nat_gateways.at(*id);
  std::string instance_eni = interface(subnet_, "10.0.1.10");
  region_.network_interfaces.at(instance_eni).host_id = "127.0.0.21";
  model::CompileOptions options;
  options.hyperplane_nodes = {{"hp-1", "127.0.12.1"}, {"hp-2", "127.0.12.2"}};

  auto router = model::compile_host_program(region_, "127.0.0.21", options);
  ASSERT_EQ(router.nat_gateways.size(), 1u);
  EXPECT_FALSE(router.nat_gateways[0].is_public);
  const program::Mapping* served = nullptr;
  for (const auto& m : router.mappings) {
    if (m.nat_gateway == nat.number) served = &m;
  }
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(program::format_address(served->address), nat.addresses[0].private_ip);

  auto node = model::compile_host_program(region_, "hp-2", options);
  ASSERT_EQ(node.nat_gateways.size(), 1u);
  bool instance_mapped = false;
  for (const auto& m : node.mappings) {
    EXPECT_EQ(m.nat_gateway, 0u);
    if (program::format_address(m.address) == "10.0.1.10") {
      instance_mapped = program::format_address(m.underlay) == "127.0.0.21";
    }
  }
  EXPECT_TRUE(instance_mapped);
}

// A node of the gateway's shard gets the gateway's subnet and that subnet's network ACL (its
// nodes apply it, hyperplane/node_acl.h) — not the subnets of the instances that use it.
TEST_F(NatGatewayTest, NodeProgramCarriesTheGatewaySubnetsNetworkAcl) {
  attach_igw();
  auto id = model::create_nat_gateway(region_, caller_, public_request(eip()));
  ASSERT_TRUE(id.ok()) << id.error().code;
  model::NatPlacement placement;
  placement.shards[*id] = {"hp-1"};
  placement.carried.insert(*id);  // its node ACKed it
  ASSERT_TRUE(model::advance_nat_gateways(region_, placement, caller_.now + 1));
  std::string private_subnet = subnet(vpc_, "10.0.2.0/24");
  region_.network_interfaces.at(interface(private_subnet, "10.0.2.10")).host_id = "127.0.0.21";
  model::CompileOptions options;
  options.hyperplane_nodes = {{"hp-1", "127.0.12.1"}};

  // The default ACL first: the subnet names it.
  const auto& defaults = region_.network_acls.at(region_.vpcs.at(vpc_).default_network_acl_id);
  auto node = model::compile_host_program(region_, "hp-1", options);
  ASSERT_EQ(node.nat_gateways.size(), 1u);
  ASSERT_EQ(node.subnets.size(), 1u);
  EXPECT_EQ(node.nat_gateways[0].subnet, region_.subnets.at(subnet_).number);
  EXPECT_EQ(node.subnets[0].id, region_.subnets.at(subnet_).number);
  EXPECT_EQ(node.subnets[0].cidr.to_string(), "10.0.1.0/24");
  EXPECT_EQ(node.subnets[0].network_acl, defaults.number);
  ASSERT_EQ(node.network_acls.size(), 1u);
  EXPECT_EQ(node.network_acls[0].id, defaults.number);

  // A custom ACL associated with the gateway's subnet replaces it, entries and all.
  std::string acl = *model::create_network_acl(region_, caller_, vpc_);
  model::NetworkAclEntry deny{.rule_number = 90,
                              .egress = true,
                              .protocol = "6",
                              .allow = false,
                              .cidr = "203.0.113.10/32",
                              .from_port = 80,
                              .to_port = 80};
  ASSERT_EQ(code(model::create_network_acl_entry(region_, caller_, acl, deny, false)), "ok");
  std::string association;
  for (const auto& a : defaults.associations) {
    if (a.subnet_id == subnet_) association = a.id;
  }
  ASSERT_TRUE(model::replace_network_acl_association(region_, caller_, association, acl).ok());
  node = model::compile_host_program(region_, "hp-1", options);
  ASSERT_EQ(node.subnets.size(), 1u);
  EXPECT_EQ(node.subnets[0].network_acl, region_.network_acls.at(acl).number);
  ASSERT_EQ(node.network_acls.size(), 1u);
  const program::NetworkAcl& carried = node.network_acls[0];
  EXPECT_EQ(carried.id, region_.network_acls.at(acl).number);
  ASSERT_EQ(carried.entries.size(), 1u);
  EXPECT_EQ(carried.entries[0].rule_number, 90);
  EXPECT_EQ(carried.entries[0].direction, program::Direction::egress);
  EXPECT_EQ(carried.entries[0].action, program::AclAction::deny);
  EXPECT_EQ(carried.entries[0].cidr.to_string(), "203.0.113.10/32");
  EXPECT_EQ(carried.entries[0].traffic.protocol, 6);
  EXPECT_EQ(carried.entries[0].traffic.ports.first, 80);
  // A router's program is unchanged: its gateways name no subnet.
  model::RouteTarget target;
  target.nat_gateway_id = *id;
  ASSERT_EQ(code(model::create_route(region_, caller_, region_.vpcs.at(vpc_).main_route_table_id,
                                     "0.0.0.0/0", target, false)),
            "ok");
  auto router = model::compile_host_program(region_, "127.0.0.21", options);
  ASSERT_EQ(router.nat_gateways.size(), 1u);
  EXPECT_EQ(router.nat_gateways[0].subnet, 0u);
}

}  // namespace
}  // namespace openvpc::testing
