#include "edge/fragment_steering.h"

#include "dataplane/flow_hash.h"

namespace openvpc::edge {

FragmentSteering::FragmentSteering(size_t slots) {
  size_t size = 1;
  while (size < slots) size <<= 1;
  entries_.assign(size, Entry{});
  mask_ = size - 1;
}

FragmentSteering::Entry FragmentSteering::key_of(const packet::PacketMeta& meta) {
  Entry key;
  key.src = meta.tuple.src.v4_host_order();
  key.dst = meta.tuple.dst.v4_host_order();
  key.id = uint16_t(meta.fragment.id);
  key.protocol = meta.tuple.protocol;
  return key;
}

size_t FragmentSteering::slot_of(const Entry& key) const {
  const uint64_t words[2] = {uint64_t{key.src} << 32 | key.dst,
                             uint64_t{key.id} << 8 | key.protocol};
  return size_t(dataplane::mix_words(words)) & mask_;
}

void FragmentSteering::remember(const packet::PacketMeta& meta, uint32_t node_v4) {
  Entry key = key_of(meta);
  key.node = node_v4;
  entries_[slot_of(key)] = key;
}

uint32_t FragmentSteering::node_of(const packet::PacketMeta& meta) const {
  const Entry key = key_of(meta);
  const Entry& e = entries_[slot_of(key)];
  const bool same =
      e.src == key.src && e.dst == key.dst && e.id == key.id && e.protocol == key.protocol;
  return same ? e.node : 0;
}

}  // namespace openvpc::edge
