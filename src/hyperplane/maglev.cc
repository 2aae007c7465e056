#include "hyperplane/maglev.h"

namespace openvpc::hyperplane {

namespace {

uint64_t mix64(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint64_t maglev_key(uint32_t address, uint16_t port) {
  return mix64(uint64_t(address) << 16 | port | 0x4d41474c00000000ull);
}

MaglevTable::MaglevTable(std::span<const uint64_t> target_keys, uint32_t size) {
  if (target_keys.empty() || size < 2) return;
  slots_.assign(size, -1);
  const size_t n = target_keys.size();
  // Each target's permutation: offset, offset + skip, offset + 2 skip, ... (mod size); the
  // paper's two independent hashes of the name are two mixes of the key.
  std::vector<uint32_t> position(n), skip(n);
  for (size_t i = 0; i < n; ++i) {
    position[i] = uint32_t(mix64(target_keys[i]) % size);
    skip[i] = uint32_t(mix64(target_keys[i] ^ 0x9e3779b97f4a7c15ull) % (size - 1)) + 1;
  }
  uint32_t filled = 0;
  for (;;) {
    for (size_t i = 0; i < n; ++i) {
      uint32_t c = position[i];
      while (slots_[c] >= 0) {
        c += skip[i];
        if (c >= size) c -= size;
      }
      slots_[c] = int32_t(i);
      c += skip[i];
      if (c >= size) c -= size;
      position[i] = c;
      if (++filled == size) return;
    }
  }
}

}  // namespace openvpc::hyperplane
