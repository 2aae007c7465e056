#include "dataplane/acl.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "packet/builder.h"
#include "program/cidr.h"

namespace openvpc::dataplane {
namespace {

using program::AclAction;
using program::address_literal;
using program::cidr_literal;
using program::Direction;

packet::PacketMeta tcp(const char* src, const char* dst, uint16_t dport) {
  auto ip = packet::build_tcp({address_literal(src), address_literal(dst)}, {1234, dport});
  return packet::parse_ip(ip);
}

packet::PacketMeta ping(const char* src, const char* dst) {
  auto ip = packet::build_icmp_echo({address_literal(src), address_literal(dst)}, {true, 1, 1});
  return packet::parse_ip(ip);
}

program::NetworkAclEntry entry(uint16_t number, Direction d, int protocol, uint16_t first,
                               uint16_t last, const char* cidr, AclAction action) {
  return {number, d, {protocol, {first, last}, -1, -1}, cidr_literal(cidr), action};
}

struct AclCase {
  const char* description;
  packet::PacketMeta meta;
  Direction direction;
  bool allowed;
  int rule_number;  // -1: the * rule
};

class NetworkAclTest : public ::testing::TestWithParam<AclCase> {};

// Entries deliberately out of order: evaluation is by rule number.
const program::NetworkAcl kAcl{
    3,
    "acl",
    7,
    {entry(200, Direction::ingress, 6, 0, 65535, "10.0.0.0/16", AclAction::allow),
     entry(100, Direction::ingress, 6, 22, 22, "10.0.9.0/24", AclAction::deny),
     entry(300, Direction::ingress, 1, 0, 65535, "0.0.0.0/0", AclAction::allow),
     entry(100, Direction::egress, -1, 0, 65535, "10.0.0.0/8", AclAction::allow)}};

TEST_P(NetworkAclTest, FirstMatchByRuleNumberElseStar) {
  const NetworkAclPolicy acl(kAcl);
  const AclCase& c = GetParam();
  const auto decision = acl.evaluate(c.direction, c.meta);
  EXPECT_EQ(decision.allowed, c.allowed) << c.description;
  EXPECT_EQ(decision.entry ? int(decision.entry->rule_number) : -1, c.rule_number) << c.description;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NetworkAclTest,
    ::testing::Values(AclCase{"deny 100 before allow 200", tcp("10.0.9.1", "10.0.1.5", 22),
                              Direction::ingress, false, 100},
                      AclCase{"allow 200 for other ports", tcp("10.0.9.1", "10.0.1.5", 80),
                              Direction::ingress, true, 200},
                      AclCase{"peer outside every CIDR: *", tcp("11.0.0.1", "10.0.1.5", 80),
                              Direction::ingress, false, -1},
                      AclCase{"icmp from anywhere: 300", ping("11.0.0.1", "10.0.1.5"),
                              Direction::ingress, true, 300},
                      AclCase{"egress matches the destination", tcp("10.0.1.5", "10.200.0.1", 80),
                              Direction::egress, true, 100},
                      AclCase{"egress to outside 10/8: *", tcp("10.0.1.5", "8.8.8.8", 80),
                              Direction::egress, false, -1}));

TEST(NetworkAcl, DescribeNamesTheRule) {
  const NetworkAclPolicy acl(kAcl);
  const auto meta = tcp("10.0.9.1", "10.0.1.5", 22);
  EXPECT_EQ(acl.describe(Direction::ingress, acl.evaluate(Direction::ingress, meta)),
            "network-acl 3 ingress rule 100 deny tcp 22 10.0.9.0/24");
  EXPECT_EQ(acl.describe(Direction::egress, {false, nullptr}), "network-acl 3 egress rule * deny");
}

CompiledSecurityGroupRule sg_rule(int protocol, uint16_t first, uint16_t last, const char* peer,
                                  int32_t member_set = -1) {
  CompiledSecurityGroupRule r;
  r.traffic = CompiledTraffic::from({protocol, {first, last}, -1, -1});
  r.peer = cidr_literal(peer);
  r.member_set = member_set;
  r.peer_everywhere = member_set < 0 && r.peer.prefix_length == 0;
  return r;
}

TEST(SecurityGroupPolicy, AllowListWithMemberSetsAndUntrackedFlows) {
  SecurityGroupPolicy policy;
  policy.add(Direction::ingress, sg_rule(6, 22, 22, "10.0.0.0/16"));
  policy.add(Direction::ingress, sg_rule(6, 5432, 5432, "0.0.0.0/32", 0));
  policy.add(Direction::ingress, sg_rule(6, 80, 80, "0.0.0.0/0"));
  policy.add(Direction::egress, sg_rule(-1, 0, 65535, "0.0.0.0/0"));
  policy.finish();
  const std::vector<MemberSet> members = {{address_literal("10.0.3.3")}};
  auto in = [&](const packet::PacketMeta& m) {
    return policy.evaluate(Direction::ingress, m, members);
  };
  EXPECT_TRUE(in(tcp("10.0.9.9", "10.0.1.5", 22)).allowed);
  EXPECT_FALSE(in(tcp("10.1.9.9", "10.0.1.5", 22)).allowed);
  EXPECT_TRUE(in(tcp("10.0.3.3", "10.0.1.5", 5432)).allowed);
  EXPECT_FALSE(in(tcp("10.0.3.4", "10.0.1.5", 5432)).allowed);
  EXPECT_FALSE(in(ping("10.0.3.3", "10.0.1.5")).allowed);
  // 80 from everywhere with everything allowed out: untracked. 22 from a CIDR: tracked.
  EXPECT_TRUE(in(tcp("1.2.3.4", "10.0.1.5", 80)).untracked);
  EXPECT_FALSE(in(tcp("10.0.9.9", "10.0.1.5", 22)).untracked);
  // Egress everywhere, but ingress has no all-ports everywhere rule: tracked.
  const auto out = policy.evaluate(Direction::egress, tcp("10.0.1.5", "1.2.3.4", 443), members);
  EXPECT_TRUE(out.allowed);
  EXPECT_FALSE(out.untracked);
  EXPECT_EQ(policy.rule_count(Direction::ingress), 3u);
}

TEST(CompiledTraffic, IcmpTypeAndCode) {
  const auto echo_only = CompiledTraffic::from({1, {}, 8, -1});
  EXPECT_TRUE(echo_only.matches(ping("10.0.0.1", "10.0.0.2")));
  const auto reply_only = CompiledTraffic::from({1, {}, 0, 0});
  EXPECT_FALSE(reply_only.matches(ping("10.0.0.1", "10.0.0.2")));
  EXPECT_TRUE(CompiledTraffic::from({}).matches(ping("10.0.0.1", "10.0.0.2")));
  EXPECT_FALSE(CompiledTraffic::from({17, {}, -1, -1}).matches(tcp("10.0.0.1", "10.0.0.2", 53)));
}

// TCP and UDP packets are checked against per-protocol lists (PortRule) instead of every rule;
// the answers must be those of the scan of every rule in order: random rules of every
// protocol (all, TCP, UDP, ICMP, GRE; empty and inverted port ranges; member sets) against
// random TCP, UDP and ICMP packets, both directions.
TEST(PortRuleList, SecurityGroupsAndNetworkAclsAnswerAsTheScanOfEveryRule) {
  std::mt19937 random(15);
  const auto address = [&] {
    return packet::IpAddress::v4(0x0a000000 | (random() % 8) << 8 | random() % 4);
  };
  const int protocols[] = {-1, 6, 17, 1, 47, 6, 17};
  // Ports above 32767 too: the check is 16-bit unsigned.
  const uint16_t ports[] = {0, 1, 2, 3, 4, 5, 40000, 40001, 65535};
  const auto port = [&] { return ports[random() % std::size(ports)]; };
  const auto traffic = [&] {
    const int protocol = protocols[random() % std::size(protocols)];
    uint16_t first = port(), last = port();
    if (random() % 4 == 0) first = 0, last = 65535;
    return program::TrafficMatch{protocol, {first, last}, -1, -1};
  };
  const auto cidr = [&] {
    const uint8_t lengths[] = {0, 8, 16, 24, 30, 32};
    return program::Cidr::make(address(), lengths[random() % std::size(lengths)]);
  };
  const auto packet_meta = [&] {
    const packet::IpSpec ip{address(), address()};
    const uint16_t sport = port(), dport = port();
    switch (random() % 3) {
      case 0:
        return packet::parse_ip(packet::build_tcp(ip, {sport, dport}));
      case 1:
        return packet::parse_ip(packet::build_udp(ip, {sport, dport}, {}));
      default:
        return packet::parse_ip(packet::build_icmp_echo(ip, {true, 1, 1}));
    }
  };
  const std::vector<MemberSet> members = {
      {packet::IpAddress::v4(0x0a000001), packet::IpAddress::v4(0x0a000302)},
      {packet::IpAddress::v4(0x0a000100)}};
  for (int round = 0; round < 300; ++round) {
    SecurityGroupPolicy policy;
    std::vector<CompiledSecurityGroupRule> rules[2];
    program::NetworkAcl acl{1, "acl", 7, {}};
    const int n = int(random() % 30);  // the ports of eight rules are checked at once
    for (int i = 0; i < n; ++i) {
      for (int d = 0; d < 2; ++d) {
        CompiledSecurityGroupRule r;
        r.traffic = CompiledTraffic::from(traffic());
        r.peer = random() % 6 == 0 ? program::Cidr::make(address(), 0) : cidr();
        r.member_set = random() % 5 == 0 ? int32_t(random() % 2) : -1;
        r.peer_everywhere = r.member_set < 0 && r.peer.prefix_length == 0;
        r.rule_index = uint16_t(rules[d].size());
        r.peer_prefix = Prefix::from(r.peer);
        rules[d].push_back(r);
        policy.add(d == 0 ? Direction::ingress : Direction::egress, r);
      }
      acl.entries.push_back({uint16_t(100 + random() % 50 * 2 + i % 2),
                             random() % 2 == 0 ? Direction::ingress : Direction::egress, traffic(),
                             cidr(), random() % 2 == 0 ? AclAction::allow : AclAction::deny});
    }
    policy.finish();
    const NetworkAclPolicy nacl(acl);
    for (int probe = 0; probe < 40; ++probe) {
      const auto meta = packet_meta();
      for (int d = 0; d < 2; ++d) {
        const Direction direction = d == 0 ? Direction::ingress : Direction::egress;
        const auto& peer = d == 0 ? meta.tuple.src : meta.tuple.dst;
        // Security groups: any rule allows; the first that matches is named.
        const CompiledSecurityGroupRule* first = nullptr;
        bool everywhere = false;
        for (const auto& r : rules[d]) {
          const bool peer_in = r.member_set >= 0
                                   ? std::binary_search(members[size_t(r.member_set)].begin(),
                                                        members[size_t(r.member_set)].end(), peer)
                                   : r.peer.contains(peer);
          if (!r.traffic.matches(meta) || !peer_in) continue;
          if (first == nullptr) first = &r;
          everywhere |= r.peer_everywhere;
        }
        const auto got = policy.evaluate(direction, meta, members);
        ASSERT_EQ(got.allowed, first != nullptr) << round << " " << probe;
        if (first != nullptr) {
          ASSERT_EQ(got.rule->rule_index, first->rule_index) << round << " " << probe;
          const uint8_t protocol = meta.tuple.protocol;
          bool open_back = false;  // the other direction: everywhere, all ports, this protocol
          for (const auto& r : rules[1 - d]) {
            open_back |= r.peer_everywhere && r.traffic.port_first == 0 &&
                         r.traffic.port_last == 65535 &&
                         (r.traffic.protocol == -1 || r.traffic.protocol == protocol);
          }
          const bool port_protocol = protocol == packet::kProtoTcp || protocol == packet::kProtoUdp;
          ASSERT_EQ(got.untracked, everywhere && port_protocol && open_back)
              << round << " " << probe;
        }
        // Network ACL: the first entry by rule number that matches, else *.
        std::vector<program::NetworkAclEntry> entries;
        for (const auto& e : acl.entries) {
          if (e.direction == direction) entries.push_back(e);
        }
        std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
          return a.rule_number < b.rule_number;
        });
        const program::NetworkAclEntry* hit = nullptr;
        for (const auto& e : entries) {
          if (CompiledTraffic::from(e.traffic).matches(meta) && e.cidr.contains(peer)) {
            hit = &e;
            break;
          }
        }
        const auto decision = nacl.evaluate(direction, meta);
        ASSERT_EQ(decision.entry == nullptr, hit == nullptr) << round << " " << probe;
        if (hit != nullptr) {
          ASSERT_EQ(decision.entry->rule_number, hit->rule_number) << round << " " << probe;
          ASSERT_EQ(decision.allowed, hit->action == AclAction::allow) << round << " " << probe;
        }
      }
    }
  }
}

}  // namespace
}  // namespace openvpc::dataplane
