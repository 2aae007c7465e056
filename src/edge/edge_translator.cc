#include "edge/edge_translator.h"

#include <array>
#include <cstring>

#include "dataplane/actions.h"
#include "dataplane/nat_rewrite.h"
#include "dataplane/nat_shard.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/fast_parse.h"
#include "packet/geneve.h"
#include "packet/headers.h"

namespace openvpc::edge {

namespace {

using dataplane::DropReason;
using dataplane::NatSide;
using dataplane::Packet;
using dataplane::Port;
using dataplane::PortKind;
using dataplane::Verdict;

constexpr size_t kEthernetSize = 14;
constexpr uint16_t kArpRequest = 1;

constexpr std::array<std::string_view, kEdgeEventCount> kEventNames = {
    "translated_out",  "translated_in", "hairpin",
    "icmp_translated", "arp_replied",   "next_hop_learned",
};

bool is_geneve_error(packet::ParseError e) {
  return e >= packet::ParseError::geneve_truncated &&
         e <= packet::ParseError::inner_packet_malformed;
}

// The GSO a packet from a host announces in its VPC option (as the router's pipeline reads it);
// false for a malformed announcement.
bool take_gso(Packet& p, const packet::PacketMeta& meta) {
  const uint16_t flag = meta.geneve.vpc_flags & packet::kVpcFlagsGso;
  if (flag == 0) {
    p.gso_type = dataplane::kGsoNone;
    p.gso_size = 0;
    return true;
  }
  if (flag != packet::kVpcFlagGsoTcpv4 || meta.tuple.protocol != packet::kProtoTcp ||
      meta.geneve.gso_size == 0 || meta.fragment.is_fragment) {
    return false;
  }
  p.gso_type = dataplane::kGsoTcpv4;
  p.gso_size = meta.geneve.gso_size;
  return true;
}

// The largest IP packet a (super-)packet stands for on the wire.
size_t wire_ip_size(const Packet& p, const packet::PacketMeta& meta) {
  if (p.gso_type == dataplane::kGsoNone || meta.payload_offset == 0) return meta.l3_size;
  return std::min<size_t>(meta.l3_size, size_t(meta.payload_offset - meta.l3_offset) + p.gso_size);
}

}  // namespace

std::string_view to_string(EdgeEvent event) {
  const size_t i = size_t(event);
  return i < kEventNames.size() ? kEventNames[i] : "?";
}

void EdgeTranslator::process(dataplane::PacketBatch batch) {
  for (Packet& p : batch) {
    p.out_port = Port{};
    p.drop_reason = DropReason::none;
    if (table_ == nullptr) {
      drop(p, DropReason::unknown_port);
    } else if (p.in_port.kind == PortKind::underlay) {
      from_underlay(p);
    } else if (p.in_port.kind == PortKind::gateway) {
      from_outside(p);
    } else {
      drop(p, DropReason::unknown_port);
    }
    ++counters_.verdicts[size_t(p.verdict)];
  }
}

void EdgeTranslator::drop(Packet& p, DropReason reason) {
  dataplane::drop_packet(p, reason);
  ++counters_.drops[size_t(reason)];
}

void EdgeTranslator::from_underlay(Packet& p) {
  const std::span<uint8_t> bytes(p.data, p.size);
  const packet::PacketMeta meta = packet::parse_ip(bytes);
  p.parse_error = meta.error;
  const packet::GeneveInfo& g = meta.geneve;
  if (!meta.ok()) {
    return drop(p,
                is_geneve_error(meta.error) ? DropReason::geneve_malformed : DropReason::malformed);
  }
  if (!g.present) return drop(p, DropReason::not_geneve);
  if (!g.has_vpc_option) return drop(p, DropReason::geneve_missing_vpc_option);
  if (!table_->serves_vpc(g.vni)) return drop(p, DropReason::geneve_unknown_vni);
  if (meta.ip_version != 4) return drop(p, DropReason::unsupported_ip_version);
  if (!take_gso(p, meta)) return drop(p, DropReason::malformed);
  // The edge's isolation rule: the inner source is a private address with a public one, of the
  // ENI the option names, at the host the outer source is.
  const PublicBinding* self = table_->by_private(g.vni, meta.tuple.src.v4_host_order());
  if (self == nullptr || self->eni != g.source_eni ||
      !table_->sends_for(*self, g.outer_src.v4_host_order())) {
    return drop(p, DropReason::edge_source_mismatch);
  }
  if (!dataplane::decapsulate_ecn(p, meta)) return drop(p, DropReason::ecn_ce_not_ect);
  const bool partial = p.gso_type != dataplane::kGsoNone;
  dataplane::rewrite_ipv4(bytes, meta, NatSide::source, self->public_v4, 0, partial);
  if (dataplane::rewrite_icmp_quote(bytes, meta, NatSide::destination, self->public_v4)) {
    ++counters_.events[size_t(EdgeEvent::icmp_translated)];
  }
  packet::FiveTuple translated = meta.tuple;
  translated.src = packet::IpAddress::v4(self->public_v4);
  const PublicBinding* target = table_->by_public(meta.tuple.dst.v4_host_order());
  if (target == nullptr) return to_outside(p, meta);
  // Hairpin: to another public address of this region (a NAT gateway's goes to the node owning
  // its destination port, as from outside).
  uint32_t host_v4 = 0;
  if (const DropReason why = host_of(*target, meta, translated.src, host_v4);
      why != DropReason::none) {
    return drop(p, why);
  }
  dataplane::rewrite_ipv4(bytes, meta, NatSide::destination, target->private_v4, 0, partial);
  dataplane::rewrite_icmp_quote(bytes, meta, NatSide::source, target->private_v4);
  translated.dst = packet::IpAddress::v4(target->private_v4);
  ++counters_.events[size_t(EdgeEvent::hairpin)];
  to_host(p, meta, *target, host_v4, translated);
}

void EdgeTranslator::to_outside(Packet& p, const packet::PacketMeta& meta) {
  if (!next_hop_known_) return drop(p, DropReason::edge_no_next_hop);
  if (wire_ip_size(p, meta) > config_.outside_mtu) return drop(p, DropReason::mtu_exceeded);
  uint8_t* frame = p.data + meta.l3_offset - kEthernetSize;
  std::memcpy(frame, next_hop_mac_.bytes.data(), 6);
  std::memcpy(frame + 6, config_.outside_mac.bytes.data(), 6);
  packet::store_be16(frame + 12, packet::kEthertypeIpv4);
  const ptrdiff_t shift = frame - p.data;
  p.headroom = uint16_t(p.headroom + shift);
  p.capacity = uint16_t(p.capacity - shift);
  p.data = frame;
  p.size = uint16_t(kEthernetSize + meta.l3_size);
  p.verdict = Verdict::deliver;
  p.out_port = Port{PortKind::gateway, 0};
  counters_.outside_bytes_out += meta.l3_size;
  ++counters_.events[size_t(EdgeEvent::translated_out)];
}

DropReason EdgeTranslator::host_of(const PublicBinding& binding, const packet::PacketMeta& meta,
                                   const packet::IpAddress& client, uint32_t& host_v4) {
  if (binding.shard < 0) {
    host_v4 = binding.host_v4;
    return DropReason::none;
  }
  const NatShard& shard = table_->nat_shards[size_t(binding.shard)];
  if (shard.nodes_v4.empty()) return DropReason::gateway_unavailable;
  if (meta.fragment.is_fragment && meta.fragment.offset != 0) {
    host_v4 = fragments_.node_of(meta);  // where its first fragment went
    return host_v4 == 0 ? DropReason::edge_nat_port_unowned : DropReason::none;
  }
  const int slot =
      shard.by_client
          ? int(dataplane::load_balancer_slot(client.v4_host_order(), meta.tuple.src_port,
                                              shard.nodes_v4.size()))
          : dataplane::nat_port_slot(dataplane::nat_reply_port(meta), int(shard.nodes_v4.size()));
  if (slot < 0) return DropReason::edge_nat_port_unowned;
  host_v4 = dataplane::serving_node(shard.nodes_v4, size_t(slot));
  if (host_v4 == 0) return DropReason::gateway_unavailable;
  if (meta.fragment.is_fragment) fragments_.remember(meta, host_v4);
  return DropReason::none;
}

void EdgeTranslator::to_host(Packet& p, const packet::PacketMeta& meta,
                             const PublicBinding& binding, uint32_t host_v4,
                             packet::FiveTuple translated) {
  dataplane::FlowAction a;
  a.verdict = Verdict::encapsulate;
  a.outer_dst_v4 = host_v4;
  a.outer_src_port = packet::flow_source_port(translated);
  a.outer_checksum_base = dataplane::outer_checksum_base(table_->underlay_v4, host_v4);
  a.vni = binding.vpc;
  a.source_eni = 0;                 // an edge node
  a.destination_eni = binding.eni;  // an instance's interface, or the NAT gateway's
  a.vpc_flags = packet::kVpcFlagFromHyperplane;
  dataplane::encapsulate(a, meta, table_->underlay_v4, p);
  if (p.verdict == Verdict::drop) ++counters_.drops[size_t(p.drop_reason)];
}

void EdgeTranslator::from_outside(Packet& p) {
  const std::span<uint8_t> bytes(p.data, p.size);
  // The common frame (IPv4 without options, TCP/UDP, not a fragment) takes the shortcut, which
  // fills meta exactly as parse_frame() does; anything else gets the full parser.
  packet::PacketMeta meta;
  if (!packet::fast_parse_frame(bytes, meta)) meta = packet::parse_frame(bytes);
  p.parse_error = meta.error;
  if (!meta.ok()) return drop(p, DropReason::malformed);
  if (meta.is_arp()) return answer_arp(p, meta);
  if (meta.ip_version == 0) return drop(p, DropReason::unsupported_ethertype);
  if (meta.ip_version != 4) return drop(p, DropReason::unsupported_ip_version);
  if (p.gso_type != dataplane::kGsoNone &&
      (p.gso_type != dataplane::kGsoTcpv4 || meta.tuple.protocol != packet::kProtoTcp)) {
    return drop(p, DropReason::malformed);
  }
  const PublicBinding* binding = table_->by_public(meta.tuple.dst.v4_host_order());
  if (binding == nullptr) return drop(p, DropReason::edge_unknown_public_address);
  uint32_t host_v4 = 0;
  if (const DropReason why = host_of(*binding, meta, meta.tuple.src, host_v4);
      why != DropReason::none) {
    return drop(p, why);
  }
  if (!dataplane::decrement_ipv4_ttl(p.data + meta.l3_offset)) {
    return drop(p, DropReason::ttl_expired);
  }
  const bool partial = p.gso_type != dataplane::kGsoNone;
  dataplane::rewrite_ipv4(bytes, meta, NatSide::destination, binding->private_v4, 0, partial);
  if (dataplane::rewrite_icmp_quote(bytes, meta, NatSide::source, binding->private_v4)) {
    ++counters_.events[size_t(EdgeEvent::icmp_translated)];
  }
  packet::FiveTuple translated = meta.tuple;
  translated.dst = packet::IpAddress::v4(binding->private_v4);
  counters_.outside_bytes_in += meta.l3_size;
  ++counters_.events[size_t(EdgeEvent::translated_in)];
  to_host(p, meta, *binding, host_v4, translated);
}

void EdgeTranslator::answer_arp(Packet& p, const packet::PacketMeta& meta) {
  const packet::ArpView arp(p.data + meta.l3_offset);
  const uint32_t sender = arp.sender_ip().v4_host_order();
  if (sender == config_.outside_gateway && sender != 0) {
    const packet::MacAddress mac = arp.sender_mac();
    if (!next_hop_known_ || mac != next_hop_mac_) {
      next_hop_mac_ = mac;
      next_hop_known_ = true;
      ++counters_.events[size_t(EdgeEvent::next_hop_learned)];
    }
  }
  const uint32_t target = arp.target_ip().v4_host_order();
  const bool ours = target == config_.outside_address || table_->by_public(target) != nullptr;
  if (arp.operation() != kArpRequest || !ours) {
    p.verdict = Verdict::to_local_services;  // consumed: nothing to send
    return;
  }
  const packet::MacAddress asker = arp.sender_mac();
  const packet::IpAddress asker_ip = arp.sender_ip();
  const size_t size = packet::write_arp_reply(p.data, size_t(p.capacity), config_.outside_mac,
                                              arp.target_ip(), asker, asker_ip);
  if (size == 0) return drop(p, DropReason::malformed);
  p.size = uint16_t(size);
  p.gso_type = dataplane::kGsoNone;
  p.gso_size = 0;
  p.verdict = Verdict::deliver;
  p.out_port = Port{PortKind::gateway, 0};
  ++counters_.events[size_t(EdgeEvent::arp_replied)];
}

size_t EdgeTranslator::write_gateway_arp_request(uint8_t* out, size_t capacity) const {
  const auto frame =
      packet::build_arp_request(config_.outside_mac, packet::IpAddress::v4(config_.outside_address),
                                packet::IpAddress::v4(config_.outside_gateway));
  if (frame.size() > capacity) return 0;
  std::memcpy(out, frame.data(), frame.size());
  return frame.size();
}

}  // namespace openvpc::edge
