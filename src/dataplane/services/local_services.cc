// local_services.cc — LocalServices: configuration compiled into per-ENI state, classify()
// and respond()'s dispatch to the responders (ARP, DHCP, ICMP echo, DNS over UDP and TCP).
#include "dataplane/services/local_services.h"

#include "program/dns_names.h"

#include <algorithm>
#include <cstring>

#include "dataplane/services/dns_tcp.h"
#include "packet/dhcp.h"
#include "packet/dns.h"
#include "packet/headers.h"

namespace openvpc::dataplane::services {
namespace {

using packet::IpAddress;

const IpAddress kLimitedBroadcast = IpAddress::v4(0xffffffff);

uint32_t prefix_mask(uint8_t prefix_length) {
  return prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length);
}

std::vector<uint8_t> address_bytes(const std::vector<IpAddress>& addresses) {
  std::vector<uint8_t> bytes;
  for (const IpAddress& address : addresses) {
    if (address.is_v4()) bytes.insert(bytes.end(), address.v4_wire(), address.v4_wire() + 4);
  }
  return bytes;
}

VpcState compile_vpc(const VpcServicesConfig& config, const std::string& zone) {
  VpcState vpc;
  vpc.id = config.id;
  vpc.dns_address = IpAddress::v4(config.primary_cidr.address.v4_host_order() + 2);
  vpc.dns_support = config.dns_support;
  vpc.dns_hostnames = config.dns_hostnames;
  const DhcpOptionsSet& options = config.dhcp_options;
  vpc.domain_name = options.domain_name.empty() ? zone : options.domain_name;
  vpc.dns_servers = options.domain_name_servers;
  if (vpc.dns_servers.empty()) vpc.dns_servers.push_back(vpc.dns_address);
  vpc.ntp_servers = address_bytes(options.ntp_servers);
  vpc.netbios_name_servers = address_bytes(options.netbios_name_servers);
  vpc.netbios_node_type = options.netbios_node_type;
  for (const IpAddress& address : config.addresses) {
    if (address.is_v4()) vpc.addresses.push_back(address.v4_host_order());
  }
  std::sort(vpc.addresses.begin(), vpc.addresses.end());
  vpc.addresses.erase(std::unique(vpc.addresses.begin(), vpc.addresses.end()), vpc.addresses.end());
  for (const auto& [public_address, private_address] : config.public_addresses) {
    if (public_address.is_v4() && private_address.is_v4()) {
      vpc.public_addresses.emplace_back(public_address.v4_host_order(),
                                        private_address.v4_host_order());
    }
  }
  std::sort(vpc.public_addresses.begin(), vpc.public_addresses.end());
  for (const auto& [name, addresses] : config.named_addresses) {
    std::vector<uint32_t> v4;
    for (const IpAddress& address : addresses) {
      if (address.is_v4()) v4.push_back(address.v4_host_order());
    }
    if (!name.empty() && !v4.empty()) vpc.named_addresses.emplace_back(name, std::move(v4));
  }
  std::sort(vpc.named_addresses.begin(), vpc.named_addresses.end());
  return vpc;
}

EniState compile_eni(const EniServicesConfig& config, size_t vpc_index) {
  EniState eni;
  eni.id = config.id;
  eni.mac = config.mac;
  for (const IpAddress& address : config.private_addresses) {
    if (address.is_v4()) eni.addresses.push_back(address);
  }
  eni.subnet_mask = prefix_mask(config.subnet.prefix_length);
  eni.subnet_network = config.subnet.address.v4_host_order() & eni.subnet_mask;
  eni.subnet_broadcast = eni.subnet_network | ~eni.subnet_mask;
  eni.router_address = IpAddress::v4(eni.subnet_network + 1);
  eni.subnet_dns_address = IpAddress::v4(eni.subnet_network + 2);
  eni.vpc = vpc_index;
  eni.hostname = config.hostname;
  return eni;
}

bool same_mac(const packet::MacAddress& a, const packet::MacAddress& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), 6) == 0;
}

}  // namespace

std::string_view to_string(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::none:
      return "none";
    case ServiceKind::arp:
      return "arp";
    case ServiceKind::dhcp:
      return "dhcp";
    case ServiceKind::icmp_echo:
      return "icmp_echo";
    case ServiceKind::dns:
      return "dns";
  }
  return "unknown";
}

bool VpcState::has_address(uint32_t address) const {
  return std::binary_search(addresses.begin(), addresses.end(), address);
}

std::optional<uint32_t> VpcState::private_of_public(uint32_t public_address) const {
  auto it = std::lower_bound(public_addresses.begin(), public_addresses.end(),
                             std::make_pair(public_address, uint32_t{0}));
  if (it == public_addresses.end() || it->first != public_address) return std::nullopt;
  return it->second;
}

const std::vector<uint32_t>* VpcState::addresses_named(std::string_view name) const {
  auto it = std::lower_bound(
      named_addresses.begin(), named_addresses.end(), name,
      [](const auto& entry, std::string_view key) { return std::string_view(entry.first) < key; });
  if (it == named_addresses.end() || it->first != name) return nullptr;
  return &it->second;
}

bool EniState::owns(const IpAddress& address) const {
  return std::find(addresses.begin(), addresses.end(), address) != addresses.end();
}

std::span<const uint8_t> udp_payload(std::span<const uint8_t> frame,
                                     const packet::PacketMeta& meta) {
  if (meta.tuple.protocol != packet::kProtoUdp || meta.l4_offset == 0 ||
      size_t(meta.l4_offset) + packet::kUdpHeaderSize > frame.size()) {
    return {};
  }
  const size_t udp_size = packet::UdpView(frame.data() + meta.l4_offset).length();
  if (udp_size < packet::kUdpHeaderSize || meta.l4_offset + udp_size > frame.size()) return {};
  return frame.subspan(meta.payload_offset, udp_size - packet::kUdpHeaderSize);
}

