#include "dataplane/conntrack/connection_tracker.h"

#include <cstring>

#include "dataplane/conntrack/protocol_trackers.h"
#include "dataplane/flow_hash.h"

namespace openvpc::dataplane {
namespace {

bool low_is_source(const packet::FiveTuple& t) {
  if (t.src != t.dst) return t.src < t.dst;
  return t.src_port <= t.dst_port;
}

bool from_initiator(const Connection& c, const ConnectionKey& key, const packet::FiveTuple& tuple) {
  const bool from_low = tuple.src_port == key.low_port &&
                        std::memcmp(tuple.src.bytes.data(), key.low.bytes.data(), 16) == 0;
  return from_low == c.initiator_is_low;
}

}  // namespace

ConnectionKey ConnectionKey::of(uint32_t eni, const packet::FiveTuple& tuple) {
  ConnectionKey key;
  key.eni = eni;
  key.protocol = tuple.protocol;
  if (low_is_source(tuple)) {
    key.low = tuple.src, key.low_port = tuple.src_port;
    key.high = tuple.dst, key.high_port = tuple.dst_port;
  } else {
    key.low = tuple.dst, key.low_port = tuple.dst_port;
    key.high = tuple.src, key.high_port = tuple.src_port;
  }
  return key;
}

uint64_t ConnectionKey::hash() const {
  uint64_t words[5];
  std::memcpy(&words[0], low.bytes.data(), 16);
  std::memcpy(&words[2], high.bytes.data(), 16);
  words[4] = (uint64_t{low_port} << 48) | (uint64_t{high_port} << 32) | (uint64_t{protocol} << 24);
  words[4] ^= uint64_t{eni} * 0x9e3779b97f4a7c15ULL;
  return mix_words(words);
}

ConnectionRef ConnectionTracker::find(uint32_t eni, const packet::FiveTuple& tuple,
                                      uint32_t now) const {
  const ConnectionKey key = ConnectionKey::of(eni, tuple);
  const uint32_t slot = table_.find(key, key.hash());
  if (slot == kInvalidSlot) return {};
  const ConnectionRef ref{slot, table_.at(slot).value.incarnation};
  return alive(ref, now) ? ref : ConnectionRef{};
}

ConnectionRef ConnectionTracker::create(uint32_t eni, const packet::PacketMeta& meta,
                                        uint32_t now) {
  const ConnectionKey key = ConnectionKey::of(eni, meta.tuple);
  auto inserted = table_.insert(key, key.hash(), now);
  auto& slot = table_.at(inserted.slot);
  Connection& c = slot.value;
  if (inserted.found && alive({inserted.slot, c.incarnation}, now)) {
    return {inserted.slot, c.incarnation};
  }
  c = Connection{};
  c.incarnation = next_incarnation_++;
  c.initiator_is_low = low_is_source(meta.tuple);
  switch (meta.tuple.protocol) {
    case packet::kProtoTcp:
      conntrack::tcp_start(c, meta, now);
      break;
    case packet::kProtoUdp:
      conntrack::udp_start(c, meta, now);
      break;
    case packet::kProtoIcmp:
    case packet::kProtoIcmpv6:
      conntrack::icmp_start(c, meta, now);
      break;
    default:
      conntrack::other_start(c, meta, now);
      break;
  }
  return {inserted.slot, c.incarnation};
}

bool ConnectionTracker::alive(ConnectionRef ref, uint32_t now) const {
  if (!ref.valid() || !table_.occupied(ref.slot)) return false;
  const Connection& c = table_.at(ref.slot).value;
  return c.incarnation == ref.incarnation && c.expires_at > now;
}

bool ConnectionTracker::update(ConnectionRef ref, const packet::PacketMeta& meta, uint32_t now) {
  // No occupancy check needed: a claimed slot always gets a fresh incarnation (never 0), and
  // an empty slot's incarnation matches no ref.
  if (!ref.valid()) return false;
  auto& slot = table_.at(ref.slot);
  Connection& c = slot.value;
  if (c.incarnation != ref.incarnation || c.expires_at <= now) return false;
  const bool initiator = from_initiator(c, slot.key, meta.tuple);
  switch (slot.key.protocol) {
    case packet::kProtoTcp:
      conntrack::tcp_advance(c, meta, initiator, now);
      break;
    case packet::kProtoUdp:
      conntrack::udp_advance(c, meta, initiator, now);
      break;
    case packet::kProtoIcmp:
    case packet::kProtoIcmpv6:
      conntrack::icmp_advance(c, meta, initiator, now);
      break;
    default:
      conntrack::other_advance(c, meta, initiator, now);
      break;
  }
  table_.touch(ref.slot, now);
  return c.expires_at > now;
}

const Connection* ConnectionTracker::get(ConnectionRef ref) const {
  if (!ref.valid() || !table_.occupied(ref.slot)) return nullptr;
  const Connection& c = table_.at(ref.slot).value;
  return c.incarnation == ref.incarnation ? &c : nullptr;
}

}  // namespace openvpc::dataplane
