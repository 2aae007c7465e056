// underlay_headers.h — puts back the outer IPv4 + UDP headers the UDP socket took off.
//
// The underlay is received on a UDP socket (io/underlay_socket.h), which hands over the
// payload from the Geneve header on; the pipeline wants whole outer packets (outer IPv4 /
// UDP 6081 / Geneve / inner) because the isolation rule checks the outer source address. The
// receive buffer leaves kUnderlayHeadersSize bytes in front of the payload and this writes
// them: the peer as source, this host as destination, UDP checksum 0 (not checked again: the
// kernel verified the datagram).
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/parser.h"

namespace openvpc::io {

inline constexpr size_t kUnderlayHeadersSize = 28;  // IPv4 (no options) + UDP

// Writes the 28 bytes at `out`; payload_size bytes of UDP payload follow them. `tos` is the
// received datagram's TOS byte (its ECN field matters at decapsulation, packet/ecn.h). Returns
// false when the datagram would not fit one IPv4 packet.
inline bool write_underlay_headers(uint8_t* out, uint32_t source, uint32_t destination,
                                   uint16_t source_port, uint16_t destination_port,
                                   size_t payload_size, uint8_t tos = 0) {
  if (payload_size + kUnderlayHeadersSize > 65535) return false;
  const uint16_t total = uint16_t(payload_size + kUnderlayHeadersSize);
  packet::store_be32(out, 0x45000000u | uint32_t(tos) << 16 | total);
  packet::store_be32(out + 4, 0x00004000);  // id 0, DF
  packet::store_be32(out + 8, uint32_t(64) << 24 | uint32_t(packet::kProtoUdp) << 16);
  packet::store_be32(out + 12, source);
  packet::store_be32(out + 16, destination);
  packet::store_be16(out + 10, packet::ipv4_header_checksum(out, 20));
  packet::store_be32(out + 20, uint32_t(source_port) << 16 | destination_port);
  packet::store_be32(out + 24, uint32_t(total - 20) << 16);
  return true;
}

}  // namespace openvpc::io
