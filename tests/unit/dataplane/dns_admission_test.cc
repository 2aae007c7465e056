// dns_admission_test.cc — DNS to the VPC resolver (UDP and TCP, port 53, at the VPC's base+2,
// the subnet's base+2 and 169.254.169.253) goes to the local services even when the ENI's
// security groups allow nothing and its subnet's network ACL denies everything
// (REFERENCE.md: traffic to the resolver cannot be blocked), and whatever the TCP flags; the
// same ports on an instance stay filtered.
#include <gtest/gtest.h>

#include "harness.h"

namespace openvpc::dataplane::testing {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;

// Web1's groups lose every rule and its subnet's ACL keeps only the implicit deny.
program::Program locked_down() {
  program::Program p = standard_program();
  for (auto& group : p.security_groups) group.rules.clear();
  for (auto& acl : p.network_acls) acl.entries.clear();
  return p;
}

TEST(DnsAdmission, ResolverTrafficPassesAnySecurityGroupAndNetworkAcl) {
  World world(locked_down());
  const Port web1 = port_of(kWeb1);
  std::vector<Input> inputs;
  for (const char* resolver : {"10.0.0.2", "10.0.1.2", "169.254.169.253"}) {
    const IpAddress to = address_literal(resolver);
    inputs.push_back({web1, from_eni(kWeb1, udp_ip(kWeb1.ip, to, 40000, 53))});
    for (uint8_t flags : {uint8_t(kTcpSyn), uint8_t(kTcpAck), uint8_t(kTcpAck | kTcpPsh),
                          uint8_t(kTcpAck | kTcpFin), uint8_t(kTcpRst)}) {
      inputs.push_back({web1, from_eni(kWeb1, tcp_segment(kWeb1.ip, to, 40001, 53, flags, 7, 9,
                                                          flags & kTcpPsh ? 40 : 0))});
    }
  }
  const Batch batch = run(world, inputs);
  for (size_t i = 0; i < batch.packets.size(); ++i) {
    EXPECT_EQ(batch.packets[i].verdict, Verdict::to_local_services) << "input " << i;
    EXPECT_EQ(batch.packets[i].out_port, web1) << "input " << i;
  }
  // Again from the flow cache: the same answer.
  const Batch again = run(world, inputs, 1001);
  for (size_t i = 0; i < again.packets.size(); ++i) {
    EXPECT_EQ(again.packets[i].verdict, Verdict::to_local_services) << "input " << i;
  }
}

TEST(DnsAdmission, DnsToAnInstanceIsStillFiltered) {
  World world(locked_down());
  const Batch batch =
      run(world, {{port_of(kWeb1), from_eni(kWeb1, udp_ip(kWeb1.ip, kWeb2.ip, 40000, 53))},
                  {port_of(kWeb1), from_eni(kWeb1, tcp_ip(kWeb1.ip, kWeb2.ip, 40000, 53))}});
  for (const Packet& p : batch.packets) {
    EXPECT_EQ(p.verdict, Verdict::drop);
    EXPECT_EQ(p.drop_reason, DropReason::security_group_egress_denied);
  }
}

}  // namespace
}  // namespace openvpc::dataplane::testing
