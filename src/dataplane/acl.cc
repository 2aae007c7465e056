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

namespace {

// Whether `traffic` can match a packet of protocol (kProtoTcp or kProtoUdp); if so, sets the
// rule's ports (all of them for an all-protocols rule).
bool for_protocol(const CompiledTraffic& traffic, uint8_t protocol, PortRule& rule) {
  if (traffic.protocol == program::kAllProtocols) {
    rule.port_first = 0, rule.port_span = 65535;
    return true;
  }
  if (traffic.protocol != protocol || traffic.port_first > traffic.port_last) return false;
  rule.port_first = traffic.port_first;
  rule.port_span = uint16_t(traffic.port_last - traffic.port_first);
  return true;
}

}  // namespace

void SecurityGroupPolicy::add(Direction direction, CompiledSecurityGroupRule rule) {
  rule.peer_prefix = Prefix::from(rule.peer);
  (direction == Direction::ingress ? ingress_ : egress_).push_back(std::move(rule));
}

void SecurityGroupPolicy::finish() {
  for (int d = 0; d < 2; ++d) {
    const auto& rules = d == 0 ? ingress_ : egress_;
    for (int p = 0; p < 2; ++p) {
      port_rules_[d][p].clear();
      for (uint32_t i = 0; i < rules.size(); ++i) {
        PortRule rule;
        if (!for_protocol(rules[i].traffic, p == 0 ? packet::kProtoTcp : packet::kProtoUdp, rule)) {
          continue;
        }
        rule.prefix = rules[i].peer_prefix;
        rule.member_set = rules[i].member_set;
        rule.index = i;
        port_rules_[d][p].push_back(rule);
      }
    }
  }
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
  const auto& all = rules(direction);
  const auto matched = [&](const CompiledSecurityGroupRule& rule) {
    if (!decision.allowed) decision.rule = &rule;
    decision.allowed = true;
    everywhere_matched |= rule.peer_everywhere;
    return everywhere_matched;  // nothing later can change the decision
  };
  const int protocol_slot = port_protocol_slot(meta.tuple.protocol);
  if (protocol_slot >= 0) {
    port_rules_[direction == Direction::ingress ? 0 : 1][protocol_slot].visit_port_matches(
        meta.tuple.dst_port, [&](const PortRule& rule) {
          if (rule.member_set >= 0) {
            const MemberSet& members = member_sets[size_t(rule.member_set)];
            if (!std::binary_search(members.begin(), members.end(), peer)) return false;
          } else if (!rule.prefix.contains(peer)) {
            return false;
          }
          return matched(all[rule.index]);
        });
  } else {
    for (const auto& rule : all) {
      if (!rule.traffic.matches(meta)) continue;
      if (rule.member_set >= 0) {
        const MemberSet& members = member_sets[size_t(rule.member_set)];
        if (!std::binary_search(members.begin(), members.end(), peer)) continue;
      } else if (!rule.peer_prefix.contains(peer)) {
        continue;
      }
      if (matched(rule)) break;
    }
  }
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
  for (int d = 0; d < 2; ++d) {
    const auto& entries = d == 0 ? ingress_ : egress_;
    for (int p = 0; p < 2; ++p) {
      for (uint32_t i = 0; i < entries.size(); ++i) {
        PortRule rule;
        if (!for_protocol(entries[i].traffic, p == 0 ? packet::kProtoTcp : packet::kProtoUdp,
                          rule)) {
          continue;
        }
        rule.prefix = entries[i].prefix;
        rule.index = i;
        port_entries_[d][p].push_back(rule);
      }
    }
  }
}

NetworkAclDecision NetworkAclPolicy::evaluate(Direction direction,
                                              const packet::PacketMeta& meta) const {
  const auto& entries = direction == Direction::ingress ? ingress_ : egress_;
  const packet::IpAddress& peer = direction == Direction::ingress ? meta.tuple.src : meta.tuple.dst;
  const int protocol_slot = port_protocol_slot(meta.tuple.protocol);
  if (protocol_slot >= 0) {
    const CompiledAclEntry* hit = nullptr;
    port_entries_[direction == Direction::ingress ? 0 : 1][protocol_slot].visit_port_matches(
        meta.tuple.dst_port, [&](const PortRule& rule) {
          if (!rule.prefix.contains(peer)) return false;
          hit = &entries[rule.index];
          return true;
        });
    if (hit == nullptr) return {false, nullptr};
    return {hit->action == program::AclAction::allow, hit};
  }
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
