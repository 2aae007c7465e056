// parse_ipv6_test.cc — IPv6 header and the extension-header chain.
#include <gtest/gtest.h>

#include "packet/parser.h"
#include "samples.h"

namespace openvpc::packet {
namespace {

using namespace test;

struct ChainCase {
  const char* description;
  uint8_t first;
  std::vector<uint8_t> extensions;  // inserted after the fixed header of a UDP packet
  uint8_t extension_count;
  bool is_fragment;
  uint8_t protocol;
  bool has_l4;
};

class Ipv6Chain : public testing::TestWithParam<ChainCase> {};

TEST_P(Ipv6Chain, FindsTheUpperLayer) {
  const ChainCase& c = GetParam();
  const auto packet = with_ipv6_extensions(udp_v6(), c.first, c.extensions);
  const PacketMeta meta = parse_ip(packet);
  ASSERT_TRUE(meta.ok()) << c.description << ": " << to_string(meta.error);
  EXPECT_EQ(meta.ip_version, 6);
  EXPECT_EQ(meta.ipv6_extension_count, c.extension_count);
  EXPECT_EQ(meta.fragment.is_fragment, c.is_fragment);
  EXPECT_EQ(meta.tuple.protocol, c.protocol);
  EXPECT_EQ(meta.l4_offset, c.has_l4 ? 40 + c.extensions.size() : 0);
  EXPECT_EQ(meta.tuple.dst_port, c.has_l4 ? 53 : 0);
  EXPECT_EQ(meta.l3_size, packet.size());
}

std::vector<uint8_t> destination_options(int count) {
  std::vector<uint8_t> chain(size_t(count) * 8, 0);
  for (int i = 0; i < count; ++i) chain[size_t(i) * 8] = i + 1 < count ? 60 : kProtoUdp;
  return chain;
}

INSTANTIATE_TEST_SUITE_P(
    Table, Ipv6Chain,
    testing::Values(
        ChainCase{"no extensions", kProtoUdp, {}, 0, false, kProtoUdp, true},
        ChainCase{"hop-by-hop (router alert)",
                  0,
                  {kProtoUdp, 0, 5, 2, 0, 0, 1, 0},
                  1,
                  false,
                  kProtoUdp,
                  true},
        ChainCase{"hop-by-hop + routing + destination options",
                  0,
                  {43,        0, 0, 0, 0, 0, 0, 0, 60, 0, 4, 0, 0, 0, 0, 0,
                   kProtoUdp, 1, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0},
                  3,
                  false,
                  kProtoUdp,
                  true},
        ChainCase{
            "atomic fragment", 44, {kProtoUdp, 0, 0, 0, 0, 0, 0, 9}, 1, true, kProtoUdp, true},
        ChainCase{"first fragment", 44, {kProtoUdp, 0, 0, 1, 0, 0, 0, 9}, 1, true, kProtoUdp, true},
        ChainCase{"later fragment",
                  44,
                  {kProtoUdp, 0, 0x05, 0xc8, 0, 0, 0, 9},
                  1,
                  true,
                  kProtoUdp,
                  false},
        ChainCase{"eight extension headers (the bound)", 60, destination_options(8), 8, false,
                  kProtoUdp, true}));

TEST(Ipv6Fragment, ReadsOffsetIdAndMoreFragments) {
  const uint8_t fragment[8] = {kProtoUdp, 0, 0x05, 0xc9, 0x12, 0x34, 0x56, 0x78};
  const PacketMeta meta = parse_ip(with_ipv6_extensions(udp_v6(), 44, fragment));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.fragment.offset, 1480);
  EXPECT_TRUE(meta.fragment.more_fragments);
  EXPECT_EQ(meta.fragment.id, 0x12345678u);
}

TEST(Ipv6Header, FillsAddressesHopLimitAndTrafficClass) {
  IpSpec spec = ipv6_spec();
  spec.ttl = 3;
  spec.tos = 0xb8;
  const PacketMeta meta = parse_ip(build_tcp(spec, syn_with_options()));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.tuple.src, spec.src);
  EXPECT_EQ(meta.tuple.dst, spec.dst);
  EXPECT_EQ(meta.ttl, 3);
  EXPECT_EQ(meta.tos, 0xb8);
  EXPECT_EQ(meta.tuple.ip_version, 6);
}

TEST(Ipv6Builder, FragmentSpecAddsAFragmentHeader) {
  IpSpec spec = ipv6_spec();
  spec.id = 42;
  spec.more_fragments = true;
  const PacketMeta meta = parse_ip(build_udp(spec, UdpSpec{.src_port = 1, .dst_port = 2}));
  ASSERT_TRUE(meta.ok());
  EXPECT_TRUE(meta.fragment.is_fragment);
  EXPECT_EQ(meta.fragment.id, 42u);
  EXPECT_EQ(meta.l4_offset, 48);
}

}  // namespace
}  // namespace openvpc::packet
