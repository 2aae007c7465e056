// packet_json.cc — PacketMeta -> JSON.
#include "packet_json.h"

namespace openvpc::tools {
namespace {

using nlohmann::json;
using namespace openvpc::packet;

json tuple_to_json(const FiveTuple& tuple) {
  return {{"src", tuple.src.to_string()}, {"dst", tuple.dst.to_string()},
          {"src_port", tuple.src_port},   {"dst_port", tuple.dst_port},
          {"protocol", tuple.protocol},   {"ip_version", tuple.ip_version}};
}

json tcp_to_json(const TcpInfo& tcp) {
  json out = {{"seq", tcp.seq},
              {"ack", tcp.ack},
              {"window", tcp.window},
              {"flags", tcp.flags},
              {"sack_permitted", tcp.sack_permitted},
              {"payload_size", tcp.payload_size}};
  out["mss"] = tcp.mss == 0 ? json(nullptr) : json(tcp.mss);
  out["window_scale"] = tcp.window_scale == 0xff ? json(nullptr) : json(tcp.window_scale);
  out["timestamps"] = tcp.has_timestamps ? json::array({tcp.ts_value, tcp.ts_echo}) : json(nullptr);
  return out;
}

json geneve_to_json(const GeneveInfo& g) {
  return {{"vni", g.vni},
          {"oam", g.oam},
          {"critical", g.critical},
          {"protocol_type", g.protocol_type},
          {"header_offset", g.header_offset},
          {"options_size", g.options_size},
          {"inner_offset", g.inner_offset},
          {"has_vpc_option", g.has_vpc_option},
          {"source_eni", g.source_eni},
          {"destination_eni", g.destination_eni},
          {"vpc_flags", g.vpc_flags},
          {"outer_src", g.outer_src.to_string()},
          {"outer_dst", g.outer_dst.to_string()},
          {"outer_src_port", g.outer_src_port},
          {"outer_dst_port", g.outer_dst_port},
          {"outer_ttl", g.outer_ttl},
          {"inner_error", std::string(to_string(g.inner_error))}};
}

}  // namespace

json meta_to_json(const PacketMeta& meta) {
  json out = {{"error", std::string(to_string(meta.error))},
              {"size", meta.size},
              {"ethertype", meta.ethertype},
              {"l3_offset", meta.l3_offset},
              {"l3_size", meta.l3_size},
              {"ip_version", meta.ip_version},
              {"ttl", meta.ttl},
              {"tos", meta.tos},
              {"ipv4_ihl", meta.ipv4_ihl},
              {"ipv6_extension_count", meta.ipv6_extension_count},
              {"l4_offset", meta.l4_offset},
              {"payload_offset", meta.payload_offset},
              {"tuple", tuple_to_json(meta.tuple)}};
  if (meta.has_ethernet) {
    out["ethernet"] = {{"src", meta.eth_src.to_string()}, {"dst", meta.eth_dst.to_string()}};
    out["vlan_tci"] = meta.has_vlan ? json(meta.vlan_tci) : json(nullptr);
  }
  if (meta.is_arp()) out["arp_operation"] = meta.arp_operation;
  const FragmentInfo& f = meta.fragment;
  out["fragment"] = {{"is_fragment", f.is_fragment},
                     {"more_fragments", f.more_fragments},
                     {"dont_fragment", f.dont_fragment},
                     {"offset", f.offset},
                     {"id", f.id}};
  if (meta.tuple.protocol == kProtoTcp && meta.l4_offset != 0) out["tcp"] = tcp_to_json(meta.tcp);
  const bool icmp = meta.tuple.protocol == kProtoIcmp || meta.tuple.protocol == kProtoIcmpv6;
  if (icmp && meta.l4_offset != 0) {
    out["icmp"] = {{"type", meta.icmp.type}, {"code", meta.icmp.code},
                   {"id", meta.icmp.id},     {"sequence", meta.icmp.sequence},
                   {"rest", meta.icmp.rest}, {"is_error", meta.icmp.is_error}};
  }
  if (meta.icmp_inner.present) {
    out["icmp_inner"] = {{"l3_offset", meta.icmp_inner.l3_offset},
                         {"l4_offset", meta.icmp_inner.l4_offset},
                         {"tuple", tuple_to_json(meta.icmp_inner.tuple)},
                         {"tcp_seq", meta.icmp_inner.tcp_seq}};
  }
  if (meta.geneve.present || meta.geneve.inner_error != ParseError::none) {
    out["geneve"] = geneve_to_json(meta.geneve);
  }
  return out;
}

}  // namespace openvpc::tools
