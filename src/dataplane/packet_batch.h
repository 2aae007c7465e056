// packet_batch.h — the port model and the per-packet record the pipeline works on.
//
// Ports: an ENI port carries Ethernet frames of one attached ENI (identified by its 32-bit
// ENI number); the underlay port carries IPv4 packets that start at the outer header
// (outer IPv4 / UDP 6081 / Geneve / inner IP), in and out.
//
// Buffers belong to the caller (the router's ports). Packet::data points at the first byte
// of the packet; `headroom` bytes in front of it and `capacity` bytes from it are writable,
// so encapsulation prepends in place (kMinHeadroom is enough for it) and decapsulation just
// moves `data` forward. process() rewrites data/size and fills the result fields; it never
// keeps a pointer to a packet after it returns.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/verdict.h"
#include "packet/parser.h"
#include "program/program.h"

namespace openvpc::dataplane {

inline constexpr size_t kMaxBatch = 256;
inline constexpr uint16_t kMinHeadroom = 64;
inline constexpr uint8_t kGsoNone = 0;   // VIRTIO_NET_HDR_GSO_NONE
inline constexpr uint8_t kGsoTcpv4 = 1;  // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr uint8_t kGsoTcpv6 = 4;  // VIRTIO_NET_HDR_GSO_TCPV6

enum class PortKind : uint8_t { none, eni, underlay, gateway };

struct Port {
  PortKind kind = PortKind::none;
  uint32_t id = 0;  // ENI number (eni), gateway number (gateway), 0 otherwise

  static Port eni(uint32_t id) { return {PortKind::eni, id}; }
  static Port underlay() { return {PortKind::underlay, 0}; }
  bool operator==(const Port&) const = default;
};

struct Packet {
  // In: the buffer and where the packet came from.
  uint8_t* data = nullptr;
  uint16_t size = 0;
  uint16_t headroom = 0;  // writable bytes before data
  uint16_t capacity = 0;  // writable bytes from data on (>= size)
  Port in_port;
  // TCP segmentation offload (in and out): a TSO super-frame of gso_type kGsoTcpv4/kGsoTcpv6
  // stands for the segments of gso_size payload bytes each that its headers and payload cut
  // into. From an ENI the router copies them from the TAP's virtio-net header; from the
  // underlay the pipeline reads them from the VPC Geneve option. The pipeline keeps them on a
  // forwarded packet (written into the option when encapsulating) and clears them on an ICMP
  // error; the router writes a virtio-net header from them when it delivers to a TAP.
  uint16_t gso_size = 0;
  uint8_t gso_type = 0;  // kGsoNone / kGsoTcpv4 / kGsoTcpv6 (the virtio-net values)
  // Out: filled by Pipeline::process().
  Verdict verdict = Verdict::drop;
  DropReason drop_reason = DropReason::none;
  packet::ParseError parse_error = packet::ParseError::none;
  program::RouteTargetKind gateway_kind = program::RouteTargetKind::local;
  Port out_port;
};

using PacketBatch = std::span<Packet>;

}  // namespace openvpc::dataplane
