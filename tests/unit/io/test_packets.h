// test_packets.h — hand-built packets and an independent checksum check for the io tests.
//
// Deliberately separate from src/packet and src/io/offload.cc: the tests verify offload
// results against this second, naive implementation (a full recomputation, byte by byte).
#pragma once

#include <cstdint>
#include <vector>

namespace openvpc::io::testing {

inline void put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
  v[at] = uint8_t(x >> 8);
  v[at + 1] = uint8_t(x);
}
inline void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  put16(v, at, uint16_t(x >> 16));
  put16(v, at + 2, uint16_t(x));
}
inline uint16_t get16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return uint32_t(get16(p)) << 16 | get16(p + 2);
}

// Ones'-complement sum, folded, of `size` bytes (odd byte padded), plus `initial`.
inline uint16_t ones_sum(const uint8_t* p, size_t size, uint32_t initial = 0) {
  uint64_t sum = initial;
  for (size_t i = 0; i < size; ++i) sum += (i % 2 == 0) ? uint32_t(p[i]) << 8 : p[i];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

// True when an IPv4 header's checksum verifies.
inline bool ipv4_header_checksum_ok(const uint8_t* ip) {
  return ones_sum(ip, (ip[0] & 0x0f) * 4u) == 0xffff;
}

// Pseudo-header sum (not folded to 16 bits is fine: ones_sum folds) for v4 or v6.
inline uint32_t pseudo_sum(const uint8_t* ip, uint8_t protocol, uint32_t l4_size) {
  const bool v4 = (ip[0] >> 4) == 4;
  return ones_sum(v4 ? ip + 12 : ip + 8, v4 ? 8 : 32) + protocol + l4_size;
}

// True when the L4 checksum of [l4, l4+l4_size) verifies against the IP header at `ip`.
inline bool l4_checksum_ok(const uint8_t* ip, uint8_t protocol, const uint8_t* l4,
                           uint32_t l4_size) {
  return ones_sum(l4, l4_size, pseudo_sum(ip, protocol, l4_size)) == 0xffff;
}

struct Mac {
  uint8_t b[6];
};

inline void append_ethernet(std::vector<uint8_t>& v, Mac dst, Mac src, uint16_t type) {
  v.insert(v.end(), dst.b, dst.b + 6);
  v.insert(v.end(), src.b, src.b + 6);
  v.push_back(uint8_t(type >> 8));
  v.push_back(uint8_t(type));
}

// Appends an IPv4 header (no options) with a correct checksum; returns its offset.
inline size_t append_ipv4(std::vector<uint8_t>& v, uint32_t src, uint32_t dst, uint8_t protocol,
                          uint16_t payload_size, uint16_t id = 0x1234, uint8_t ihl_words = 5) {
  const size_t at = v.size();
  v.resize(at + ihl_words * 4u, 0);
  v[at] = uint8_t(0x40 | ihl_words);
  put16(v, at + 2, uint16_t(ihl_words * 4u + payload_size));
  put16(v, at + 4, id);
  put16(v, at + 6, 0x4000);  // DF
  v[at + 8] = 64;
  v[at + 9] = protocol;
  put32(v, at + 12, src);
  put32(v, at + 16, dst);
  put16(v, at + 10, uint16_t(~ones_sum(&v[at], ihl_words * 4u)));
  return at;
}

// Appends an IPv6 header; returns its offset. Addresses are fd00::<src> / fd00::<dst>.
inline size_t append_ipv6(std::vector<uint8_t>& v, uint8_t src, uint8_t dst, uint8_t next,
                          uint16_t payload_size) {
  const size_t at = v.size();
  v.resize(at + 40, 0);
  v[at] = 0x60;
  put16(v, at + 4, payload_size);
  v[at + 6] = next;
  v[at + 7] = 64;
  v[at + 8] = 0xfd;
  v[at + 23] = src;
  v[at + 24] = 0xfd;
  v[at + 39] = dst;
  return at;
}

}  // namespace openvpc::io::testing
