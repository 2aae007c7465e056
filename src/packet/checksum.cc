// checksum.cc — RFC 1071 sums and RFC 1624 updates.
#include "packet/checksum.h"

namespace openvpc::packet {
namespace {

uint32_t fold32(uint64_t sum) {
  while (sum >> 32) sum = (sum & 0xffffffff) + (sum >> 32);
  return uint32_t(sum);
}

}  // namespace

uint32_t checksum_partial(const uint8_t* data, size_t size, uint32_t sum) {
  // 32-bit big-endian words into a 64-bit accumulator: the ones-complement sum of 16-bit
  // words equals the folded sum of 32-bit words, and 2^32 words cannot overflow 64 bits.
  uint64_t acc = sum;
  size_t at = 0;
  for (; at + 4 <= size; at += 4) acc += load_be32(data + at);
  if (at + 2 <= size) {
    acc += load_be16(data + at);
    at += 2;
  }
  if (at < size) acc += uint32_t(data[at]) << 8;  // odd trailing byte, padded with zero
  // Fold to 16 bits so a caller may add further words to the result without overflow.
  uint32_t sum32 = fold32(acc);
  sum32 = (sum32 & 0xffff) + (sum32 >> 16);
  return (sum32 & 0xffff) + (sum32 >> 16);
}

uint16_t checksum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

uint16_t ipv4_header_checksum(const uint8_t* ip, size_t ihl_bytes) {
  return checksum_fold(checksum_partial(ip, ihl_bytes));
}

uint16_t l4_checksum(const IpAddress& src, const IpAddress& dst, uint8_t protocol,
                     const uint8_t* l4, size_t l4_size) {
  uint64_t sum = 0;
  if (src.is_v4()) {
    sum += load_be32(src.v4_wire());
    sum += load_be32(dst.v4_wire());
  } else {
    sum += checksum_partial(src.bytes.data(), 16);
    sum += checksum_partial(dst.bytes.data(), 16);
  }
  sum += uint32_t(l4_size);  // upper-layer length (16 bits for IPv4, 32 for IPv6)
  sum += protocol;
  return checksum_fold(checksum_partial(l4, l4_size, fold32(sum)));
}

uint16_t checksum_update16(uint16_t old_checksum, uint16_t old_field, uint16_t new_field) {
  uint32_t sum = uint32_t(uint16_t(~old_checksum)) + uint16_t(~old_field) + new_field;
  return checksum_fold(sum);
}

uint16_t checksum_update32(uint16_t old_checksum, uint32_t old_field, uint32_t new_field) {
  uint32_t sum = uint32_t(uint16_t(~old_checksum)) + uint16_t(~(old_field >> 16)) +
                 uint16_t(~old_field) + (new_field >> 16) + (new_field & 0xffff);
  return checksum_fold(sum);
}

uint16_t checksum_update_address(uint16_t old_checksum, const IpAddress& old_address,
                                 const IpAddress& new_address) {
  uint16_t checksum = old_checksum;
  for (size_t at = 0; at < 16; at += 4) {
    checksum = checksum_update32(checksum, load_be32(&old_address.bytes[at]),
                                 load_be32(&new_address.bytes[at]));
  }
  return checksum;
}

}  // namespace openvpc::packet
