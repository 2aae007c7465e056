// services_config.h — what the VPC router's local services need to know, as plain data.
//
// LocalServices (local_services.h) is built from a ServicesConfig: per ENI its MAC, private
// addresses, subnet and VPC; per VPC its primary CIDR, DHCP options set, DNS flags and every
// address the resolver may name; and the region-wide values (router MAC, region, MTU, lease).
// services_config_from_program() derives it from the per-host program where the program has
// the data (ENIs, subnets, VPC CIDRs, mappings) and from ServicesDefaults where it does not
// yet (DHCP options sets, enableDnsSupport/enableDnsHostnames, hostnames, region).
// Invariants the producer keeps (LocalServices checks them and skips what breaks them): ids
// unique, every ENI's VPC listed, IPv4 addresses and CIDRs only (IPv6 is not served yet).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "program/cidr.h"
#include "program/program.h"

namespace openvpc::dataplane::services {

using packet::IpAddress;
using packet::MacAddress;
using program::Cidr;

// An AWS DHCP options set (REFERENCE.md "DHCP options sets"). Empty fields are not sent,
// except the two that have a platform default.
struct DhcpOptionsSet {
  std::string domain_name;                      // option 15; empty: the region's zone
  std::vector<IpAddress> domain_name_servers;   // option 6; empty: AmazonProvidedDNS (base+2)
  std::vector<IpAddress> ntp_servers;           // option 42
  std::vector<IpAddress> netbios_name_servers;  // option 44
  uint8_t netbios_node_type = 0;                // option 46 (1, 2, 4 or 8); 0: not sent
};

struct VpcServicesConfig {
  uint32_t id = 0;
  Cidr primary_cidr;  // the resolver answers at its base+2
  DhcpOptionsSet dhcp_options;
  bool dns_support = true;           // enableDnsSupport: off -> the resolver does not answer
  bool dns_hostnames = false;        // enableDnsHostnames: ip-a-b-c-d names and PTR records
  std::vector<IpAddress> addresses;  // every address of the VPC the resolver may name
  // (public, private) pairs: "ec2-<public>.<public zone>" resolves to the private address.
  std::vector<std::pair<IpAddress, IpAddress>> public_addresses;
  // Names that resolve to a set of addresses whatever enableDnsHostnames says: each network
  // load balancer's DNS name (lower case, no trailing dot) -> its interfaces' private IPv4
  // addresses, sorted by name.
  std::vector<std::pair<std::string, std::vector<IpAddress>>> named_addresses{};
};

struct EniServicesConfig {
  uint32_t id = 0;
  MacAddress mac;
  std::vector<IpAddress> private_addresses;  // primary first; DHCP hands out the primary
  Cidr subnet;
  uint32_t vpc = 0;
  std::string hostname;  // DHCP option 12 when not empty
};

struct ServicesConfig {
  MacAddress router_mac;
  std::string region = "us-east-1";  // names: ec2.internal there, <region>.compute.internal
  uint16_t mtu = 9001;               // DHCP option 26 (lowered when the underlay cannot carry it)
  uint32_t lease_seconds = 3600;     // DHCP option 51
  uint32_t dns_ttl_seconds = 60;
  // Largest plain-UDP response (RFC 1035: 512); larger answers are cut with TC set unless
  // the query carries EDNS with a larger size.
  uint16_t dns_udp_size_without_edns = 512;
  // Keys the hash that gives the resolver's DNS-over-TCP initial sequence numbers
  // (dns_tcp.h); any value works, a random one makes them unpredictable.
  uint64_t dns_tcp_isn_key = 0x6f70656e76706321;
  std::vector<VpcServicesConfig> vpcs;
  std::vector<EniServicesConfig> enis;
};

// What the program does not carry yet; applied to every VPC / ENI.
struct ServicesDefaults {
  std::string region = "us-east-1";
  uint16_t mtu = 9001;
  uint32_t lease_seconds = 3600;
  DhcpOptionsSet dhcp_options;
  bool dns_support = true;
  bool dns_hostnames = true;
};

// Every local ENI of the program with its subnet and VPC; each VPC's addresses are the
// program's mappings for it plus its local ENIs' addresses; its named addresses are its load
// balancers' DNS names (Program::load_balancers). ENIs whose subnet or VPC does not
// resolve, and non-IPv4 VPCs, are left out.
ServicesConfig services_config_from_program(const program::Program& program,
                                            const ServicesDefaults& defaults);

}  // namespace openvpc::dataplane::services
