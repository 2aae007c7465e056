// admission.cc — the checks every packet passes before the flow cache (admission.h).
#include "dataplane/admission.h"

#include <cstring>

#include "dataplane/trace_note.h"
#include "packet/checksum.h"

namespace openvpc::dataplane {
namespace {

bool is_geneve_error(packet::ParseError e) {
  return e >= packet::ParseError::geneve_truncated &&
         e <= packet::ParseError::inner_packet_malformed;
}

// Six bytes compared as two loads each (std::memcmp is a library call here).
bool same_mac(const packet::MacAddress& a, const packet::MacAddress& b) {
  uint32_t a_high = 0;
  uint32_t b_high = 0;
  uint16_t a_low = 0;
  uint16_t b_low = 0;
  std::memcpy(&a_high, a.bytes.data(), 4);
  std::memcpy(&b_high, b.bytes.data(), 4);
  std::memcpy(&a_low, a.bytes.data() + 4, 2);
  std::memcpy(&b_low, b.bytes.data() + 4, 2);
  return ((a_high ^ b_high) | uint32_t(a_low ^ b_low)) == 0;
}

Admission admit_from_eni(const CompiledProgram& program, Port in, const packet::PacketMeta& meta,
                         std::string* trace) {
  Admission a;
  a.eni_index = program.find_local_eni(in.id);
  if (a.eni_index < 0) {
    note(trace, "port", [&] {
      return std::string("eni " + std::to_string(in.id) + " is not attached to this host");
    });
    a.drop = DropReason::unknown_port;
    return a;
  }
  const LocalEni& eni = program.local_enis[size_t(a.eni_index)];
  note(trace, "port", [&] {
    return "eni " + std::to_string(eni.id) + " (" + eni.name + ") vpc " + std::to_string(eni.vpc) +
           " subnet " + std::to_string(program.subnets[eni.subnet].id);
  });
  if (!meta.ok()) {
    note(trace, "parse", [&] { return std::string(packet::to_string(meta.error)); });
    a.drop = DropReason::malformed;
  } else if (!same_mac(meta.eth_src, eni.mac)) {
    note(trace, "source-check", [&] { return std::string("frame source MAC is not the ENI's"); });
    a.drop = DropReason::source_mac_spoofed;
  } else if (meta.has_vlan) {
    note(trace, "parse", [&] {
      return "802.1Q tag (VLAN " + std::to_string(meta.vlan_tci & 0xfff) +
             "): no VLAN is configured on the ENI";
    });
    a.drop = DropReason::vlan_tagged;
  } else if (meta.is_arp()) {
    note(trace, "local-services", [&] { return std::string("ARP is answered by the router"); });
    a.local_services = true;
  } else if (meta.ip_version == 0) {
    note(trace, "parse", [] { return std::string("ethertype is neither IPv4, IPv6 nor ARP"); });
    a.drop = DropReason::unsupported_ethertype;
  }
  return a;
}

Admission admit_from_underlay(const packet::PacketMeta& meta, std::string* trace) {
  Admission a;
  if (!meta.ok()) {
    note(trace, "decap", [&] { return std::string(packet::to_string(meta.error)); });
    a.drop = is_geneve_error(meta.error) ? DropReason::geneve_malformed : DropReason::malformed;
  } else if (!meta.geneve.present) {
    note(trace, "decap", [&] { return std::string("not a Geneve packet"); });
    a.drop = DropReason::not_geneve;
  } else {
    note(trace, "decap", [&] {
      return std::string("geneve vni " + std::to_string(meta.geneve.vni) + " from " +
                         program::format_address(meta.geneve.outer_src));
    });
  }
  return a;
}

}  // namespace

Admission admit(const CompiledProgram& program, Port in, const packet::PacketMeta& meta,
                std::span<const uint8_t> bytes, std::string* trace) {
  Admission a;
  if (in.kind == PortKind::eni) {
    a = admit_from_eni(program, in, meta, trace);
  } else if (in.kind == PortKind::underlay) {
    a = admit_from_underlay(meta, trace);
  } else {
    note(trace, "port",
         [&] { return std::string("packets enter from ENI ports and the underlay only"); });
    a.drop = DropReason::unknown_port;
  }
  if (a.drop != DropReason::none || a.local_services) return a;
  if (meta.ip_version != 4) {
    note(trace, "parse", [&] { return std::string("IPv6 is not forwarded yet"); });
    a.drop = DropReason::unsupported_ip_version;
  } else if (!packet::ipv4_header_checksum_valid(bytes.data() + meta.l3_offset,
                                                 size_t(meta.ipv4_ihl) * 4)) {
    note(trace, "parse", [&] { return std::string("IPv4 header checksum is wrong"); });
    a.drop = DropReason::ipv4_bad_checksum;
  } else if (meta.fragment.is_fragment && meta.fragment.offset != 0) {
    note(trace, "fragment",
         [&] { return std::string("a later fragment: it follows its first fragment's flow"); });
    a.later_fragment = true;
  }
  return a;
}

}  // namespace openvpc::dataplane
