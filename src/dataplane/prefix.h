// prefix.h — a CIDR compiled for matching: two masked 64-bit words.
//
// program::Cidr::contains() walks bytes; the data plane matches prefixes in every ACL, route
// and subnet check, so it compiles each CIDR once into Prefix, whose contains() is two loads,
// two ANDs and two compares for either family (addresses are 16-byte v4-mapped, address.h).
// Words are in memory order, so the comparison is the same on any endianness.
#pragma once

#include <cstdint>
#include <cstring>

#include "program/cidr.h"

namespace openvpc::dataplane {

// Equality of two 16-byte addresses as two word compares (std::array's == may call memcmp).
inline bool same_address(const packet::IpAddress& a, const packet::IpAddress& b) {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.bytes.data(), 8);
  std::memcpy(&a1, a.bytes.data() + 8, 8);
  std::memcpy(&b0, b.bytes.data(), 8);
  std::memcpy(&b1, b.bytes.data() + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

struct Prefix {
  uint64_t high = 0;
  uint64_t low = 0;
  uint64_t mask_high = 0;
  uint64_t mask_low = 0;

  static Prefix from(const program::Cidr& cidr) {
    uint8_t mask[16] = {};
    int bits = cidr.mapped_prefix_length();
    for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
      mask[i] = bits >= 8 ? 0xff : uint8_t(0xff << (8 - bits));
    }
    Prefix p;
    std::memcpy(&p.mask_high, mask, 8);
    std::memcpy(&p.mask_low, mask + 8, 8);
    std::memcpy(&p.high, cidr.address.bytes.data(), 8);
    std::memcpy(&p.low, cidr.address.bytes.data() + 8, 8);
    p.high &= p.mask_high;
    p.low &= p.mask_low;
    return p;
  }

  bool contains(const packet::IpAddress& a) const {
    uint64_t h, l;
    std::memcpy(&h, a.bytes.data(), 8);
    std::memcpy(&l, a.bytes.data() + 8, 8);
    return ((h & mask_high) == high) & ((l & mask_low) == low);
  }
};

}  // namespace openvpc::dataplane
