// A network load balancer as the routers see it (program.h LoadBalancer): a client's packets
// for its address go to the node of the client's slot; a target's connection that came in
// through it remembers that, and its replies go back to that node whatever the route says.
#include <gtest/gtest.h>

#include "dataplane/nat_shard.h"
#include "harness.h"
#include "packet/bytes.h"
#include "packet/geneve.h"

#include <map>

namespace openvpc::dataplane::testing {
namespace {

using packet::kTcpAck;
using packet::kTcpSyn;
using D = DropReason;
using V = Verdict;

constexpr uint32_t kLoadBalancer = 905;
constexpr uint32_t kLbEni = 960;
const IpAddress kLbAddress = address_literal("10.0.1.50");
const Port kUnderlay = Port::underlay();
const std::vector<IpAddress> kNodes = {kNatNode1, kNatNode2, kNatNode3};

void with_load_balancer(program::Program& p, std::vector<IpAddress> nodes = kNodes,
                        uint32_t vpc = 7) {
  program::LoadBalancer lb;
  lb.id = kLoadBalancer;
  lb.name = "net/web/0123456789abcdef";
  lb.vpc = vpc;
  lb.interfaces = {{kLbEni, 11, kLbAddress, std::nullopt}};
  lb.nodes = std::move(nodes);
  p.load_balancers = {lb};
  program::Mapping m;
  m.vpc = vpc;
  m.address = kLbAddress;
  m.eni = kLbEni;
  m.load_balancer = kLoadBalancer;
  p.mappings.push_back(m);
}

// The node of the slot of (client, port) over kNodes (all up).
IpAddress node_for(const IpAddress& client, uint16_t port) {
  return kNodes[load_balancer_slot(client.v4_host_order(), port, kNodes.size())];
}

uint32_t outer_destination(const Batch& batch, size_t i) {
  return packet::load_be32(batch.packets[i].data + 16);
}

TEST(LoadBalancerPath, AClientsPacketGoesToTheNodeOfItsSlotAndTheNodesReplyComesIn) {
  program::Program p = standard_program();
  with_load_balancer(p);
  World world(p);
  const IpAddress node = node_for(kWeb1.ip, 40010);
  Batch batch = run(
      world,
      {{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kLbAddress, 40010, 22))},
       {kUnderlay,
        geneve(node, kHost, 7, kLbEni, kWeb1.id, syn_ack_ip(kLbAddress, kWeb1.ip, 22, 40010),
               packet::kVpcFlagFromHyperplane)},
       // The same reply from a host that is no node of the load balancer, or without the flag.
       {kUnderlay,
        geneve(kRemoteHost, kHost, 7, kLbEni, kWeb1.id, syn_ack_ip(kLbAddress, kWeb1.ip, 22, 40010),
               packet::kVpcFlagFromHyperplane)},
       // (another flow: the flow cache keys a flow by what the isolation rule checked, the
       // outer source among it, not by the flag a trusted node sets)
       {kUnderlay,
        geneve(node, kHost, 7, kLbEni, kWeb1.id, syn_ack_ip(kLbAddress, kWeb1.ip, 22, 40012))}});
  ASSERT_EQ(batch.packets[0].verdict, V::encapsulate);
  EXPECT_EQ(batch.bytes(0), geneve(kHost, node, 7, kWeb1.id, kLbEni,
                                   tcp_ip(kWeb1.ip, kLbAddress, 40010, 22, kTcpSyn, 63)));
  EXPECT_EQ(batch.packets[1].verdict, V::deliver);
  EXPECT_EQ(batch.packets[2].verdict, V::drop);
  EXPECT_EQ(batch.packets[2].drop_reason, D::geneve_untrusted_node);
  EXPECT_EQ(batch.packets[3].verdict, V::drop);
  EXPECT_EQ(batch.packets[3].drop_reason, D::geneve_source_eni_unknown);
}

TEST(LoadBalancerPath, ClientsSpreadOverTheShardAndADownNodesSlotMovesToTheNext) {
  program::Program p = standard_program();
  with_load_balancer(p, {kNatNode1, kNodeDown, kNatNode3});
  World world(p);
  std::vector<Input> inputs;
  for (uint16_t port = 41000; port < 41060; ++port) {
    inputs.push_back({port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kLbAddress, port, 22))});
  }
  Batch batch = run(world, inputs);
  std::map<uint32_t, int> per_node;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(batch.packets[i].verdict, V::encapsulate);
    const uint16_t port = uint16_t(41000 + i);
    const size_t slot = load_balancer_slot(kWeb1.ip.v4_host_order(), port, 3);
    const IpAddress expected = slot == 0 ? kNatNode1 : kNatNode3;  // slot 1 is down: slot 2's
    EXPECT_EQ(outer_destination(batch, i), expected.v4_host_order());
    ++per_node[outer_destination(batch, i)];
  }
  EXPECT_EQ(per_node.size(), 2u);
}

