// fuzz_program.h — the fixed program the data-plane fuzz targets send packets through.
//
// One VPC (VNI 7) with two subnets (an open and a strict network ACL), one security group,
// ENI 1 (source/dest check on) and ENI 2 (off) on this host, ENI 3 on a remote host, a
// default route to an internet gateway and 172.16.0.0/12 to NAT gateway 5 (ENI 50; shard
// 192.168.0.21, a down slot, 192.168.0.23, whose nodes may send from the internet) and network
// load balancer 6 at 10.0.1.60 (ENI 60, the same shard, mapped with load_balancer = 6). Record
// format shared by the targets: [port byte] [size lo][size hi][bytes...]; the port byte's top bit
// picks the underlay, otherwise ENI 1 + (byte % 3) (ENI 3 is not attached here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "dataplane/packet_batch.h"
#include "program/program.h"

namespace openvpc::fuzzing {

using program::cidr_literal;
using program::Direction;

inline program::Program fuzz_program() {
  program::Program p;
  p.generation = 1;
  p.host_underlay = program::address_literal("192.168.0.1");
  p.router_mac = program::mac_literal("02:00:00:00:00:01");
  p.vpcs = {{7, "vpc", {cidr_literal("10.0.0.0/16")}}};
  p.subnets = {{11, "a", 7, cidr_literal("10.0.1.0/24"), 31, 21},
               {12, "b", 7, cidr_literal("10.0.2.0/24"), 32, 21}};
  p.route_tables = {{21,
                     "main",
                     7,
                     {{cidr_literal("10.0.0.0/16"), program::RouteTargetKind::local, 0},
                      {cidr_literal("0.0.0.0/0"), program::RouteTargetKind::internet_gateway, 9},
                      {cidr_literal("172.16.0.0/12"), program::RouteTargetKind::nat_gateway, 5}}}};
  program::NatGateway nat;
  nat.id = 5;
  nat.vpc = 7;
  nat.eni = 50;
  nat.addresses = {program::address_literal("10.0.1.50")};
  nat.nodes = {program::address_literal("192.168.0.21"), program::address_literal("0.0.0.0"),
               program::address_literal("192.168.0.23")};
  p.nat_gateways = {nat};
  program::LoadBalancer lb;
  lb.id = 6;
  lb.name = "net/fuzz/0000000000000006";
  lb.vpc = 7;
  lb.dns_name = "fuzz-0000000000000006.elb.us-east-1.amazonaws.com";
  lb.interfaces = {{60, 11, program::address_literal("10.0.1.60"), std::nullopt}};
  lb.nodes = nat.nodes;
  p.load_balancers = {lb};
  program::NetworkAclEntry allow_in{
      100, Direction::ingress, {}, cidr_literal("0.0.0.0/0"), program::AclAction::allow};
  program::NetworkAclEntry allow_out = allow_in;
  allow_out.direction = Direction::egress;
  program::NetworkAclEntry deny_ssh{50,
                                    Direction::ingress,
                                    {6, {22, 22}, -1, -1},
                                    cidr_literal("10.0.1.0/24"),
                                    program::AclAction::deny};
  p.network_acls = {{31, "open", 7, {allow_in, allow_out}},
                    {32, "strict", 7, {deny_ssh, allow_in, allow_out}}};
  program::SecurityGroupRule ssh{
      Direction::ingress, {6, {22, 22}, -1, -1}, cidr_literal("10.0.0.0/16"), 0};
  program::SecurityGroupRule icmp{Direction::ingress, {1, {0, 65535}, -1, -1}, {}, 41};
  program::SecurityGroupRule out{Direction::egress, {}, cidr_literal("0.0.0.0/0"), 0};
  const auto a1 = program::address_literal("10.0.1.5");
  const auto a2 = program::address_literal("10.0.2.6");
  const auto a3 = program::address_literal("10.0.1.20");
  p.security_groups = {{41, "sg", 7, {ssh, icmp, out}, {a1, a2, a3}}};
  p.enis = {{1, "one", 11, program::mac_literal("02:00:00:00:00:11"), {a1}, {41}, true},
            {2, "two", 12, program::mac_literal("02:00:00:00:00:12"), {a2}, {41}, false}};
  const auto remote = program::address_literal("192.168.0.2");
  p.mappings = {{7, a1, p.host_underlay, 1, true},
                {7, a2, p.host_underlay, 2, false},
                {7, a3, remote, 3, true},
                {7, program::address_literal("10.0.1.60"), program::IpAddress::v4(0), 60, true,
                 std::nullopt, 0, 6}};
  return p;
}

// Splits the input into at most `limit` records: their bytes and ports.
struct Records {
  std::vector<std::vector<uint8_t>> bytes;
  std::vector<dataplane::Port> ports;
};
inline Records split_records(const uint8_t* data, size_t size, size_t limit) {
  Records r;
  while (size >= 3 && r.ports.size() < limit) {
    const uint8_t port = data[0];
    size_t length = size_t(data[1]) | (size_t(data[2]) << 8);
    data += 3, size -= 3;
    if (length > size) length = size;
    r.bytes.emplace_back(data, data + length);
    r.ports.push_back((port & 0x80) ? dataplane::Port::underlay()
                                    : dataplane::Port::eni(1 + port % 3));
    data += length, size -= length;
  }
  return r;
}

}  // namespace openvpc::fuzzing
