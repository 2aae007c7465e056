// nat_rewrite.h — rewriting an IPv4 packet's addresses and ports in place, checksums kept.
//
// The internet gateway (src/edge: 1:1 NAT of public <-> private addresses) and the NAT gateway
// (src/hyperplane: address and port) change one side of a packet: source or destination
// address, optionally the port (TCP/UDP port, or the ICMP echo identifier). rewrite_ipv4()
// does that and updates every checksum that covers the changed words incrementally (RFC 1624):
// the IPv4 header checksum, the TCP/UDP checksum through its pseudo-header (a UDP checksum of
// 0 — none — stays 0), the ICMP checksum for an echo identifier. A later fragment (no L4
// header) gets only the address. An L4 checksum that is still partial (a TSO super-frame or
// a virtio NEEDS_CSUM frame: the field holds the pseudo-header sum, not its complement) is
// updated as such.
//
// ICMP errors quote the packet they are about, as that packet was sent: when a NAT rewrites
// the error's destination, the quote's *source* must follow (and the other way round).
// rewrite_icmp_quote() rewrites the quoted packet's side and recomputes the ICMP checksum
// over the message (errors are rare; a full sum keeps it simple).
//
// Preconditions: `packet` is the buffer `meta` was parsed from (offsets are from its start),
// meta is IPv4 and parsed without error. No allocation, no exceptions; hot path for the edge.
#pragma once

#include <cstdint>
#include <span>

#include "packet/bytes.h"
#include "packet/parser.h"

namespace openvpc::dataplane {

enum class NatSide : uint8_t { source, destination };

// Rewrites `side`'s address to `address` (host order) and, when `port` is non-zero and the
// packet has ports (TCP/UDP) or is an ICMP echo, the port / echo id to `port`. Returns the
// previous port (0 when none was rewritten).
uint16_t rewrite_ipv4(std::span<uint8_t> packet, const packet::PacketMeta& meta, NatSide side,
                      uint32_t address, uint16_t port = 0, bool partial_l4_checksum = false);

// For an ICMP error: rewrites the quoted packet's `side` address (and port, as above) and the
// ICMP checksum. False when the packet is not an ICMP error with a usable quote.
bool rewrite_icmp_quote(std::span<uint8_t> packet, const packet::PacketMeta& meta, NatSide side,
                        uint32_t address, uint16_t port = 0);

// Decrements the IPv4 TTL at `ip` with an incremental checksum; false when it would reach 0
// (nothing changed then). Inline: every forwarded packet runs it.
inline bool decrement_ipv4_ttl(uint8_t* ip) {
  const uint8_t ttl = ip[8];
  if (ttl <= 1) return false;
  ip[8] = uint8_t(ttl - 1);
  // RFC 1624 eqn 3 with m' = m - 0x0100: ~m + m' is the constant 0xfeff.
  uint32_t sum = uint32_t(uint16_t(~packet::load_be16(ip + 10))) + 0xfeffu;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  packet::store_be16(ip + 10, uint16_t(~sum));
  return true;
}

}  // namespace openvpc::dataplane
