#include "hyperplane/nat_fragments.h"

#include "dataplane/flow_hash.h"
#include "dataplane/nat_rewrite.h"

namespace openvpc::hyperplane {

NatFragments::NatFragments(size_t capacity, uint32_t timeout_seconds) : timeout_(timeout_seconds) {
  size_t buckets = 1;
  while (buckets * kWays < capacity) buckets <<= 1;
  entries_.assign(buckets * kWays, Entry{});
  bucket_mask_ = buckets - 1;
}

NatFragments::Key NatFragments::key_of(Direction direction, uint32_t gateway,
                                       const packet::PacketMeta& meta) {
  Key key;
  key.gateway = gateway;
  key.src = meta.tuple.src.v4_host_order();
  key.dst = meta.tuple.dst.v4_host_order();
  key.id = uint16_t(meta.fragment.id);
  key.protocol = meta.tuple.protocol;
  key.direction = direction;
  return key;
}

size_t NatFragments::bucket_of(const Key& key) const {
  const uint64_t words[2] = {uint64_t{key.src} << 32 | key.dst,
                             uint64_t{key.gateway} << 32 | uint64_t{key.id} << 16 |
                                 uint64_t{key.protocol} << 8 | uint64_t(key.direction)};
  return (size_t(dataplane::mix_words(words)) & bucket_mask_) * kWays;
}

bool NatFragments::live(const Entry& entry, uint32_t now) const {
  return entry.used && now - entry.since < timeout_;
}

void NatFragments::remember(Direction direction, uint32_t gateway, const packet::PacketMeta& meta,
                            const NatFragmentRoute& route, uint32_t now) {
  const Key key = key_of(direction, gateway, meta);
  Entry* const bucket = &entries_[bucket_of(key)];
  // The same datagram again (a retransmitted first fragment, or its IP id reused): replace it;
  // else an empty or expired way; else the oldest datagram gives way to the newest.
  Entry* slot = nullptr;
  for (size_t w = 0; w < kWays && slot == nullptr; ++w) {
    if (bucket[w].used && bucket[w].key == key) slot = &bucket[w];
  }
  for (size_t w = 0; w < kWays && slot == nullptr; ++w) {
    if (!live(bucket[w], now)) slot = &bucket[w];
  }
  if (slot == nullptr) {
    slot = bucket;
    for (size_t w = 1; w < kWays; ++w) {
      if (now - bucket[w].since > now - slot->since) slot = &bucket[w];
    }
  }
  *slot = Entry{key, route, now, true};
}

const NatFragmentRoute* NatFragments::translate(Direction direction, uint32_t gateway,
                                                std::span<uint8_t> packet,
                                                const packet::PacketMeta& meta,
                                                uint32_t now) const {
  const Key key = key_of(direction, gateway, meta);
  const Entry* const bucket = &entries_[bucket_of(key)];
  for (size_t w = 0; w < kWays; ++w) {
    const Entry& e = bucket[w];
    if (!live(e, now) || !(e.key == key)) continue;
    // A later fragment has no L4 header (meta.l4_offset 0): only the address and the IPv4
    // header checksum change.
    dataplane::rewrite_ipv4(
        packet, meta,
        direction == Direction::out ? dataplane::NatSide::source : dataplane::NatSide::destination,
        e.route.address);
    return &e.route;
  }
  return nullptr;
}

size_t NatFragments::count(uint32_t now) const {
  size_t n = 0;
  for (const Entry& e : entries_) n += live(e, now) ? 1 : 0;
  return n;
}

}  // namespace openvpc::hyperplane
