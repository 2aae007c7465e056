// headers.h — zero-copy views of the wire headers openvpc reads and writes.
//
// A view is a pointer to the first byte of a header; accessors decode one field each through
// load_be*/store_be* (bytes.h), never through a cast to a packed struct. A view does not
// check bounds: whoever makes one guarantees that the header's fixed part (the k*Size
// constant) lies inside the buffer — the parser does that once per header. Writable views
// (Mutable*) take uint8_t* and offer setters for the builders.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/address.h"
#include "packet/bytes.h"

namespace openvpc::packet {

inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kVlanTagSize = 4;
inline constexpr size_t kArpSize = 28;  // Ethernet/IPv4 ARP
inline constexpr size_t kIpv4MinHeaderSize = 20;
inline constexpr size_t kIpv6HeaderSize = 40;
inline constexpr size_t kTcpMinHeaderSize = 20;
inline constexpr size_t kUdpHeaderSize = 8;
inline constexpr size_t kIcmpHeaderSize = 8;

class EthernetView {
 public:
  explicit EthernetView(const uint8_t* p) : p_(p) {}
  MacAddress dst() const { return MacAddress::from_wire(p_); }
  MacAddress src() const { return MacAddress::from_wire(p_ + 6); }
  uint16_t ethertype() const { return load_be16(p_ + 12); }  // 0x8100 when tagged
  uint16_t vlan_tci() const { return load_be16(p_ + 14); }   // only when tagged
  uint16_t inner_ethertype() const { return load_be16(p_ + 16); }

 private:
  const uint8_t* p_;
};

class ArpView {
 public:
  explicit ArpView(const uint8_t* p) : p_(p) {}
  uint16_t hardware_type() const { return load_be16(p_); }
  uint16_t protocol_type() const { return load_be16(p_ + 2); }
  uint8_t hardware_size() const { return p_[4]; }
  uint8_t protocol_size() const { return p_[5]; }
  uint16_t operation() const { return load_be16(p_ + 6); }
  MacAddress sender_mac() const { return MacAddress::from_wire(p_ + 8); }
  IpAddress sender_ip() const { return IpAddress::v4_from_wire(p_ + 14); }
  MacAddress target_mac() const { return MacAddress::from_wire(p_ + 18); }
  IpAddress target_ip() const { return IpAddress::v4_from_wire(p_ + 24); }

 private:
  const uint8_t* p_;
};

class Ipv4View {
 public:
  explicit Ipv4View(const uint8_t* p) : p_(p) {}
  uint8_t version() const { return p_[0] >> 4; }
  uint8_t ihl() const { return p_[0] & 0x0f; }  // 32-bit words
  size_t header_size() const { return size_t(ihl()) * 4; }
  uint8_t tos() const { return p_[1]; }
  uint16_t total_length() const { return load_be16(p_ + 2); }
  uint16_t id() const { return load_be16(p_ + 4); }
  bool dont_fragment() const { return p_[6] & 0x40; }
  bool more_fragments() const { return p_[6] & 0x20; }
  uint16_t fragment_offset() const { return uint16_t((load_be16(p_ + 6) & 0x1fff) * 8); }
  uint8_t ttl() const { return p_[8]; }
  uint8_t protocol() const { return p_[9]; }
  uint16_t checksum() const { return load_be16(p_ + 10); }
  IpAddress src() const { return IpAddress::v4_from_wire(p_ + 12); }
  IpAddress dst() const { return IpAddress::v4_from_wire(p_ + 16); }

 private:
  const uint8_t* p_;
};

class Ipv6View {
 public:
  explicit Ipv6View(const uint8_t* p) : p_(p) {}
  uint8_t version() const { return p_[0] >> 4; }
  uint8_t traffic_class() const { return uint8_t((load_be16(p_) >> 4) & 0xff); }
  uint32_t flow_label() const { return load_be32(p_) & 0xfffff; }
  uint16_t payload_length() const { return load_be16(p_ + 4); }
  uint8_t next_header() const { return p_[6]; }
  uint8_t hop_limit() const { return p_[7]; }
  IpAddress src() const { return IpAddress::v6_from_wire(p_ + 8); }
  IpAddress dst() const { return IpAddress::v6_from_wire(p_ + 24); }

