// offload.h — finishing in software what a TAP's virtio-net header left to "the hardware".
//
// With TUN_F_CSUM/TSO4/TSO6 on, an instance's kernel hands the router frames whose L4
// checksum is only seeded with the pseudo-header sum (kVirtioNeedsChecksum) and TCP
// super-frames of up to 64 KiB (gso_type TCPV4/TCPV6) that a NIC would cut into MSS-sized
// segments. When the router delivers such a frame to another TAP it passes the header along;
// when it must encapsulate it for the underlay, or the destination cannot take offloads, it
// calls these functions first.
//
// Both are pure functions over caller-owned buffers: no allocation, no exceptions, no reads
// or writes outside the spans given. A malformed or unsupported frame is reported by a named
// OffloadError and leaves the outputs unspecified (the input of segment_tcp is never
// changed). Segments come out fully checksummed (IPv4 header and TCP), with sequence numbers,
// IPv4 ids and lengths fixed, FIN/PSH only on the last segment and CWR only on the first —
// what Linux's own GSO produces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "io/frame.h"

namespace openvpc::io {

enum class OffloadError : uint8_t {
  none = 0,
  checksum_offsets_beyond_frame,  // csum_start + csum_offset + 2 > frame size
  not_ip,                         // no IPv4/IPv6 header at the given offset
  ip_header_truncated,
  ip_header_bad,         // IHL < 5, or version does not match gso_type
  not_tcp,               // gso_type says TCP but the IP header does not
  tcp_header_truncated,  // includes data offset < 5 or beyond the frame
  unsupported_gso_type,  // UFO, USO or an unknown type
  gso_size_zero,
  too_many_segments,         // more segments than output frames given
  segment_buffer_too_small,  // an output frame's capacity is below one segment
  segment_too_big,           // a segment would exceed 65535 IP bytes
  count_,                    // number of names; keep last
};
inline constexpr size_t kOffloadErrorCount = size_t(OffloadError::count_);
std::string_view to_string(OffloadError error);

// Writes the final L4 checksum of a kVirtioNeedsChecksum frame in place: the ones'-complement
// sum from csum_start to the end of the frame (the field already holds the pseudo-header sum),
// stored at csum_start + csum_offset; a result of 0 is stored as 0xffff (legal for TCP, and
// required for UDP). A frame without the flag is left as it is and succeeds.
OffloadError complete_checksum(std::span<uint8_t> frame, const VirtioNetHeader& vnet);

// The virtio-net header a TCP super-frame (an Ethernet frame whose IP packet is IPv4 with any
// header length, or IPv6 without extension headers) is written to a TAP with: GSO gso_type /
// gso_size with the TCP checksum left to the receiving kernel (NEEDS_CSUM at the TCP checksum
// field). A zero header (no GSO) for gso_type none or a frame too short to hold the headers.
VirtioNetHeader tso_header(const uint8_t* frame, size_t size, uint8_t gso_type, uint16_t gso_size);

struct SegmentResult {
  OffloadError error = OffloadError::none;
  uint32_t count = 0;  // segments written to the output frames
};

// Number of segments segment_tcp will produce for a frame of `frame_size` bytes whose
// headers end at `headers_size`; at least 1.
uint32_t segment_count(uint32_t frame_size, uint32_t headers_size, uint16_t gso_size);

// Cuts the TSO super-frame `frame` (gso_type TCPV4 or TCPV6, MSS vnet.gso_size) into segments
// written to `segments[i].data` (capacity set by the caller; size and vnet are filled, vnet
// cleared). `l3_offset` is where the IP header starts: 14 for an Ethernet frame from a TAP,
// 18 with one VLAN tag, 0 for a bare IP packet. Bytes before l3_offset are copied to every
// segment unchanged. A frame with gso_type NONE comes out as one segment with its checksum
// completed.
SegmentResult segment_tcp(std::span<const uint8_t> frame, const VirtioNetHeader& vnet,
                          uint32_t l3_offset, std::span<Frame> segments);

}  // namespace openvpc::io
