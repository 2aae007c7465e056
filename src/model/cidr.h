// cidr.h — IPv4 addresses and CIDR blocks as the VPC model uses them.
//
// Invariants: an Ipv4Cidr always has its host bits clear (parse rejects "10.0.0.1/16") and a
// prefix length 0..32. Addresses are host-order uint32_t.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace openvpc::model {

Result<uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(uint32_t address);

struct Ipv4Cidr {
  uint32_t base = 0;
  int prefix_length = 0;

  // Fails with InvalidParameterValue for malformed text or host bits set.
  static Result<Ipv4Cidr> parse(std::string_view text);
  std::string str() const;
  uint32_t mask() const { return prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length); }
  uint32_t last() const { return base | ~mask(); }
  bool contains(uint32_t address) const { return (address & mask()) == base; }
  bool contains(const Ipv4Cidr& other) const {
    return other.prefix_length >= prefix_length && contains(other.base);
  }
  bool overlaps(const Ipv4Cidr& other) const {
    return contains(other.base) || other.contains(base);
  }
  // EC2 reserves the network address, base+1 (router), base+2 (DNS), base+3, and the last.
  bool is_reserved(uint32_t address) const { return address <= base + 3 || address == last(); }
  bool operator==(const Ipv4Cidr&) const = default;
};

}  // namespace openvpc::model
