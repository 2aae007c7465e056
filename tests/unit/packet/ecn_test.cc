// RFC 6040's decapsulation table, and ECN writes that keep IPv4 checksums right.
#include "packet/ecn.h"

#include <gtest/gtest.h>

#include <array>

#include "packet/checksum.h"

namespace openvpc::packet {
namespace {

TEST(Ecn, DecapsulationFollowsRfc6040Figure4) {
  constexpr std::array<uint8_t, 4> kCodepoints{kEcnNotEct, kEcnEct0, kEcnEct1, kEcnCe};
  // rows: inner; columns: outer (Not-ECT, ECT(0), ECT(1), CE); 0xff: drop.
  constexpr uint8_t kDrop = 0xff;
  constexpr std::array<std::array<uint8_t, 4>, 4> kTable{{
      {kEcnNotEct, kEcnNotEct, kEcnNotEct, kDrop},
      {kEcnEct0, kEcnEct0, kEcnEct1, kEcnCe},
      {kEcnEct1, kEcnEct1, kEcnEct1, kEcnCe},
      {kEcnCe, kEcnCe, kEcnCe, kEcnCe},
  }};
  for (size_t inner = 0; inner < 4; ++inner) {
    for (size_t outer = 0; outer < 4; ++outer) {
      const auto got = decapsulated_ecn(kCodepoints[outer], kCodepoints[inner]);
      SCOPED_TRACE("inner " + std::to_string(inner) + " outer " + std::to_string(outer));
      if (kTable[inner][outer] == kDrop) {
        EXPECT_FALSE(got.has_value());
      } else {
        ASSERT_TRUE(got.has_value());
        EXPECT_EQ(*got, kTable[inner][outer]);
      }
    }
  }
  // DSCP bits in the outer byte do not matter.
  EXPECT_EQ(decapsulated_ecn(0xb8 | kEcnCe, 0x28 | kEcnEct0), kEcnCe);
}

TEST(Ecn, SetKeepsTheIpv4ChecksumAndDscp) {
  std::array<uint8_t, 20> ip{0x45, 0xb8 | kEcnEct0, 0, 20, 0, 1, 0x40, 0, 64, 6};
  ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
  const uint16_t sum = ipv4_header_checksum(ip.data(), 20);
  ip[10] = uint8_t(sum >> 8), ip[11] = uint8_t(sum);
  set_ip_ecn(ip.data(), kEcnCe);
  EXPECT_EQ(ip[1], 0xb8 | kEcnCe);
  EXPECT_EQ(ip_tos(ip.data()), 0xb8 | kEcnCe);
  EXPECT_EQ(ipv4_header_checksum(ip.data(), 20), 0);  // still valid
}

TEST(Ecn, Ipv6TrafficClassSpansTwoBytes) {
  std::array<uint8_t, 40> ip{};
  ip[0] = 0x6b;  // version 6, traffic class high nibble 0xb
  ip[1] = 0x8a;  // traffic class low nibble 0x8 (ECN 00), flow label bits 0xa
  EXPECT_EQ(ip_tos(ip.data()), 0xb8);
  set_ip_ecn(ip.data(), kEcnEct1);
  EXPECT_EQ(ip_tos(ip.data()), 0xb9);
  EXPECT_EQ(ip[0], 0x6b);
  EXPECT_EQ(ip[1] & 0x0f, 0x0a);  // the flow label is untouched
}

}  // namespace
}  // namespace openvpc::packet
