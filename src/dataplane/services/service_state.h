// service_state.h — the compiled per-ENI / per-VPC state behind LocalServices, and the four
// responders (ARP, DHCP, ICMP echo, DNS) that read it. Internal to src/dataplane/services.
//
// Built once from a ServicesConfig and not changed afterwards. Addresses
// are kept both as IpAddress (to compare with PacketMeta) and in host order (for subnet
// arithmetic). A responder gets a ReplyContext whose frame and meta agree (meta is
// parse_frame(frame)), writes one complete Ethernet frame into out and returns its size with
// the event to count; size 0 means no reply. Responders never allocate or throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/services/services_counters.h"
#include "packet/address.h"
#include "packet/parser.h"

namespace openvpc::dataplane::services {

struct ServicesGlobals {
  packet::MacAddress router_mac;
  std::string zone;         // ec2.internal or <region>.compute.internal
  std::string public_zone;  // compute-1.amazonaws.com or <region>.compute.amazonaws.com
  uint16_t mtu = 9001;
  uint32_t lease_seconds = 3600;
  uint32_t dns_ttl_seconds = 60;
  uint16_t dns_udp_size_without_edns = 512;
  uint64_t dns_tcp_isn_key = 0;  // keys the resolver's TCP initial sequence numbers
};

struct VpcState {
  uint32_t id = 0;
  packet::IpAddress dns_address;  // primary CIDR base+2
  bool dns_support = true;
  bool dns_hostnames = false;
  std::string domain_name;                     // DHCP option 15
  std::vector<packet::IpAddress> dns_servers;  // DHCP option 6
  std::vector<uint8_t> ntp_servers;            // option 42 value (wire bytes), may be empty
  std::vector<uint8_t> netbios_name_servers;   // option 44 value, may be empty
  uint8_t netbios_node_type = 0;               // option 46; 0: not sent
  std::vector<uint32_t> addresses;             // sorted, host order: what the resolver names
  // (public, private), sorted, host order: public names resolve to the private address.
  std::vector<std::pair<uint32_t, uint32_t>> public_addresses;
  // (name, addresses in host order), sorted by name: a load balancer's DNS name.
  std::vector<std::pair<std::string, std::vector<uint32_t>>> named_addresses;

  bool has_address(uint32_t address) const;
  // The addresses `name` resolves to; null when it is no such name.
  const std::vector<uint32_t>* addresses_named(std::string_view name) const;
  std::optional<uint32_t> private_of_public(uint32_t public_address) const;
};

struct EniState {
  uint32_t id = 0;
  packet::MacAddress mac;
  std::vector<packet::IpAddress> addresses;  // primary first, IPv4
  uint32_t subnet_network = 0;               // host order
  uint32_t subnet_broadcast = 0;             // host order
  uint32_t subnet_mask = 0;                  // host order
  packet::IpAddress router_address;          // subnet base+1
  packet::IpAddress subnet_dns_address;      // subnet base+2 (also answered)
  size_t vpc = 0;                            // index into LocalServices' VPCs
  std::string hostname;                      // DHCP option 12 when not empty

  const packet::IpAddress& primary() const { return addresses.front(); }
  bool owns(const packet::IpAddress& address) const;
  bool in_subnet(uint32_t address) const { return (address & subnet_mask) == subnet_network; }
};

struct ReplyContext {
  const ServicesGlobals& globals;
  const EniState& eni;
  const VpcState& vpc;
  std::span<const uint8_t> frame;
  const packet::PacketMeta& meta;
  std::span<uint8_t> out;
};

struct ReplyResult {
  size_t size = 0;
  ServicesEvent event = ServicesEvent::ignored_not_for_services;
};

ReplyResult reply_arp(const ReplyContext& context);
ReplyResult reply_dhcp(const ReplyContext& context);
ReplyResult reply_icmp_echo(const ReplyContext& context);
// UDP; enableDnsSupport and the rate limit are the caller's. TCP: dns_tcp.h.
ReplyResult reply_dns(const ReplyContext& context);

// The UDP payload of the frame (meta from parse_frame of it); empty if not UDP.
std::span<const uint8_t> udp_payload(std::span<const uint8_t> frame,
                                     const packet::PacketMeta& meta);

}  // namespace openvpc::dataplane::services