LocalServices::LocalServices(const ServicesConfig& config) {
  globals_.router_mac = config.router_mac;
  globals_.zone = program::private_dns_zone(config.region);
  globals_.public_zone = program::public_dns_zone(config.region);
  globals_.mtu = config.mtu;
  globals_.lease_seconds = config.lease_seconds;
  globals_.dns_ttl_seconds = config.dns_ttl_seconds;
  globals_.dns_udp_size_without_edns = config.dns_udp_size_without_edns;
  globals_.dns_tcp_isn_key = config.dns_tcp_isn_key;
  for (const VpcServicesConfig& vpc : config.vpcs) {
    if (vpc.primary_cidr.is_v4()) vpcs_.push_back(compile_vpc(vpc, globals_.zone));
  }
  for (const EniServicesConfig& eni : config.enis) {
    const auto vpc = std::find_if(vpcs_.begin(), vpcs_.end(),
                                  [&](const VpcState& v) { return v.id == eni.vpc; });
    if (vpc == vpcs_.end() || !eni.subnet.is_v4()) continue;
    EniState state = compile_eni(eni, size_t(vpc - vpcs_.begin()));
    if (!state.addresses.empty()) enis_.push_back(std::move(state));
  }
  std::sort(enis_.begin(), enis_.end(),
            [](const EniState& a, const EniState& b) { return a.id < b.id; });
}

int32_t LocalServices::find_eni(uint32_t id) const {
  const auto it = std::lower_bound(enis_.begin(), enis_.end(), id,
                                   [](const EniState& e, uint32_t value) { return e.id < value; });
  return it != enis_.end() && it->id == id ? int32_t(it - enis_.begin()) : -1;
}

ServiceKind LocalServices::classify(uint32_t eni_id, const packet::PacketMeta& meta) const {
  const int32_t index = find_eni(eni_id);
  return index < 0 ? ServiceKind::none : classify(enis_[size_t(index)], meta);
}

ServiceKind LocalServices::classify(const EniState& eni, const packet::PacketMeta& meta) const {
  if (!meta.ok() || meta.has_vlan) return ServiceKind::none;
  if (meta.is_arp()) return ServiceKind::arp;
  if (meta.ip_version != 4 || meta.fragment.is_fragment || meta.l4_offset == 0) {
    return ServiceKind::none;
  }
  const packet::FiveTuple& t = meta.tuple;
  const bool to_resolver = t.dst == vpcs_[eni.vpc].dns_address || t.dst == kResolverLinkLocal ||
                           t.dst == eni.subnet_dns_address;
  switch (t.protocol) {
    case packet::kProtoUdp:
      if (t.src_port == packet::kDhcpClientPort && t.dst_port == packet::kDhcpServerPort &&
          (t.dst == kLimitedBroadcast || t.dst == eni.router_address)) {
        return ServiceKind::dhcp;
      }
      return to_resolver && t.dst_port == packet::kDnsPort ? ServiceKind::dns : ServiceKind::none;
    case packet::kProtoTcp:
      return to_resolver && t.dst_port == packet::kDnsPort ? ServiceKind::dns : ServiceKind::none;
    case packet::kProtoIcmp:
      return t.dst == eni.router_address && meta.icmp.type == 8 ? ServiceKind::icmp_echo
                                                                : ServiceKind::none;
    default:
      return ServiceKind::none;
  }
}

size_t LocalServices::respond(uint32_t eni_id, std::span<const uint8_t> frame,
                              const packet::PacketMeta& meta, std::span<uint8_t> out,
                              [[maybe_unused]] uint64_t now_ns) {
  const int32_t index = find_eni(eni_id);
  if (index < 0) {
    counters_.count(ServicesEvent::dropped_unknown_eni);
    return 0;
  }
  EniState& eni = enis_[size_t(index)];
  const ServiceKind kind = classify(eni, meta);
  ReplyResult result;
  if (kind == ServiceKind::none) {
    const bool icmp_to_router = meta.ok() && meta.ip_version == 4 &&
                                meta.tuple.protocol == packet::kProtoIcmp &&
                                meta.tuple.dst == eni.router_address;
    result.event = icmp_to_router ? ServicesEvent::icmp_ignored_not_echo
                                  : ServicesEvent::ignored_not_for_services;
  } else if (!same_mac(meta.eth_src, eni.mac)) {
    result.event = ServicesEvent::dropped_source_mac_spoofed;
  } else if (meta.size > frame.size() || out.size() < packet::kEthernetHeaderSize) {
    result.event = ServicesEvent::dropped_reply_too_large;
  } else {
    result = dispatch(kind, eni, frame, meta, out);
  }
  counters_.count(result.event);
  return result.size;
}

ReplyResult LocalServices::dispatch(ServiceKind kind, EniState& eni, std::span<const uint8_t> frame,
                                    const packet::PacketMeta& meta, std::span<uint8_t> out) {
  const ReplyContext context{globals_, eni, vpcs_[eni.vpc], frame, meta, out};
  switch (kind) {
    case ServiceKind::arp:
      return reply_arp(context);
    case ServiceKind::dhcp:
      return reply_dhcp(context);
    case ServiceKind::icmp_echo:
      return reply_icmp_echo(context);
    case ServiceKind::dns:
      if (!context.vpc.dns_support) return {0, ServicesEvent::dns_dropped_dns_support_off};
      return meta.tuple.protocol == packet::kProtoTcp ? reply_dns_tcp(context) : reply_dns(context);
    case ServiceKind::none:
      break;
  }
  return {};
}

}  // namespace openvpc::dataplane::services
