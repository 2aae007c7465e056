// geneve_test.cc — the encapsulation writer's bytes and the flow source port.
#include "packet/geneve.h"

#include <gtest/gtest.h>

#include <set>

#include "packet/checksum.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

TEST(WriteGeneveEncap, WritesTheExpectedBytes) {
  uint8_t out[kGeneveEncapSize];
  write_geneve_encap(out, encap_spec(), 100);
  const uint8_t expected[kGeneveEncapSize] = {
      // IPv4: 45 00, length 152, id 0, DF, TTL 64, UDP, checksum, 127.0.1.1 -> 127.0.1.2
      0x45, 0x00, 0x00, 0x98, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0x7f, 0x00, 0x01,
      0x01, 0x7f, 0x00, 0x01, 0x02,
      // UDP: 50000 -> 6081, length 132, checksum 0
      0xc3, 0x50, 0x17, 0xc1, 0x00, 0x84, 0x00, 0x00,
      // Geneve: opt_len 4, protocol 0x0800, VNI 0x123456
      0x04, 0x00, 0x08, 0x00, 0x12, 0x34, 0x56, 0x00,
      // VPC option: class 0xff0c, type 1, length 3, ENIs 11 and 22, flags 2, reserved
      0xff, 0x0c, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x16, 0x00, 0x02, 0x00,
      0x00};
  std::vector<uint8_t> got(out, out + kGeneveEncapSize);
  std::vector<uint8_t> want(expected, expected + kGeneveEncapSize);
  got[10] = got[11] = 0;  // checked below
  EXPECT_EQ(got, want);
  EXPECT_EQ(ipv4_header_checksum(out, 20), 0);
}

TEST(WriteGeneveEncap, VniIsMaskedTo24Bits) {
  GeneveEncap encap = encap_spec();
  encap.vni = 0xff000001;
  uint8_t out[kGeneveEncapSize];
  write_geneve_encap(out, encap, 0);
  EXPECT_EQ(load_be32(out + 32), 0x00000100u);
}

TEST(FlowSourcePort, StaysInTheDynamicRangeAndSpreads) {
  std::set<uint16_t> ports;
  FiveTuple tuple{ip("10.0.0.1"), ip("10.0.0.2"), 0, 80, kProtoTcp, 4};
  for (uint16_t port = 1024; port < 2048; ++port) {
    tuple.src_port = port;
    const uint16_t source_port = flow_source_port(tuple);
    EXPECT_GE(source_port, 49152);
    ports.insert(source_port);
  }
  EXPECT_GT(ports.size(), 900u);  // 1024 flows over 16384 ports: few collisions
}

TEST(FlowSourcePort, IsAFunctionOfTheTuple) {
  const FiveTuple a{ip("10.0.0.1"), ip("10.0.0.2"), 1000, 80, kProtoTcp, 4};
  FiveTuple b = a;
  EXPECT_EQ(flow_source_port(a), flow_source_port(b));
  b.protocol = kProtoUdp;
  EXPECT_NE(flow_source_port(a), flow_source_port(b));
}

}  // namespace
}  // namespace openvpc::packet
