#include "dataplane/flow_cache.h"

#include <cstring>

#include "dataplane/flow_hash.h"

namespace openvpc::dataplane {
namespace {

void put_tuple(FlowKey& key, const packet::FiveTuple& t, uint64_t origin) {
  std::memcpy(&key.words[0], t.src.bytes.data(), 16);
  std::memcpy(&key.words[2], t.dst.bytes.data(), 16);
  key.words[4] = (uint64_t{t.src_port} << 48) | (uint64_t{t.dst_port} << 32) |
                 (uint64_t{t.protocol} << 24) | (uint64_t{t.ip_version} << 16) | origin;
}

}  // namespace

FlowKey FlowKey::from_eni(uint32_t eni, const packet::FiveTuple& tuple) {
  FlowKey key;
  put_tuple(key, tuple, 1);
  key.words[5] = uint64_t{eni} << 32;
  return key;
}

FlowKey FlowKey::from_underlay(uint32_t destination_eni, uint32_t source_eni, uint32_t outer_src_v4,
                               uint32_t vni, const packet::FiveTuple& tuple) {
  FlowKey key;
  put_tuple(key, tuple, 2);
  key.words[5] = (uint64_t{destination_eni} << 32) | source_eni;
  key.words[6] = (uint64_t{outer_src_v4} << 32) | vni;
  return key;
}

// Two independent multiply-xor lanes over the seven words, then one finalizer: a third of
// the multiplies of mix_words(), and this runs once per packet.
uint64_t FlowKey::hash() const {
  constexpr uint64_t k1 = 0x9e3779b97f4a7c15ULL;
  constexpr uint64_t k2 = 0xc2b2ae3d27d4eb4fULL;
  uint64_t a = (words[0] ^ words[4]) * k1;
  uint64_t b = (words[1] ^ words[5]) * k2;
  a = (a ^ (a >> 29) ^ words[2] ^ words[6]) * k2;
  b = (b ^ (b >> 31) ^ words[3]) * k1;
  return mix64(a ^ (b >> 1) ^ (b << 63));
}

}  // namespace openvpc::dataplane
