// flow_hash.h — hash functions over flows.
//
// flow_worker_hash() is symmetric: a packet and its reply (source and destination swapped)
// hash the same, so the router sends both directions of a flow to one worker and nothing on
// the fast path needs a lock. For a packet from the underlay the router hashes the *inner*
// tuple (packet::parse_ip fills PacketMeta::tuple from the inner packet). Pick the worker as
// flow_worker_hash(tuple) % worker_count.
//
// mix_words() is the table hash (not symmetric), a multiply-xor mix over 64-bit words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet/parser.h"

namespace openvpc::dataplane {

inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

template <size_t N>
inline uint64_t mix_words(const uint64_t (&words)[N]) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < N; ++i) h = (h ^ words[i]) * 0xff51afd7ed558ccdULL + (h >> 29);
  return mix64(h);
}

inline uint64_t endpoint_hash(const packet::IpAddress& address, uint16_t port) {
  uint64_t hi, lo;
  std::memcpy(&hi, address.bytes.data(), 8);
  std::memcpy(&lo, address.bytes.data() + 8, 8);
  return mix64(hi ^ mix64(lo ^ (uint64_t{port} << 48)));
}

// Same value for (a -> b) and (b -> a).
inline uint32_t flow_worker_hash(const packet::FiveTuple& tuple) {
  const uint64_t a = endpoint_hash(tuple.src, tuple.src_port);
  const uint64_t b = endpoint_hash(tuple.dst, tuple.dst_port);
  return uint32_t(mix64((a + b) ^ tuple.protocol));
}

}  // namespace openvpc::dataplane
