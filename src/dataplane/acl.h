// acl.h — security groups and network ACLs compiled for matching.
//
// SecurityGroupPolicy: all groups of one ENI merged into one allow-list per direction
// (REFERENCE.md: groups are allow-only and merged). A rule's peer is a CIDR or a resolved
// member set (a rule naming another group matches that group's members' addresses). It also
// answers whether an allowed TCP/UDP flow is *untracked*: allowed by an everywhere (/0) rule
// while the opposite direction has an everywhere, all-ports rule for the protocol.
//
// NetworkAclPolicy: ordered entries per direction, lowest rule number first, first match
// wins, and the implicit `*` rule denies. Stateless.
//
// Matching fields: the peer address is the source for ingress and the destination for
// egress; TCP/UDP rules match the destination port; ICMP rules match type and code.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/port_rules.h"
#include "dataplane/prefix.h"
#include "packet/parser.h"
#include "program/program.h"

namespace openvpc::dataplane {

struct CompiledTraffic {
  int16_t protocol = program::kAllProtocols;
  uint16_t port_first = 0;
  uint16_t port_last = 65535;
  int16_t icmp_type = program::kAnyIcmpValue;
  int16_t icmp_code = program::kAnyIcmpValue;

  static CompiledTraffic from(const program::TrafficMatch& match);
  // Inline: the slow path calls it once per rule.
  bool matches(const packet::PacketMeta& meta) const {
    if (protocol == program::kAllProtocols) return true;
    if (protocol != meta.tuple.protocol) return false;
    switch (meta.tuple.protocol) {
      case packet::kProtoTcp:
      case packet::kProtoUdp:
        return meta.tuple.dst_port >= port_first && meta.tuple.dst_port <= port_last;
      case packet::kProtoIcmp:
      case packet::kProtoIcmpv6:
        return (icmp_type < 0 || icmp_type == meta.icmp.type) &&
               (icmp_code < 0 || icmp_code == meta.icmp.code);
      default:
        return true;
    }
  }
};

using MemberSet = std::vector<packet::IpAddress>;  // sorted

struct CompiledSecurityGroupRule {
  CompiledTraffic traffic;
  program::Cidr peer;
  Prefix peer_prefix;       // peer, compiled
  int32_t member_set = -1;  // index into CompiledProgram::member_sets, or -1 (use peer)
  bool peer_everywhere = false;
  uint32_t group = 0;  // for trace: the group and the rule's position in it
  uint16_t rule_index = 0;
  std::string description;  // "sg 3 rule 1: ingress tcp 22 from 10.0.0.0/16"
};

struct SecurityGroupDecision {
  bool allowed = false;
  bool untracked = false;
  const CompiledSecurityGroupRule* rule = nullptr;  // the first rule that matched
};

class SecurityGroupPolicy {
 public:
  void add(program::Direction direction, CompiledSecurityGroupRule rule);
  // Call once after every add(): computes the untracked-flow condition and the TCP/UDP lists.
  void finish();
  SecurityGroupDecision evaluate(program::Direction direction, const packet::PacketMeta& meta,
                                 std::span<const MemberSet> member_sets) const;
  size_t rule_count(program::Direction direction) const { return rules(direction).size(); }

 private:
  const std::vector<CompiledSecurityGroupRule>& rules(program::Direction d) const {
    return d == program::Direction::ingress ? ingress_ : egress_;
  }
  std::vector<CompiledSecurityGroupRule> ingress_;
  std::vector<CompiledSecurityGroupRule> egress_;
  // [direction][0: tcp, 1: udp]: the rules a packet of the protocol can match (PortRule).
  PortRuleList port_rules_[2][2];
  // [direction][0: tcp, 1: udp]: direction has an everywhere all-ports rule for the protocol.
  bool all_open_[2][2] = {};
};

struct CompiledAclEntry {
  CompiledTraffic traffic;
  program::Cidr cidr;
  Prefix prefix;  // cidr, compiled
  program::AclAction action = program::AclAction::deny;
  uint16_t rule_number = 0;
};

struct NetworkAclDecision {
  bool allowed = false;
  const CompiledAclEntry* entry = nullptr;  // nullptr: the `*` rule
};

class NetworkAclPolicy {
 public:
  explicit NetworkAclPolicy(const program::NetworkAcl& acl);
  NetworkAclDecision evaluate(program::Direction direction, const packet::PacketMeta& meta) const;
  uint32_t id() const { return id_; }
  std::string describe(program::Direction direction, const NetworkAclDecision& decision) const;

 private:
  uint32_t id_ = 0;
  std::vector<CompiledAclEntry> ingress_;
  std::vector<CompiledAclEntry> egress_;
  // [direction][0: tcp, 1: udp]: the entries a packet of the protocol can match (PortRule).
  PortRuleList port_entries_[2][2];
};

}  // namespace openvpc::dataplane
