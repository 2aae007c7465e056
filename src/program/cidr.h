// cidr.h — an address block (CIDR) and text helpers for addresses in the program model.
//
// Cidr keeps the prefix length in the family's own terms (0-32 for IPv4, 0-128 for IPv6)
// and the address with the host bits cleared (normalised by make/parse). contains() works on
// the 16-byte v4-mapped form from packet/address.h, so one code path serves both families.
// This is the one CIDR type: the model (model/cidr.h adds EC2's validation and messages), the
// program and the data plane all use it. The text helpers are packet::IpAddress's and
// packet::MacAddress's own parse/to_string under the program's names.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "packet/address.h"

namespace openvpc::program {

using packet::IpAddress;
using packet::MacAddress;

struct Cidr {
  IpAddress address;          // host bits zero
  uint8_t prefix_length = 0;  // 0-32 (IPv4) or 0-128 (IPv6)

  // Clears the host bits; prefix_length is clamped to the family's width.
  static Cidr make(const IpAddress& address, uint8_t prefix_length);
  // "10.0.0.0/16", "0.0.0.0/0", "fd00::/8", or a bare address (a host route).
  static std::optional<Cidr> parse(std::string_view text);

  bool is_v4() const { return address.is_v4(); }
  // Prefix length counted over the 128-bit mapped form (IPv4 /24 -> 120).
  int mapped_prefix_length() const { return is_v4() ? prefix_length + 96 : prefix_length; }
  bool contains(const IpAddress& a) const;
  // `other` lies inside this block (same family, at least as long a prefix).
  bool contains(const Cidr& other) const;
  bool overlaps(const Cidr& other) const { return contains(other) || other.contains(*this); }
  // The block's last address (all host bits set): the broadcast address of an IPv4 subnet.
  IpAddress last() const;
  std::string to_string() const;

  auto operator<=>(const Cidr&) const = default;
};

// Dotted quad for IPv4-mapped addresses, RFC 5952-ish hex groups otherwise.
std::string format_address(const IpAddress& a);
std::string format_mac(const MacAddress& m);
std::optional<IpAddress> parse_address(std::string_view text);
std::optional<MacAddress> parse_mac(std::string_view text);

// Test and tool helper: parse or abort. For literals in code, never for untrusted input.
IpAddress address_literal(std::string_view text);
Cidr cidr_literal(std::string_view text);
MacAddress mac_literal(std::string_view text);

}  // namespace openvpc::program
