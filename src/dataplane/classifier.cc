#include "dataplane/classifier.h"

#include "dataplane/actions.h"
#include "dataplane/conntrack/icmp_tracker.h"
#include "dataplane/nat_shard.h"
#include "packet/dhcp.h"
#include "packet/geneve.h"

namespace openvpc::dataplane {

using program::Direction;
using program::format_address;

namespace {

std::string eni_text(uint32_t id) {
  return "eni " + std::to_string(id);
}

// A DHCP client before it has an address: UDP 0.0.0.0:68 -> :67 (RFC 2131 4.1).
bool is_dhcp_from_unconfigured_client(const packet::PacketMeta& meta) {
  const auto& t = meta.tuple;
  return t.protocol == packet::kProtoUdp && t.src_port == packet::kDhcpClientPort &&
         t.dst_port == packet::kDhcpServerPort && t.src.is_v4() && t.src.v4_host_order() == 0;
}

const char* stage_name(const char* kind, Direction direction) {
  const bool in = direction == Direction::ingress;
  if (kind[0] == 's') return in ? "sg-ingress" : "sg-egress";
  return in ? "nacl-ingress" : "nacl-egress";
}

}  // namespace

Classification Classifier::drop(DropReason reason) {
  Classification result;
  result.action.verdict = Verdict::drop;
  result.action.drop_reason = reason;
  return result;
}

GroupStage Classifier::security_groups(const LocalEni& eni, Direction direction,
                                       const packet::PacketMeta& meta) {
  GroupStage stage;
  stage.local_index = int32_t(&eni - program_.local_enis.data());
  stage.denied = direction == Direction::ingress ? DropReason::security_group_ingress_denied
                                                 : DropReason::security_group_egress_denied;
  const char* name = stage_name("sg", direction);
  if (conntrack::is_icmp_error(meta)) {
    // REFERENCE.md: an ICMP error belongs to the flow of the header it quotes. It passes iff
    // that is a connection of this ENI, whatever the rules say; the connection stage checks
    // the details (direction, TCP sequence) per packet.
    if (connections_.exists(stage.local_index, meta)) {
      note(name, [&] {
        return std::string(eni_text(eni.id) + " ICMP error quoting a tracked connection");
      });
      return stage;
    }
    note(name,
         [&] { return std::string(eni_text(eni.id) + " ICMP error quoting no connection of it"); });
    stage.local_index = -1;
    stage.denied = DropReason::icmp_error_no_connection;
    return stage;
  }
  const auto decision = eni.security.evaluate(direction, meta, program_.member_sets);
  if (decision.allowed) {
    stage.allowed_by_rules = true;
    stage.untracked = decision.untracked;
    note(name, [&] {
      return std::string(eni_text(eni.id) + " allowed by " + decision.rule->description +
                         (decision.untracked ? " (untracked flow)" : " (tracked)"));
    });
    return stage;
  }
  if (connections_.exists(stage.local_index, meta)) {
    note(name, [&] { return std::string(eni_text(eni.id) + " allowed by a tracked connection"); });
    return stage;
  }
  note(name, [&] {
    return std::string(eni_text(eni.id) + " denied: no rule of its security groups matches");
  });
  stage.local_index = -1;
  return stage;
}

bool Classifier::network_acl(const CompiledSubnet& subnet, Direction direction,
                             const packet::PacketMeta& meta) {
  const NetworkAclPolicy& acl = program_.network_acls[subnet.network_acl];
  const auto decision = acl.evaluate(direction, meta);
  note(stage_name("nacl", direction), [&] {
    return std::string("subnet " + std::to_string(subnet.id) + " " +
                       acl.describe(direction, decision) + " -> " +
                       (decision.allowed ? "allow" : "deny"));
  });
  return decision.allowed;
}

Classification Classifier::outbound(const LocalEni& eni, const packet::PacketMeta& meta) {
  const auto& t = meta.tuple;
  // The source check comes first, also for the local services (a resolver must not answer a
  // forged source); only a DHCP client without an address yet sends from 0.0.0.0.
  const bool local_service = program_.is_local_service(eni, t.dst);
  const bool unconfigured_dhcp = local_service && is_dhcp_from_unconfigured_client(meta);
  if (eni.source_dest_check && !eni.owns(t.src) && !unconfigured_dhcp) {
    note("source-check", [&] {
      return std::string(format_address(t.src) + " is not an address of " + eni_text(eni.id));
    });
    return drop(DropReason::source_address_spoofed);
  }
  note("source-check", [&] {
    return std::string(!eni.source_dest_check ? "off for " + eni_text(eni.id)
                       : unconfigured_dhcp
                           ? "DHCP from 0.0.0.0 (an address is being asked for)"
                           : format_address(t.src) + " belongs to " + eni_text(eni.id));
  });
  if (local_service) {
    note("local-services", [&] {
      return std::string(format_address(t.dst) + " is served by the router (never filtered)");
    });
    Classification result;
    result.action.verdict = Verdict::to_local_services;
    return result;
  }
  const CompiledSubnet& subnet = program_.subnets[eni.subnet];
  if (subnet.prefix.contains(t.dst)) {
    note("nacl-egress", [&] {
      return std::string("skipped: destination inside subnet " + std::to_string(subnet.id));
    });
  } else if (!network_acl(subnet, Direction::egress, meta)) {
    return drop(DropReason::nacl_egress_denied);
  }
  const GroupStage groups = security_groups(eni, Direction::egress, meta);
  if (groups.local_index < 0) return drop(groups.denied);
  Classification result;
  result.groups[0] = groups;
  // A reply on a connection a load balancer's node brought in goes back through that node,
  // which restores the listener's address (whatever the route to the client says).
  const uint32_t via = connections_.via(groups.local_index, t);
  const bool routed = via != 0 ? to_load_balancer(eni, via, t.dst, t.dst_port, meta, result)
                               : route_to_target(eni, meta, result);
  if (!routed) {
    const DropReason reason = result.action.drop_reason;
    return drop(reason);
  }
  if ((result.action.gateway_kind == program::RouteTargetKind::nat_gateway ||
       result.action.via_load_balancer) &&
      result.groups[0].untracked) {
    // REFERENCE.md: connections through a NAT gateway or a load balancer are tracked whatever
    // the rules say (their replies must find the way back).
    result.groups[0].untracked = false;
    note("sg-egress",
         [] { return std::string("tracked after all: through a NAT gateway or a load balancer"); });
  }
  return result;
}

bool Classifier::route_to_target(const LocalEni& source, const packet::PacketMeta& meta,
                                 Classification& result) {
  const CompiledSubnet& subnet = program_.subnets[source.subnet];
  const RouteLookup& table = program_.route_tables[subnet.route_table];
  const program::Route* route = table.lookup(meta.tuple.dst);
  if (route == nullptr) {
    note("route", [&] {
      return std::string("route-table " + std::to_string(table.id()) + " has no route to " +
                         format_address(meta.tuple.dst));
    });
    result.action.drop_reason = DropReason::no_route;
    return false;
  }
  note("route", [&] {
    return std::string("route-table " + std::to_string(table.id()) + " " +
                       route->destination.to_string() + " -> " +
                       std::string(program::to_string(route->target)) +
                       (route->target_id ? " " + std::to_string(route->target_id) : ""));
  });
  switch (route->target) {
    case program::RouteTargetKind::local: {
      const program::Mapping* mapping = program_.find_mapping(source.vpc, meta.tuple.dst);
      if (mapping != nullptr && mapping->load_balancer != 0) {
        return to_load_balancer(source, mapping->eni, meta.tuple.src, meta.tuple.src_port, meta,
                                result);
      }
      if (mapping != nullptr && mapping->nat_gateway != 0) {
        const CompiledNatGateway* gateway = program_.find_nat_gateway(mapping->nat_gateway);
        if (gateway != nullptr && !gateway->is_public) {
          return to_nat_address(source, *gateway, meta, result);
        }
      }
      if (mapping == nullptr || mapping->nat_gateway != 0) {
        note("mapping", [&] {
          return mapping == nullptr
                     ? std::string("no mapping for " + format_address(meta.tuple.dst) + " in vpc " +
                                   std::to_string(source.vpc))
                     : std::string(format_address(meta.tuple.dst) +
                                   " is an address of nat gateway " +
                                   std::to_string(mapping->nat_gateway) +
                                   " (reached only as a route target)");
        });
        result.action.drop_reason = DropReason::no_mapping;
        return false;
      }
      return to_eni(source, mapping->eni, meta, result);
    }
    case program::RouteTargetKind::eni:
      return to_eni(source, route->target_id, meta, result);
    case program::RouteTargetKind::blackhole:
      result.action.drop_reason = DropReason::blackhole_route;
      return false;
    case program::RouteTargetKind::internet_gateway:
      return to_edge(source, meta, result);
    case program::RouteTargetKind::nat_gateway:
      return to_nat_gateway(source, route->target_id, meta, result);
    default:
      // Peering connections and VPN gateways have no next hop yet: a named drop (REJECT in the
      // flow log) rather than a packet logged ACCEPT and lost.
      note("target", [&] {
        return std::string(program::to_string(route->target)) + " " +
               std::to_string(route->target_id) + " has nothing behind it on this router yet";
      });
      result.action.drop_reason = DropReason::gateway_unavailable;
      return false;
  }
}

bool Classifier::to_eni(const LocalEni& source, uint32_t target_eni, const packet::PacketMeta& meta,
                        Classification& result) {
  const EniLocation* location = program_.find_eni(target_eni);
  if (location == nullptr || location->vpc != source.vpc) {
    note("mapping", [&] {
      return std::string(eni_text(target_eni) + " is not known in vpc " +
                         std::to_string(source.vpc));
    });
    result.action.drop_reason = DropReason::no_mapping;
    return false;
  }
  if (location->local_index >= 0) {
    const LocalEni& destination = program_.local_enis[size_t(location->local_index)];
    note("target", [&] { return std::string(eni_text(target_eni) + " is local"); });
    deliver_locally(destination, meta, result);
    return result.action.verdict != Verdict::drop;
  }
  FlowAction& a = result.action;
  a.verdict = Verdict::encapsulate;
  a.decrement_ttl = true;
  a.outer_dst_v4 = location->underlay.v4_host_order();
  a.outer_checksum_base = outer_checksum_base(program_.host_underlay_v4, a.outer_dst_v4);
  a.vni = source.vpc;
  a.source_eni = source.id;
  a.destination_eni = target_eni;
  a.outer_src_port = packet::flow_source_port(meta.tuple);
  a.vpc_flags = source.source_dest_check ? 0 : packet::kVpcFlagSourceCheckOff;
  note("target", [&] {
    return std::string(eni_text(target_eni) + " lives at " + format_address(location->underlay) +
                       ": geneve vni " + std::to_string(a.vni) + " udp source port " +
                       std::to_string(a.outer_src_port));
  });
  return true;
}

// An internet gateway (the compiler keeps this target only while the gateway is attached to the
// VPC) is the edge: the packet goes, encapsulated, to one edge node chosen by flow hash, which
// translates its private source to the public address (DESIGN.md §7). Only a source address
// with a public address leaves; the path MTU is the internet's 1500.
bool Classifier::to_edge(const LocalEni& source, const packet::PacketMeta& meta,
                         Classification& result) {
  const program::Mapping* self = program_.find_mapping(source.vpc, meta.tuple.src);
  if (self == nullptr || !self->public_address) {
    note("edge", [&] {
      return std::string(format_address(meta.tuple.src) + " has no public IPv4 address");
    });
    result.action.drop_reason = DropReason::no_public_ip;
    return false;
  }
  if (program_.edge_nodes_v4.empty()) {
    note("edge", [&] { return std::string("no edge node is up"); });
    result.action.drop_reason = DropReason::no_edge_node;
    return false;
  }
  FlowAction& a = result.action;
  a.verdict = Verdict::encapsulate;
  a.decrement_ttl = true;
  a.outer_src_port = packet::flow_source_port(meta.tuple);
  a.outer_dst_v4 = program_.edge_nodes_v4[a.outer_src_port % program_.edge_nodes_v4.size()];
  a.outer_checksum_base = outer_checksum_base(program_.host_underlay_v4, a.outer_dst_v4);
  a.vni = source.vpc;
  a.source_eni = source.id;
  a.destination_eni = 0;  // the edge
  a.vpc_flags = source.source_dest_check ? 0 : packet::kVpcFlagSourceCheckOff;
  a.mtu = kGatewayMtu;
  note("target", [&] {
    return std::string("internet gateway: edge node " +
                       format_address(packet::IpAddress::v4(a.outer_dst_v4)) + " (public " +
                       format_address(*self->public_address) + ", of " +
                       std::to_string(program_.edge_nodes_v4.size()) + " edge nodes)");
  });
  return true;
}

// A NAT gateway is a shard of hyperplane nodes (nat_shard.h): the packet goes, encapsulated to
// the gateway's ENI, to the node of the slot its flow hash picks (the next live one when that
// node is down), which translates it. A gateway this program does not list (not placed yet),
// of another VPC, or with no node up drops as gateway_unavailable. A public gateway's traffic
// leaves through the internet gateway: the path MTU is the internet's 1500.
bool Classifier::to_nat_gateway(const LocalEni& source, uint32_t gateway_id,
                                const packet::PacketMeta& meta, Classification& result) {
  const CompiledNatGateway* gateway = program_.find_nat_gateway(gateway_id);
  if (gateway == nullptr || gateway->vpc != source.vpc) {
    note("nat-gateway", [&] {
      return std::string("nat gateway " + std::to_string(gateway_id) +
                         (gateway == nullptr ? " is not placed on any node"
                                             : " is in another vpc than " + eni_text(source.id)));
    });
    result.action.drop_reason = DropReason::gateway_unavailable;
    return false;
  }
  const uint16_t flow_port = packet::flow_source_port(meta.tuple);
  const size_t slot = flow_slot(flow_port, gateway->nodes_v4.size());
  const uint32_t node = serving_node(gateway->nodes_v4, slot);
  if (node == 0) {
    note("nat-gateway", [&] {
      return std::string("nat gateway " + std::to_string(gateway_id) + ": none of its " +
                         std::to_string(gateway->nodes_v4.size()) + " shard nodes is up");
    });
    result.action.drop_reason = DropReason::gateway_unavailable;
    return false;
  }
  FlowAction& a = result.action;
  a.verdict = Verdict::encapsulate;
  a.gateway_kind = program::RouteTargetKind::nat_gateway;  // the reply comes from source ENI 0
  a.out_id = gateway_id;
  a.decrement_ttl = true;
  a.outer_src_port = flow_port;
  a.outer_dst_v4 = node;
  a.outer_checksum_base = outer_checksum_base(program_.host_underlay_v4, a.outer_dst_v4);
  a.vni = source.vpc;
  a.source_eni = source.id;
  a.destination_eni = gateway->eni;
  a.vpc_flags = source.source_dest_check ? 0 : packet::kVpcFlagSourceCheckOff;
  a.mtu = gateway->is_public ? kGatewayMtu : 0;
  note("target", [&] {
    const bool moved = node != gateway->nodes_v4[slot];
    return std::string("nat gateway " + std::to_string(gateway_id) + " (" + eni_text(gateway->eni) +
                       "): node " + format_address(packet::IpAddress::v4(node)) + " (slot " +
                       std::to_string(slot) + " of " + std::to_string(gateway->nodes_v4.size()) +
                       (moved ? ", its node down: the next live slot's" : "") + ")");
  });
  return true;
}

// A private NAT gateway's address, inside its VPC: what a destination sends back to a flow the
// gateway translated. The port it carries (nat_reply_port: the destination port, echo id,
// quoted source port) names the slot whose node handed it out (nat_port_slot), the next live
// slot's node when that one is down — as the edge sends a public gateway's replies. Ports
// below 1024 are no node's (nothing else is served at the address): no_mapping.
bool Classifier::to_nat_address(const LocalEni& source, const CompiledNatGateway& gateway,
                                const packet::PacketMeta& meta, Classification& result) {
  const int slot = nat_port_slot(nat_reply_port(meta), int(gateway.nodes_v4.size()));
  const uint32_t node = slot < 0 ? 0 : serving_node(gateway.nodes_v4, size_t(slot));
  if (gateway.vpc != source.vpc || node == 0) {
    note("nat-gateway", [&] {
      return std::string("nat gateway " + std::to_string(gateway.id) +
                         (gateway.vpc != source.vpc ? " is in another vpc"
                          : slot < 0                ? ": no node hands out that port"
                                                    : ": none of its shard nodes is up"));
    });
    result.action.drop_reason = slot < 0 ? DropReason::no_mapping : DropReason::gateway_unavailable;
    return false;
  }
  FlowAction& a = result.action;
  a.verdict = Verdict::encapsulate;
  a.out_id = gateway.id;
  a.decrement_ttl = true;
  a.outer_src_port = packet::flow_source_port(meta.tuple);
  a.outer_dst_v4 = node;
  a.outer_checksum_base = outer_checksum_base(program_.host_underlay_v4, a.outer_dst_v4);
  a.vni = source.vpc;
  a.source_eni = source.id;
  a.destination_eni = gateway.eni;
  a.vpc_flags = source.source_dest_check ? 0 : packet::kVpcFlagSourceCheckOff;
  note("target", [&] {
    return std::string(
        "private nat gateway " + std::to_string(gateway.id) + " (" + eni_text(gateway.eni) +
        "): node " + format_address(packet::IpAddress::v4(node)) + " (slot " +
        std::to_string(slot) + ", owner of port " + std::to_string(nat_reply_port(meta)) + ")");
  });
  return true;
}

// A network load balancer's address (a client's packet) or a connection it brought in (the
// target's reply): to the load balancer's interface `interface_eni` at the node of the slot of
// the client's address and port (nat_shard.h load_balancer_slot: the client's router, the
// target's router and the nodes agree on it without sharing state), the next live slot's when
// that node is down. Not placed, of another VPC, no node up: gateway_unavailable.
bool Classifier::to_load_balancer(const LocalEni& source, uint32_t interface_eni,
                                  const packet::IpAddress& client, uint16_t client_port,
                                  const packet::PacketMeta& meta, Classification& result) {
  const CompiledLoadBalancer* lb = program_.find_load_balancer_interface(interface_eni);
  if (lb == nullptr || lb->vpc != source.vpc || !client.is_v4()) {
    note("load-balancer", [&] {
      return std::string(eni_text(interface_eni) +
                         (lb == nullptr           ? " is no interface of a placed load balancer"
                          : lb->vpc != source.vpc ? " is in another vpc"
                                                  : ": load balancers serve IPv4 only"));
    });
    result.action.drop_reason = DropReason::gateway_unavailable;
    return false;
  }
  const size_t slot = load_balancer_slot(client.v4_host_order(), client_port, lb->nodes_v4.size());
  const uint32_t node = serving_node(lb->nodes_v4, slot);
  if (node == 0) {
    note("load-balancer", [&] {
      return std::string("load balancer " + std::to_string(lb->id) + ": none of its " +
                         std::to_string(lb->nodes_v4.size()) + " shard nodes is up");
    });
    result.action.drop_reason = DropReason::gateway_unavailable;
    return false;
  }
  FlowAction& a = result.action;
  a.verdict = Verdict::encapsulate;
  a.via_load_balancer = true;
  a.out_id = lb->id;
  a.decrement_ttl = true;
  a.outer_src_port = packet::flow_source_port(meta.tuple);
  a.outer_dst_v4 = node;
  a.outer_checksum_base = outer_checksum_base(program_.host_underlay_v4, a.outer_dst_v4);
  a.vni = source.vpc;
  a.source_eni = source.id;
  a.destination_eni = interface_eni;
  a.vpc_flags = source.source_dest_check ? 0 : packet::kVpcFlagSourceCheckOff;
  note("target", [&] {
    const bool moved = node != lb->nodes_v4[slot];
    return std::string("load balancer " + std::to_string(lb->id) + " (" + eni_text(interface_eni) +
                       "): node " + format_address(packet::IpAddress::v4(node)) + " (slot " +
                       std::to_string(slot) + " of " + std::to_string(lb->nodes_v4.size()) +
                       (moved ? ", its node down: the next live slot's" : "") + ")");
  });
  return true;
}

void Classifier::deliver_locally(const LocalEni& destination, const packet::PacketMeta& meta,
                                 Classification& result) {
  const CompiledSubnet& subnet = program_.subnets[destination.subnet];
  if (subnet.prefix.contains(meta.tuple.src)) {
    note("nacl-ingress",
         [&] { return std::string("skipped: source inside subnet " + std::to_string(subnet.id)); });
  } else if (!network_acl(subnet, Direction::ingress, meta)) {
    result.action.verdict = Verdict::drop;
    result.action.drop_reason = DropReason::nacl_ingress_denied;
    return;
  }
  const GroupStage groups = security_groups(destination, Direction::ingress, meta);
  if (groups.local_index < 0) {
    result.action.verdict = Verdict::drop;
    result.action.drop_reason = groups.denied;
    return;
  }
  result.groups[1] = groups;
  FlowAction& a = result.action;
  a.verdict = Verdict::deliver;
  a.decrement_ttl = true;
  a.out_id = destination.id;
  a.destination_index = program_.find_local_eni(destination.id);
  a.dst_mac = destination.mac;
  a.src_mac = program_.router_mac;
}

DropReason Classifier::isolation_rule(const packet::PacketMeta& meta,
                                      const LocalEni*& destination) {
  const packet::GeneveInfo& g = meta.geneve;
  if (!g.has_vpc_option) return DropReason::geneve_missing_vpc_option;
  if (program_.find_vpc(g.vni) == nullptr) return DropReason::geneve_unknown_vni;
  const int32_t index = program_.find_local_eni(g.destination_eni);
  if (index < 0) return DropReason::geneve_destination_eni_not_local;
  destination = &program_.local_enis[size_t(index)];
  if (destination->vpc != g.vni) return DropReason::geneve_destination_eni_other_vpc;
  if (destination->source_dest_check && !destination->owns(meta.tuple.dst)) {
    return DropReason::geneve_destination_address_mismatch;
  }
  // From an edge node (the internet gateway) or a node of one of the VPC's NAT gateways: any
  // inner source (an internet address), but only from a live node of that fleet.
  if (g.source_eni == 0 && (g.vpc_flags & packet::kVpcFlagFromHyperplane) != 0) {
    return program_.is_fleet_node(g.vni, g.outer_src) ? DropReason::none
                                                      : DropReason::geneve_untrusted_node;
  }
  // From a node of a network load balancer of the VPC, as its interface: any inner source
  // (the client's address is preserved), but only from a live node of that load balancer. From
  // a node of a private NAT gateway as its interface (a translated flow inside the VPC): only
  // from a live node of that gateway.
  if ((g.vpc_flags & packet::kVpcFlagFromHyperplane) != 0) {
    if (const CompiledNatGateway* nat = program_.find_nat_gateway_interface(g.source_eni)) {
      return nat->vpc == g.vni && !nat->is_public &&
                     CompiledProgram::is_nat_gateway_node(*nat, g.outer_src)
                 ? DropReason::none
                 : DropReason::geneve_untrusted_node;
    }
    if (const CompiledLoadBalancer* lb = program_.find_load_balancer_interface(g.source_eni)) {
      return lb->vpc == g.vni && CompiledProgram::is_load_balancer_node(*lb, g.outer_src)
                 ? DropReason::none
                 : DropReason::geneve_untrusted_node;
    }
  }
  const EniLocation* source = program_.find_eni(g.source_eni);
  if (source == nullptr) return DropReason::geneve_source_eni_unknown;
  if (source->vpc != g.vni) return DropReason::geneve_source_eni_other_vpc;
  if (!same_address(source->underlay, g.outer_src)) {
    return DropReason::geneve_outer_source_mismatch;
  }
  if (source->source_dest_check) {
    const program::Mapping* mapping = program_.find_mapping(g.vni, meta.tuple.src);
    if (mapping == nullptr || mapping->eni != g.source_eni) {
      return DropReason::geneve_inner_source_mismatch;
    }
  }
  return DropReason::none;
}

Classification Classifier::inbound(const packet::PacketMeta& meta) {
  const packet::GeneveInfo& g = meta.geneve;
  const LocalEni* destination = nullptr;
  const DropReason isolation = isolation_rule(meta, destination);
  if (isolation != DropReason::none) {
    note("isolation", [&] {
      return std::string(std::string("refused: ") + std::string(to_string(isolation)) + " (vni " +
                         std::to_string(g.vni) + ", " + eni_text(g.source_eni) + " at " +
                         format_address(g.outer_src) + " -> " + eni_text(g.destination_eni) + ")");
    });
    return drop(isolation);
  }
  note("isolation", [&] {
    return std::string("vni " + std::to_string(g.vni) + ": " + eni_text(g.source_eni) + " at " +
                       format_address(g.outer_src) + " sends " + format_address(meta.tuple.src) +
                       " to local " + eni_text(g.destination_eni));
  });
  Classification result;
  const CompiledSubnet& subnet = program_.subnets[destination->subnet];
  if (subnet.prefix.contains(meta.tuple.src)) {
    note("nacl-ingress",
         [&] { return std::string("skipped: source inside subnet " + std::to_string(subnet.id)); });
  } else if (!network_acl(subnet, Direction::ingress, meta)) {
    return drop(DropReason::nacl_ingress_denied);
  }
  GroupStage groups = security_groups(*destination, Direction::ingress, meta);
  if (groups.local_index < 0) return drop(groups.denied);
  if ((g.vpc_flags & packet::kVpcFlagFromHyperplane) != 0 && g.source_eni != 0 &&
      program_.find_load_balancer_interface(g.source_eni) != nullptr) {
    // Through a load balancer: the connection remembers it (its replies go back to the node)
    // and is tracked whatever the rules say.
    groups.via = g.source_eni;
    groups.untracked = false;
    note("conntrack", [&] {
      return std::string("through load balancer interface " + eni_text(g.source_eni) +
                         ": replies go back to its node");
    });
  }
  result.groups[0] = groups;
  FlowAction& a = result.action;
  a.verdict = Verdict::deliver;
  a.out_id = destination->id;
  a.destination_index = program_.find_local_eni(destination->id);
  a.dst_mac = destination->mac;
  a.src_mac = program_.router_mac;
  return result;
}

}  // namespace openvpc::dataplane
