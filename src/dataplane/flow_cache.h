// flow_cache.h — the per-worker exact-match cache of classified flows.
//
// A FlowKey names one direction of a flow as it enters this router: for packets from an
// ENI, (ENI, 5-tuple); for packets from the underlay, (destination ENI, source ENI, outer
// source, VNI, 5-tuple) — everything the isolation rule looked at, so a hit can never
// accept a packet the slow path would refuse. A FlowEntry holds the compiled FlowAction, the
// program generation it was computed under (stale entries are re-classified lazily) and the
// connection-table ENI slots whose connection every packet must pass (ConnectionStage): when
// such a connection is gone (closed, expired, an untracked flow of an older generation), the
// entry is stale and the packet takes the slow path. Drops are cached too (they are re-checked on a
// generation change or when a connection is created for the reverse direction).
//
// Fixed memory chosen at construction (BucketTable): no rehash, LRU eviction per bucket.
// One per worker; not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dataplane/bucket_table.h"
#include "dataplane/conntrack/conntrack_table.h"
#include "dataplane/flow_hash.h"
#include "dataplane/verdict.h"
#include "packet/geneve.h"
#include "packet/parser.h"
#include "program/program.h"

namespace openvpc::dataplane {

struct FlowKey {
  uint64_t words[7] = {};

  // Inline (below): built and hashed once per packet.
  static FlowKey from_eni(uint32_t eni, const packet::FiveTuple& tuple);
  static FlowKey from_underlay(uint32_t destination_eni, uint32_t source_eni, uint32_t outer_src_v4,
                               uint32_t vni, const packet::FiveTuple& tuple);
  uint64_t hash() const;
  // Once per packet (a flow-cache hit): three 16-byte compares and a word where SSE2 is.
  bool operator==(const FlowKey& other) const {
#if defined(__SSE2__)
    const auto same = [&](size_t at) {
      return _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&words[at])),
                            _mm_loadu_si128(reinterpret_cast<const __m128i*>(&other.words[at])));
    };
    const __m128i all = _mm_and_si128(_mm_and_si128(same(0), same(2)), same(4));
    return _mm_movemask_epi8(all) == 0xffff && words[6] == other.words[6];
#else
    uint64_t diff = 0;
    for (int i = 0; i < 7; ++i) diff |= words[i] ^ other.words[i];
    return diff == 0;
#endif
  }
};

// What to do with every packet of a flow. Per-packet work (TTL, lengths, checksums) is done
// by apply_action(); everything constant for the flow is precomputed here.
struct FlowAction {
  Verdict verdict = Verdict::drop;
  DropReason drop_reason = DropReason::none;
  // to_gateway: the gateway's kind; encapsulate: nat_gateway when the route targets a NAT
  // gateway (out_id its number), local otherwise.
  program::RouteTargetKind gateway_kind = program::RouteTargetKind::local;
  bool decrement_ttl = false;
  bool via_load_balancer = false;  // encapsulate: to a load balancer's node (out_id: its id)
  uint32_t out_id = 0;             // destination ENI (deliver) or gateway number
  int32_t destination_index = -1;  // local index of the destination ENI (deliver)
  packet::MacAddress dst_mac;      // deliver: the destination ENI's MAC
  packet::MacAddress src_mac;      // deliver: the router's MAC
  uint16_t outer_src_port = 0;     // encapsulate
  uint16_t vpc_flags = 0;
  uint32_t outer_dst_v4 = 0;         // host order
  uint32_t outer_checksum_base = 0;  // see actions.h
  uint32_t vni = 0;
  uint32_t source_eni = 0;
  uint32_t destination_eni = 0;
  uint16_t mtu = 0;  // the path MTU when it is not the verdict's usual one (actions.h path_mtu)
};

inline constexpr uint16_t kNoConnectionSlot = 0xffff;

struct FlowEntry {
  FlowAction action;
  uint64_t generation = 0;
  // Connection-table ENI slots tracking this flow, kNoConnectionSlot when none: [0] the ENI
  // it entered from (or, from the underlay, is delivered to), [1] a local destination ENI.
  uint16_t connection_slots[2] = {kNoConnectionSlot, kNoConnectionSlot};
  // Where each of those connections was last seen (a hint that spares the per-packet lookup).
  conntrack::ConnectionRef connection_refs[2];
  // encapsulate: the outer headers prebuilt when the entry was installed (actions.h
  // prebuild_outer_header, from the action and the program's host address; the entry's
  // generation is that program's); all zero when not built.
  uint8_t outer_header[packet::kGeneveEncapSize] = {};
};

using FlowCache = BucketTable<FlowKey, FlowEntry>;

namespace flow_key_detail {

inline void put_tuple(FlowKey& key, const packet::FiveTuple& t, uint64_t origin) {
  std::memcpy(&key.words[0], t.src.bytes.data(), 16);
  std::memcpy(&key.words[2], t.dst.bytes.data(), 16);
  key.words[4] = (uint64_t{t.src_port} << 48) | (uint64_t{t.dst_port} << 32) |
                 (uint64_t{t.protocol} << 24) | (uint64_t{t.ip_version} << 16) | origin;
}

}  // namespace flow_key_detail

inline FlowKey FlowKey::from_eni(uint32_t eni, const packet::FiveTuple& tuple) {
  FlowKey key;
  flow_key_detail::put_tuple(key, tuple, 1);
  key.words[5] = uint64_t{eni} << 32;
  return key;
}

inline FlowKey FlowKey::from_underlay(uint32_t destination_eni, uint32_t source_eni,
                                      uint32_t outer_src_v4, uint32_t vni,
                                      const packet::FiveTuple& tuple) {
  FlowKey key;
  flow_key_detail::put_tuple(key, tuple, 2);
  key.words[5] = (uint64_t{destination_eni} << 32) | source_eni;
  key.words[6] = (uint64_t{outer_src_v4} << 32) | vni;
  return key;
}

// Two independent multiply-xor lanes over the seven words, then one finalizer: a third of
// the multiplies of mix_words(), and this runs once per packet.
inline uint64_t FlowKey::hash() const {
  constexpr uint64_t k1 = 0x9e3779b97f4a7c15ULL;
  constexpr uint64_t k2 = 0xc2b2ae3d27d4eb4fULL;
  uint64_t a = (words[0] ^ words[4]) * k1;
  uint64_t b = (words[1] ^ words[5]) * k2;
  a = (a ^ (a >> 29) ^ words[2] ^ words[6]) * k2;
  b = (b ^ (b >> 31) ^ words[3]) * k1;
  return mix64(a ^ (b >> 1) ^ (b << 63));
}

}  // namespace openvpc::dataplane
