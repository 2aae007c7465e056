#include "router/underlay_segments.h"

#include <algorithm>

#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/geneve.h"

namespace openvpc::router {

namespace {

// Where the VPC option's flags and GSO size sit in an underlay packet this router's peers
// write: outer IPv4 (20) + UDP (8) + Geneve (8), then the option header (4) and two ENIs (8).
constexpr size_t kOptionAt = 20 + 8 + packet::kGeneveHeaderSize;
constexpr size_t kOptionFlagsAt = kOptionAt + packet::kGeneveOptionHeaderSize + 8;

// One segment of an encapsulated super-frame: its outer lengths and checksum for its size,
// and the option's GSO flag and size cleared (it is a plain packet now).
void fix_outer_headers(uint8_t* outer, size_t size) {
  packet::store_be16(outer + 2, uint16_t(size));
  packet::store_be16(outer + 10, 0);
  packet::store_be16(outer + 10, packet::ipv4_header_checksum(outer, 20));
  packet::store_be16(outer + 24, uint16_t(size - 20));
  const uint16_t flags = packet::load_be16(outer + kOptionFlagsAt);
  packet::store_be16(outer + kOptionFlagsAt, uint16_t(flags & ~packet::kVpcFlagsGso));
  packet::store_be16(outer + kOptionFlagsAt + 2, 0);
}

// Bytes of the inner IP and TCP headers of a super-frame; 0 when they cannot be read (the
// segmenter then reports why).
uint32_t inner_headers_size(std::span<const uint8_t> outer, uint8_t gso_type) {
  const size_t l3 = packet::kGeneveEncapSize;
  size_t l4 = 0;
  if (gso_type == io::kVirtioGsoTcpv4) {
    if (outer.size() < l3 + 20) return 0;
    l4 = l3 + size_t(outer[l3] & 0x0f) * 4;
  } else {
    l4 = l3 + 40;
  }
  if (outer.size() < l4 + 20) return 0;
  return uint32_t(l4 - l3) + uint32_t(outer[l4 + 12] >> 4) * 4;
}

}  // namespace

io::VirtioNetHeader underlay_gso(const uint8_t* outer, size_t size) {
  io::VirtioNetHeader vnet;
  if (size < packet::kGeneveEncapSize || outer[0] != 0x45 ||
      packet::load_be16(outer + kOptionAt) != packet::kVpcOptionClass ||
      (outer[kOptionAt + 2] & 0x7f) != packet::kVpcOptionType) {
    return vnet;
  }
  const uint16_t flags = packet::load_be16(outer + kOptionFlagsAt);
  if ((flags & packet::kVpcFlagsGso) == packet::kVpcFlagGsoTcpv4) {
    vnet.gso_type = io::kVirtioGsoTcpv4;
  } else if ((flags & packet::kVpcFlagsGso) == packet::kVpcFlagGsoTcpv6) {
    vnet.gso_type = io::kVirtioGsoTcpv6;
  }
  vnet.gso_size = packet::load_be16(outer + kOptionFlagsAt + 2);
  return vnet;
}

io::SegmentResult cut_encapsulated(std::span<const uint8_t> outer, io::VirtioNetHeader vnet,
                                   std::span<io::Frame> segments) {
  const io::SegmentResult cut =
      io::segment_tcp(outer, vnet, uint32_t(packet::kGeneveEncapSize), segments);
  if (cut.error != io::OffloadError::none) return cut;
  for (uint32_t i = 0; i < cut.count; ++i) fix_outer_headers(segments[i].data, segments[i].size);
  return cut;
}

io::SegmentResult cut_to_mtu(std::span<const uint8_t> outer, uint32_t mtu,
                             std::span<io::Frame> segments) {
  io::VirtioNetHeader vnet = underlay_gso(outer.data(), outer.size());
  if (vnet.gso_type == io::kVirtioGsoNone) return {};
  const uint32_t headers =
      uint32_t(packet::kGeneveEncapSize) + inner_headers_size(outer, vnet.gso_type);
  if (headers == packet::kGeneveEncapSize) return {io::OffloadError::tcp_header_truncated, 0};
  if (mtu <= headers) return {io::OffloadError::segment_too_big, 0};
  vnet.gso_size = uint16_t(std::min<uint32_t>(vnet.gso_size, mtu - headers));
  return cut_encapsulated(outer, vnet, segments);
}

}  // namespace openvpc::router
