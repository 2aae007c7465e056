// test_programs.h — small per-host programs for the router's unit tests.
#pragma once

#include "program/program.h"

namespace openvpc::router::testing {

inline packet::IpAddress v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return packet::IpAddress::v4(a << 24 | b << 16 | c << 8 | d);
}

// One VPC (VNI 7, 10.0.0.0/16), subnet 11 (10.0.1.0/24); `with_eni` adds ENI 101 (10.0.1.5).
inline program::Program small_program(uint32_t underlay, bool with_eni, uint64_t generation = 1) {
  program::Program p;
  p.generation = generation;
  p.host_underlay = packet::IpAddress::v4(underlay);
  p.router_mac = packet::MacAddress{{0x02, 0, 0, 0, 0, 1}};
  p.vpcs.push_back({7, "vpc", {*program::Cidr::parse("10.0.0.0/16")}});
  p.subnets.push_back({11, "a", 7, *program::Cidr::parse("10.0.1.0/24"), 31, 21});
  program::RouteTable table{21, "main", 7, {}};
  table.routes.push_back(
      {*program::Cidr::parse("10.0.0.0/16"), program::RouteTargetKind::local, 0});
  p.route_tables.push_back(table);
  p.network_acls.push_back({31, "acl", 7, {}});
  p.security_groups.push_back({41, "sg", 7, {}, {}});
  if (with_eni) {
    program::Eni eni;
    eni.id = 101;
    eni.name = "eni-a";
    eni.subnet = 11;
    eni.mac = packet::MacAddress{{0x02, 0, 0, 0, 1, 1}};
    eni.private_addresses = {v4(10, 0, 1, 5)};
    eni.security_groups = {41};
    p.enis.push_back(eni);
    p.mappings.push_back({7, v4(10, 0, 1, 5), p.host_underlay, 101, true});
  }
  return p;
}

}  // namespace openvpc::router::testing
