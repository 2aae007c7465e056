#include "dataplane/acl.h"

#include <algorithm>

namespace openvpc::dataplane {

using program::Direction;

CompiledTraffic CompiledTraffic::from(const program::TrafficMatch& match) {
  CompiledTraffic t;
  t.protocol = int16_t(match.protocol);
  t.port_first = match.ports.first;
  t.port_last = match.ports.last;
  t.icmp_type = int16_t(match.icmp_type);
  t.icmp_code = int16_t(match.icmp_code);
  return t;
}

void SecurityGroupPolicy::add(Direction direction, CompiledSecurityGroupRule rule) {
  rule.peer_prefix = Prefix::from(rule.peer);
  (direction == Direction::ingress ? ingress_ : egress_).push_back(std::move(rule));
}

void SecurityGroupPolicy::finish() {
  for (int d = 0; d < 2; ++d) {
    for (const auto& rule : d == 0 ? ingress_ : egress_) {
      const bool all_ports = rule.traffic.port_first == 0 && rule.traffic.port_last == 65535;
      if (!rule.peer_everywhere || !all_ports) continue;
      if (rule.traffic.protocol == program::kAllProtocols ||
          rule.traffic.protocol == packet::kProtoTcp) {
        all_open_[d][0] = true;
      }
      if (rule.traffic.protocol == program::kAllProtocols ||
          rule.traffic.protocol == packet::kProtoUdp) {
        all_open_[d][1] = true;
      }
    }
  }
}

SecurityGroupDecision SecurityGroupPolicy::evaluate(Direction direction,
                                                    const packet::PacketMeta& meta,
                                                    std::span<const MemberSet> member_sets) const {
  SecurityGroupDecision decision;
  const packet::IpAddress& peer = direction == Direction::ingress ? meta.tuple.src : meta.tuple.dst;
  bool everywhere_matched = false;
  for (const auto& rule : rules(direction)) {
    if (!rule.traffic.matches(meta)) continue;
    if (rule.member_set >= 0) {
      const MemberSet& members = member_sets[size_t(rule.member_set)];
      if (!std::binary_search(members.begin(), members.end(), peer)) continue;
    } else if (!rule.peer_prefix.contains(peer)) {
      continue;
    }
    if (!decision.allowed) decision.rule = &rule;
    decision.allowed = true;
    everywhere_matched |= rule.peer_everywhere;
    if (everywhere_matched) break;  // nothing later can change the decision
  }
  const int protocol_slot = meta.tuple.protocol == packet::kProtoTcp   ? 0
                            : meta.tuple.protocol == packet::kProtoUdp ? 1
                                                                       : -1;
  if (decision.allowed && everywhere_matched && protocol_slot >= 0) {
    const int opposite = direction == Direction::ingress ? 1 : 0;
    decision.untracked = all_open_[opposite][protocol_slot];
  }
  return decision;
}

NetworkAclPolicy::NetworkAclPolicy(const program::NetworkAcl& acl) : id_(acl.id) {
  for (const auto& e : acl.entries) {
    CompiledAclEntry entry{CompiledTraffic::from(e.traffic), e.cidr, Prefix::from(e.cidr), e.action,
                           e.rule_number};
    (e.direction == Direction::ingress ? ingress_ : egress_).push_back(entry);
  }
  auto by_number = [](const CompiledAclEntry& a, const CompiledAclEntry& b) {
    return a.rule_number < b.rule_number;
  };
  std::stable_sort(ingress_.begin(), ingress_.end(), by_number);
  std::stable_sort(egress_.begin(), egress_.end(), by_number);
}

NetworkAclDecision NetworkAclPolicy::evaluate(Direction direction,
                                              const packet::PacketMeta& meta) const {
  const auto& entries = direction == Direction::ingress ? ingress_ : egress_;
  const packet::IpAddress& peer = direction == Direction::ingress ? meta.tuple.src : meta.tuple.dst;
  for (const auto& entry : entries) {
    if (entry.traffic.matches(meta) && entry.prefix.contains(peer)) {
      return {entry.action == program::AclAction::allow, &entry};
    }
  }
  return {false, nullptr};
}

std::string NetworkAclPolicy::describe(Direction direction,
                                       const NetworkAclDecision& decision) const {
  std::string text = "network-acl " + std::to_string(id_) + " " +
                     std::string(program::to_string(direction)) + " rule ";
  if (decision.entry == nullptr) return text + "* deny";
  const auto& e = *decision.entry;
  program::TrafficMatch match{e.traffic.protocol,
                              {e.traffic.port_first, e.traffic.port_last},
                              e.traffic.icmp_type,
                              e.traffic.icmp_code};
  return text + std::to_string(e.rule_number) + " " + std::string(program::to_string(e.action)) +
         " " + program::to_string(match) + " " + e.cidr.to_string();
}

}  // namespace openvpc::dataplane
