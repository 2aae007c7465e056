// frame.h — one packet in a port's batch, and the virtio-net header that rides with it.
//
// A Frame points into a buffer the caller owns: ports never allocate per packet. The caller
// sets `data` and `capacity` once per buffer; receive() fills `size` and `vnet`, send() reads
// them. Invariant: size <= capacity, and `data` stays valid for the whole call.
//
// VirtioNetHeader is struct virtio_net_hdr_v1 (12 bytes), declared by hand because
// <linux/virtio_net.h> does not compile as C++ (a field is named `class`). A TAP opened with
// IFF_VNET_HDR reads and writes it in the host's byte order (little-endian on every machine
// openvpc targets), so the fields are plain integers, not wire bytes. It tells the kernel or
// the router that a frame still needs its L4 checksum (kVirtioNeedsChecksum, from csum_start
// to the end, stored at csum_start + csum_offset) or is a TSO super-frame to be cut into
// gso_size-byte TCP segments (gso_type). A TSO super-frame can exceed 65535 bytes once its
// Ethernet header is counted, so sizes here are 32-bit.
#pragma once

#include <cstdint>

namespace openvpc::io {

struct VirtioNetHeader {
  uint8_t flags = 0;         // kVirtioNeedsChecksum | kVirtioDataValid
  uint8_t gso_type = 0;      // kVirtioGso* (optionally | kVirtioGsoEcn)
  uint16_t hdr_len = 0;      // bytes of headers before the payload (a hint; may be 0)
  uint16_t gso_size = 0;     // payload bytes per segment (the MSS)
  uint16_t csum_start = 0;   // offset where checksumming starts (the L4 header)
  uint16_t csum_offset = 0;  // where, from csum_start, the checksum is stored
  uint16_t num_buffers = 0;  // only with mergeable receive buffers; 0 here
};
static_assert(sizeof(VirtioNetHeader) == 12, "virtio_net_hdr_v1 is 12 bytes");

inline constexpr uint8_t kVirtioNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kVirtioDataValid = 2;      // VIRTIO_NET_HDR_F_DATA_VALID
inline constexpr uint8_t kVirtioGsoNone = 0;        // VIRTIO_NET_HDR_GSO_NONE
inline constexpr uint8_t kVirtioGsoTcpv4 = 1;       // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr uint8_t kVirtioGsoUdp = 3;         // VIRTIO_NET_HDR_GSO_UDP (UFO, legacy)
inline constexpr uint8_t kVirtioGsoTcpv6 = 4;       // VIRTIO_NET_HDR_GSO_TCPV6
inline constexpr uint8_t kVirtioGsoUdpL4 = 5;       // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
inline constexpr uint8_t kVirtioGsoEcn = 0x80;      // VIRTIO_NET_HDR_GSO_ECN

// Largest frame a TAP with TSO hands over: a 64 KiB IP packet plus an Ethernet header and a
// VLAN tag. Buffers for a TapPort with offloads on should be this big.
inline constexpr uint32_t kMaxFrameSize = 65536 + 18;

struct Frame {
  uint8_t* data = nullptr;
  uint32_t size = 0;      // bytes of the frame in data
  uint32_t capacity = 0;  // bytes available at data
  VirtioNetHeader vnet;
};

}  // namespace openvpc::io
