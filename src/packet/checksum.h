// checksum.h — the Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// All values are host order; callers store results with store_be16. checksum_partial
// accumulates 16-bit big-endian words into a 32-bit ones-complement sum that can be chained
// (only the last chunk may have an odd size); checksum_fold turns a sum into the wire value.
// The incremental updates implement RFC 1624 equation 3, so a rewritten field (address, port,
// TTL) never needs a pass over the packet, and the result equals a full recomputation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet/address.h"

namespace openvpc::packet {

// Ones-complement accumulate of data[0..size) onto sum. Never overflows for any size; the
// result is at most 0xffff, so callers may add further 16-bit words before checksum_fold.
uint32_t checksum_partial(const uint8_t* data, size_t size, uint32_t sum = 0);
// Folds the carries and complements: the value to store in a checksum field (host order).
uint16_t checksum_fold(uint32_t sum);
// Checksum of an IPv4 header whose checksum field is zero (or the verification value:
// 0 over a header with a correct checksum in place).
uint16_t ipv4_header_checksum(const uint8_t* ip, size_t ihl_bytes);
// Whether an IPv4 header of ihl_bytes (20 to 60) carries a correct checksum (RFC 1812
// 5.2.2): its ones-complement sum is 0xffff. The 20-byte header without options, the one
// nearly every packet has, is five loads and a fold; the sum does not depend on byte order.
inline bool ipv4_header_checksum_valid(const uint8_t* ip, size_t ihl_bytes) {
  if (ihl_bytes != 20) return ipv4_header_checksum(ip, ihl_bytes) == 0;
  uint32_t words[5];
  std::memcpy(words, ip, sizeof words);
  uint64_t sum = uint64_t{words[0]} + words[1] + words[2] + words[3] + words[4];
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  uint32_t folded = uint32_t(sum & 0xffff) + uint32_t(sum >> 16);
  folded = (folded & 0xffff) + (folded >> 16);
  return folded == 0xffff;
}
// TCP/UDP/ICMPv6 checksum with the pseudo-header (IPv4 or IPv6 by src.is_v4()). The checksum
// field inside l4 must be zero when computing; over a segment with its checksum in place the
// result is 0 when the checksum is valid. UDP senders store 0xffff for a computed 0.
uint16_t l4_checksum(const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                     const uint8_t* l4, size_t l4_size);
// RFC 1624 eqn 3: HC' = ~(~HC + ~m + m').
uint16_t checksum_update16(uint16_t old_checksum, uint16_t old_field, uint16_t new_field);
uint16_t checksum_update32(uint16_t old_checksum, uint32_t old_field, uint32_t new_field);
// Both halves of each 32-bit word of a 16-byte (IPv6 or mapped) address.
uint16_t checksum_update_address(uint16_t old_checksum, const IpAddress& old_address,
                                 const IpAddress& new_address);

}  // namespace openvpc::packet