 private:
  const uint8_t* p_;
};

class TcpView {
 public:
  explicit TcpView(const uint8_t* p) : p_(p) {}
  uint16_t src_port() const { return load_be16(p_); }
  uint16_t dst_port() const { return load_be16(p_ + 2); }
  uint32_t seq() const { return load_be32(p_ + 4); }
  uint32_t ack() const { return load_be32(p_ + 8); }
  uint8_t data_offset() const { return p_[12] >> 4; }  // 32-bit words
  size_t header_size() const { return size_t(data_offset()) * 4; }
  uint8_t flags() const { return p_[13]; }
  uint16_t window() const { return load_be16(p_ + 14); }
  uint16_t checksum() const { return load_be16(p_ + 16); }
  uint16_t urgent_pointer() const { return load_be16(p_ + 18); }

 private:
  const uint8_t* p_;
};

class UdpView {
 public:
  explicit UdpView(const uint8_t* p) : p_(p) {}
  uint16_t src_port() const { return load_be16(p_); }
  uint16_t dst_port() const { return load_be16(p_ + 2); }
  uint16_t length() const { return load_be16(p_ + 4); }
  uint16_t checksum() const { return load_be16(p_ + 6); }

 private:
  const uint8_t* p_;
};

// ICMP and ICMPv6 share the first 8 bytes: type, code, checksum, 4 bytes that depend on type.
class IcmpView {
 public:
  explicit IcmpView(const uint8_t* p) : p_(p) {}
  uint8_t type() const { return p_[0]; }
  uint8_t code() const { return p_[1]; }
  uint16_t checksum() const { return load_be16(p_ + 2); }
  uint16_t echo_id() const { return load_be16(p_ + 4); }
  uint16_t echo_sequence() const { return load_be16(p_ + 6); }
  uint32_t rest() const { return load_be32(p_ + 4); }

 private:
  const uint8_t* p_;
};

// ICMPv6 neighbor discovery (RFC 4861). NS and NA: 24 bytes (+ options), target at 8.
inline constexpr uint8_t kIcmpv6RouterSolicitation = 133;
inline constexpr uint8_t kIcmpv6RouterAdvertisement = 134;
inline constexpr uint8_t kIcmpv6NeighborSolicitation = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvertisement = 136;
inline constexpr uint8_t kNdOptionSourceLinkAddress = 1;
inline constexpr uint8_t kNdOptionTargetLinkAddress = 2;

class NeighborDiscoveryView {
 public:
  explicit NeighborDiscoveryView(const uint8_t* p) : p_(p) {}
  uint8_t type() const { return p_[0]; }
  // NS / NA only.
  IpAddress target() const { return IpAddress::v6_from_wire(p_ + 8); }
  // NA flags: router, solicited, override.
  bool router() const { return p_[4] & 0x80; }
  bool solicited() const { return p_[4] & 0x40; }
  bool override_flag() const { return p_[4] & 0x20; }
  // RA only.
  uint8_t current_hop_limit() const { return p_[4]; }
  uint16_t router_lifetime() const { return load_be16(p_ + 6); }

 private:
  const uint8_t* p_;
};

// Size of the fixed part of an ND message (the options follow), 0 if type is not ND.
inline size_t nd_fixed_size(uint8_t type) {
  switch (type) {
    case kIcmpv6RouterSolicitation:
      return 8;
    case kIcmpv6RouterAdvertisement:
      return 16;
    case kIcmpv6NeighborSolicitation:
    case kIcmpv6NeighborAdvertisement:
      return 24;
    default:
      return 0;
  }
}

class GeneveView {
 public:
  explicit GeneveView(const uint8_t* p) : p_(p) {}
  uint8_t version() const { return p_[0] >> 6; }
  size_t options_size() const { return size_t(p_[0] & 0x3f) * 4; }
  bool oam() const { return p_[1] & 0x80; }
  bool critical() const { return p_[1] & 0x40; }
  uint16_t protocol_type() const { return load_be16(p_ + 2); }
  uint32_t vni() const { return load_be24(p_ + 4); }

 private:
  const uint8_t* p_;
};

class GeneveOptionView {
 public:
  explicit GeneveOptionView(const uint8_t* p) : p_(p) {}
  uint16_t option_class() const { return load_be16(p_); }
  bool critical() const { return p_[2] & 0x80; }
  uint8_t type() const { return p_[2]; }  // including the critical bit
  size_t data_size() const { return size_t(p_[3] & 0x1f) * 4; }
  const uint8_t* data() const { return p_ + 4; }

 private:
  const uint8_t* p_;
};

}  // namespace openvpc::packet
