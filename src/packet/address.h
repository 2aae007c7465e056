// address.h — IP and MAC addresses as values.
//
// IpAddress holds IPv4 and IPv6 in one 16-byte form: IPv4 is stored IPv4-mapped
// (::ffff:a.b.c.d), so a flow key, a hash and a comparison never branch on the family.
// Bytes are in network order. MacAddress is six bytes, network order.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "packet/bytes.h"

namespace openvpc::packet {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(uint32_t host_order) {
    IpAddress a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    store_be32(&a.bytes[12], host_order);
    return a;
  }
  static IpAddress v4_from_wire(const uint8_t* p) {
    IpAddress a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(&a.bytes[12], p, 4);
    return a;
  }
  static IpAddress v6_from_wire(const uint8_t* p) {
    IpAddress a;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  // Parses dotted-quad IPv4 or RFC 5952 / RFC 4291 IPv6 text.
  static std::optional<IpAddress> parse(std::string_view text);

  bool is_v4() const {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes.data(), kMapped, 12) == 0;
  }
  uint32_t v4_host_order() const { return load_be32(&bytes[12]); }
  const uint8_t* v4_wire() const { return &bytes[12]; }
  std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;
};

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  static MacAddress from_wire(const uint8_t* p) {
    MacAddress m;
    std::memcpy(m.bytes.data(), p, 6);
    return m;
  }
  static std::optional<MacAddress> parse(std::string_view text);  // "02:00:00:00:00:01"
  bool is_broadcast() const {
    return bytes == std::array<uint8_t, 6>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  }
  bool is_multicast() const { return bytes[0] & 1; }
  std::string to_string() const;

  auto operator<=>(const MacAddress&) const = default;
};

}  // namespace openvpc::packet