TEST(LoadBalancerPath, NoNodeUpOrAnotherVpcsLoadBalancerIsUnavailable) {
  for (bool other_vpc : {false, true}) {
    program::Program p = standard_program();
    if (other_vpc) {
      with_load_balancer(p, kNodes, 8);
      p.mappings.back().vpc = 7;  // a forged mapping naming vpc 8's load balancer in vpc 7
    } else {
      with_load_balancer(p, {kNodeDown, kNodeDown});
    }
    World world(p);
    Batch batch =
        run(world, {{port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kLbAddress, 40011, 22))}});
    EXPECT_EQ(batch.packets[0].verdict, V::drop);
    EXPECT_EQ(batch.packets[0].drop_reason, D::gateway_unavailable);
  }
}

// The target's side: web2 (eni 102) is a target; a remote client 10.0.1.20 reaches it through
// the load balancer. Its replies on that connection go back to the node of the client's slot
// (not to the client's host), a connection of its own to the same client goes the usual way.
TEST(LoadBalancerPath, ATargetsRepliesGoBackThroughTheLoadBalancersNode) {
  program::Program p = standard_program();
  with_load_balancer(p);
  World world(p);
  const IpAddress client = kRemoteWeb.ip;
  const IpAddress node = node_for(client, 40020);
  const IpAddress other_node = node_for(client, 40022);
  Batch batch = run(
      world,
      {{kUnderlay, geneve(node, kHost, 7, kLbEni, kWeb2.id, tcp_ip(client, kWeb2.ip, 40020, 22),
                          packet::kVpcFlagFromHyperplane)},
       // 8080 is allowed untracked on web2 (sg 43): through a load balancer it is tracked.
       {kUnderlay, geneve(other_node, kHost, 7, kLbEni, kWeb2.id,
                          tcp_ip(client, kWeb2.ip, 40022, 8080), packet::kVpcFlagFromHyperplane)},
       // A forged one: the flag and the load balancer's interface from a host that is no node.
       {kUnderlay, geneve(kRemoteHost, kHost, 7, kLbEni, kWeb2.id,
                          tcp_ip(client, kWeb2.ip, 40024, 22), packet::kVpcFlagFromHyperplane)}});
  EXPECT_EQ(batch.packets[0].verdict, V::deliver);
  EXPECT_EQ(batch.packets[1].verdict, V::deliver);
  EXPECT_EQ(batch.packets[2].drop_reason, D::geneve_untrusted_node);

  Batch replies =
      run(world,
          {{port_of(kWeb2), from_eni(kWeb2, syn_ack_ip(kWeb2.ip, client, 22, 40020))},
           {port_of(kWeb2), from_eni(kWeb2, syn_ack_ip(kWeb2.ip, client, 8080, 40022))},
           {port_of(kWeb2), from_eni(kWeb2, tcp_ip(kWeb2.ip, client, 40021, 22))},
           // A second packet of the first reply flow: the cached action says the same.
           {port_of(kWeb2),
            from_eni(kWeb2, tcp_segment(kWeb2.ip, client, 22, 40020, kTcpAck, 1002, 1002))}},
          1001);
  for (size_t i : {0, 1, 3}) {
    SCOPED_TRACE(i);
    ASSERT_EQ(replies.packets[i].verdict, V::encapsulate);
    const uint8_t* outer = replies.packets[i].data;
    EXPECT_EQ(packet::load_be32(outer + 16), (i == 1 ? other_node : node).v4_host_order());
    EXPECT_EQ(packet::load_be32(outer + 40), kWeb2.id);  // the VPC option's source ENI
    EXPECT_EQ(packet::load_be32(outer + 44), kLbEni);    // and destination ENI
  }
  ASSERT_EQ(replies.packets[2].verdict, V::encapsulate);
  EXPECT_EQ(outer_destination(replies, 2), kRemoteHost.v4_host_order());
}

}  // namespace
}  // namespace openvpc::dataplane::testing
