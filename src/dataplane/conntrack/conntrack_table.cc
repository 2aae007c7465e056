#include "dataplane/conntrack/conntrack_table.h"

#include <cstring>

#include "dataplane/conntrack/icmp_tracker.h"
#include "dataplane/conntrack/other_tracker.h"
#include "dataplane/conntrack/tcp_tracker.h"
#include "dataplane/conntrack/udp_tracker.h"

namespace openvpc::conntrack {
namespace {

using packet::PacketMeta;

uint32_t tag_of(uint64_t hash) {
  return uint32_t(hash >> 32) | 1u;
}

uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0x7fb5d329728ea185ULL;
  h ^= h >> 27;
  h *= 0x81dadef4bc2dd44dULL;
  return h ^ (h >> 33);
}

TrackResult start(ConnectionState& st, const PacketMeta& meta, const Timeouts& t) {
  switch (meta.tuple.protocol) {
    case packet::kProtoTcp:
      return tcp_start(st, meta, t);
    case packet::kProtoUdp:
      return udp_start(st, meta, t);
    case packet::kProtoIcmp:
    case packet::kProtoIcmpv6:
      return icmp_start(st, meta, t);
    default:
      return other_start(st, meta, t);
  }
}

TrackResult advance(ConnectionState& st, const PacketMeta& meta, Direction dir, const Timeouts& t) {
  switch (meta.tuple.protocol) {
    case packet::kProtoTcp:
      return tcp_track(st, meta, dir, t);
    case packet::kProtoUdp:
      return udp_track(st, meta, dir, t);
    case packet::kProtoIcmp:
    case packet::kProtoIcmpv6:
      return icmp_track(st, meta, dir, t);
    default:
      return other_track(st, meta, dir, t);
  }
}

// How long an untracked flow's entry lives without traffic.
uint32_t untracked_timeout(uint8_t protocol, const Timeouts& t) {
  switch (protocol) {
    case packet::kProtoTcp:
      return t.tcp_established;
    case packet::kProtoUdp:
      return t.udp_stream;
    default:
      return t.other;
  }
}

// -1, 0 or 1 as a < b in byte order (IpAddress's <), by two big-endian word compares
// instead of a memcmp call for != and another for <.
int compare_addresses(const packet::IpAddress& a, const packet::IpAddress& b) {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.bytes.data(), 8);
  std::memcpy(&a1, a.bytes.data() + 8, 8);
  std::memcpy(&b0, b.bytes.data(), 8);
  std::memcpy(&b1, b.bytes.data() + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  a0 = __builtin_bswap64(a0), a1 = __builtin_bswap64(a1);
  b0 = __builtin_bswap64(b0), b1 = __builtin_bswap64(b1);
#endif
  if (a0 != b0) return a0 < b0 ? -1 : 1;
  if (a1 != b1) return a1 < b1 ? -1 : 1;
  return 0;
}

}  // namespace

ConnectionKey ConnectionKey::of(uint16_t eni, const packet::FiveTuple& t, bool& source_is_low) {
  const int order = compare_addresses(t.src, t.dst);
  source_is_low = order != 0 ? order < 0 : t.src_port <= t.dst_port;
  // Built in one go (a default-constructed key, then assigned, zeroed its 40 bytes first).
  return source_is_low ? ConnectionKey{t.src, t.dst, t.src_port, t.dst_port, t.protocol, 0, eni}
                       : ConnectionKey{t.dst, t.src, t.dst_port, t.src_port, t.protocol, 0, eni};
}

uint64_t ConnectionKey::hash() const {
  uint64_t words[5];
  std::memcpy(words, this, sizeof(words));
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (uint64_t w : words) h = mix(h ^ w);
  return h;
}

namespace {

size_t bucket_count(size_t capacity, size_t ways) {
  size_t buckets = 2;
  while (buckets * ways < capacity) buckets <<= 1;
  return buckets;
}

}  // namespace

ConntrackTable::ConntrackTable(size_t capacity, size_t eni_count)
    : buckets_(bucket_count(capacity, kWays)),
      slots_(buckets_.size() * kWays),
      mask_(buckets_.size() - 1) {
  enis_.resize(eni_count);
}

bool ConntrackTable::configure_eni(uint16_t eni, const EniSettings& settings) {
  if (eni >= enis_.size() || !settings.timeouts.valid()) return false;
  enis_[eni].settings = settings;
  return true;
}

uint32_t ConntrackTable::allowance_available(uint16_t eni) const {
  const EniEntry& e = enis_[eni];
  return e.tracked >= e.settings.allowance ? 0 : e.settings.allowance - e.tracked;
}

size_t ConntrackTable::second_bucket(uint64_t hash) const {
  const size_t first = hash & mask_;
  const size_t second = (mix(hash) >> 7) & mask_;
  return second == first ? first ^ 1 : second;
}

uint32_t ConntrackTable::lookup(const ConnectionKey& key, uint64_t hash, uint32_t now) {
  const uint32_t tag = tag_of(hash);
  const size_t candidates[2] = {hash & mask_, second_bucket(hash)};
  for (size_t b : candidates) {
    for (uint32_t ways = buckets_[b].ways_with(tag); ways != 0; ways &= ways - 1) {
      const uint32_t slot = uint32_t(b * kWays + size_t(__builtin_ctz(ways)));
      if (!(slots_[slot].key == key)) continue;
      if (!is_expired(slot, now)) return slot;
      release(slot);
      return kNoSlot;
    }
  }
  return kNoSlot;
}

uint32_t ConntrackTable::peek(const ConnectionKey& key, uint64_t hash) const {
  const uint32_t tag = tag_of(hash);
  const size_t candidates[2] = {hash & mask_, second_bucket(hash)};
  for (size_t b : candidates) {
    for (uint32_t ways = buckets_[b].ways_with(tag); ways != 0; ways &= ways - 1) {
      const uint32_t slot = uint32_t(b * kWays + size_t(__builtin_ctz(ways)));
      if (slots_[slot].key == key) return slot;
    }
  }
  return kNoSlot;
}

void ConntrackTable::prefetch(uint16_t eni, const packet::FiveTuple& tuple) const {
  bool source_is_low = false;
  const uint64_t hash = ConnectionKey::of(eni, tuple, source_is_low).hash();
  const size_t first = hash & mask_;
  __builtin_prefetch(&buckets_[first]);
  __builtin_prefetch(&buckets_[second_bucket(hash)]);
}

void ConntrackTable::prefetch_slot(uint16_t eni, const packet::FiveTuple& tuple) const {
  bool source_is_low = false;
  const uint64_t hash = ConnectionKey::of(eni, tuple, source_is_low).hash();
  const uint32_t tag = tag_of(hash);
  const size_t candidates[2] = {hash & mask_, second_bucket(hash)};
  // The way claim() would pick (first free way of the emptier bucket), unless a way already
  // carries the tag: then the connection is probably there.
  size_t target = kNoSlot, best_free = 0;
  for (size_t b : candidates) {
    size_t free_ways = 0, first_free = kNoSlot;
    for (size_t way = 0; way < kWays; ++way) {
      const uint32_t t = buckets_[b].tags[way];
      if (t == tag) {
        target = b * kWays + way;
        best_free = kWays + 1;
        break;
      }
      if (t != 0) continue;
      if (first_free == kNoSlot) first_free = b * kWays + way;
      ++free_ways;
    }
    if (free_ways > best_free) target = first_free, best_free = free_ways;
  }
  if (target == kNoSlot) return;
  const auto* slot = reinterpret_cast<const char*>(&slots_[target]);
  __builtin_prefetch(slot, 1);
  __builtin_prefetch(slot + sizeof(Connection) - 1, 1);  // a slot may straddle two lines
}

namespace {

// The number of ways in a bucket's 8-bit mask (__builtin_popcount is a libgcc call without
// -mpopcnt).
uint32_t way_count(uint32_t ways) {
  ways = ways - ((ways >> 1) & 0x55);
  ways = (ways & 0x33) + ((ways >> 2) & 0x33);
  return (ways + (ways >> 4)) & 0x0f;
}

}  // namespace

// A free way in the emptier of the two buckets, else an expired entry in either.
uint32_t ConntrackTable::claim(uint64_t hash, uint32_t now) {
  const size_t candidates[2] = {hash & mask_, second_bucket(hash)};
  // The first free way of the bucket with more free ways, the first bucket on a tie.
  const uint32_t free0 = buckets_[candidates[0]].ways_with(0);
  const uint32_t free1 = buckets_[candidates[1]].ways_with(0);
  if (way_count(free1) > way_count(free0)) {
    return uint32_t(candidates[1] * kWays + size_t(__builtin_ctz(free1)));
  }
  if (free0 != 0) return uint32_t(candidates[0] * kWays + size_t(__builtin_ctz(free0)));
  for (size_t b : candidates) {
    for (size_t way = 0; way < kWays; ++way) {
      const uint32_t slot = uint32_t(b * kWays + way);
      if (is_expired(slot, now)) {
        release(slot);
        return slot;
      }
    }
  }
  return kNoSlot;
}

void ConntrackTable::release(uint32_t slot) {
  uint32_t& tag = tag_at(slot);
  if (tag == 0) return;
  Connection& c = slots_[slot];
  if (c.state.entry_flags & kEntryCounted) --enis_[c.key.eni].tracked;
  if (c.via != 0) --via_connections_;
  tag = 0;
  --count_;
}

TrackResult ConntrackTable::count_result(EniEntry& eni, TrackResult r) {
  switch (r.verdict) {
    case Verdict::accept:
      ++eni.counters.accepted;
      break;
    case Verdict::accept_related:
      ++eni.counters.related;
      break;
    case Verdict::drop:
      ++eni.counters.drops[size_t(r.reason)];
      break;
    case Verdict::new_connection:
      break;
  }
  return r;
}

TrackResult ConntrackTable::track(uint16_t eni, const PacketMeta& meta, uint32_t now,
                                  uint32_t generation, ConnectionRef* ref, Miss* miss) {
  EniEntry& e = enis_[eni];
  if (ref != nullptr) *ref = ConnectionRef{};
  if (!meta.ok()) return count_result(e, TrackResult::dropped(DropReason::malformed));
  if (is_icmp_error(meta)) return track_icmp_error(eni, meta, now, generation);
  bool source_is_low = false;
  const ConnectionKey key = ConnectionKey::of(eni, meta.tuple, source_is_low);
  const uint64_t hash = key.hash();
  const uint32_t slot = lookup(key, hash, now);
  if (slot == kNoSlot) {
    if (miss != nullptr) *miss = Miss{key, hash, source_is_low, true};
    return {Verdict::new_connection, DropReason::none, 0};
  }
  const TrackResult r = track_slot(e, slot, meta, source_is_low, now, generation);
  if (ref != nullptr && r.ok()) *ref = ConnectionRef{slot, source_is_low};
  // A reopen, or an untracked entry of older rules: track_slot() freed the entry.
  if (miss != nullptr && r.verdict == Verdict::new_connection) {
    *miss = Miss{key, hash, source_is_low, true};
  }
  return r;
}

// holds() (conntrack_table.h): whether live-or-expired `slot` is the connection of (eni,
// tuple) seen from source_is_low — the key ConnectionKey::of would build, compared in 64-bit
// words without building it.
TrackResult ConntrackTable::track_at_slow(uint16_t eni, ConnectionRef& ref, const PacketMeta& meta,
                                          uint32_t now, uint32_t generation) {
  if (!meta.ok() || is_icmp_error(meta) || !holds(ref.slot, eni, meta.tuple, ref.source_is_low)) {
    return track(eni, meta, now, generation, &ref);
  }
  if (is_expired(ref.slot, now)) {  // as lookup() does: the connection is gone
    release(ref.slot);
    ref = ConnectionRef{};
    return {Verdict::new_connection, DropReason::none, 0};
  }
  const TrackResult r = track_slot(enis_[eni], ref.slot, meta, ref.source_is_low, now, generation);
  if (!r.ok() && r.verdict != Verdict::drop) ref = ConnectionRef{};
  return r;
}

// The part of track() after the connection was found at `slot`.
TrackResult ConntrackTable::track_slot(EniEntry& e, uint32_t slot, const PacketMeta& meta,
                                       bool source_is_low, uint32_t now, uint32_t generation) {
  Connection& c = slots_[slot];
  if (c.state.entry_flags & kEntryUntracked) {
    if (c.generation != generation) {  // the rules changed: they must allow it again
      release(slot);
      return {Verdict::new_connection, DropReason::none, 0};
    }
    c.expires_at = now + untracked_timeout(c.key.protocol, e.settings.timeouts);
    return count_result(e, TrackResult::accepted(0));
  }
  const TrackResult r = advance(c.state, meta, direction_of(c, source_is_low), e.settings.timeouts);
  if (r.verdict == Verdict::new_connection) release(slot);  // TCP reopen
  if (r.ok() && r.timeout != 0) c.expires_at = now + r.timeout;
  return count_result(e, r);
}

TrackResult ConntrackTable::track_icmp_error(uint16_t eni, const PacketMeta& meta, uint32_t now,
                                             uint32_t generation) {
  EniEntry& e = enis_[eni];
  const packet::IcmpInner& inner = meta.icmp_inner;
  const uint8_t protocol = inner.tuple.protocol;
  const bool needs_ports = protocol == packet::kProtoTcp || protocol == packet::kProtoUdp;
  if (!inner.present || (needs_ports && inner.l4_offset == 0)) {
    return count_result(e, TrackResult::dropped(DropReason::icmp_error_truncated));
  }
  bool quoted_source_is_low = false;
  const ConnectionKey key = ConnectionKey::of(eni, inner.tuple, quoted_source_is_low);
  const uint32_t slot = lookup(key, key.hash(), now);
  const bool stale = slot != kNoSlot && (slots_[slot].state.entry_flags & kEntryUntracked) &&
                     slots_[slot].generation != generation;
  if (slot == kNoSlot || stale) {
    return count_result(e, TrackResult::dropped(DropReason::icmp_error_no_connection));
  }
  const Connection& c = slots_[slot];
  const Direction quoted = direction_of(c, quoted_source_is_low);
  const bool untracked = c.state.entry_flags & kEntryUntracked;
  // An untracked TCP flow has no windows to check the quoted sequence against.
  const uint8_t checked = untracked ? uint8_t(0) : protocol;
  return count_result(e, icmp_error_check(c.state, checked, meta, quoted));
}

TrackResult ConntrackTable::open(uint16_t eni, const PacketMeta& meta, uint32_t now,
                                 Tracking tracking, uint32_t generation, ConnectionRef* ref,
                                 uint32_t via) {
  EniEntry& e = enis_[eni];
  if (ref != nullptr) *ref = ConnectionRef{};
  if (!meta.ok()) return count_result(e, TrackResult::dropped(DropReason::malformed));
  if (is_icmp_error(meta)) return track_icmp_error(eni, meta, now, generation);
  if (is_icmp(meta.tuple.protocol)) tracking = Tracking::tracked;  // ICMP is always tracked
  bool source_is_low = false;
  const ConnectionKey key = ConnectionKey::of(eni, meta.tuple, source_is_low);
  const uint64_t hash = key.hash();
  if (lookup(key, hash, now) != kNoSlot) return track(eni, meta, now, generation, ref);
  return open_new(e, key, hash, source_is_low, meta, now, tracking, generation, ref, via);
}

TrackResult ConntrackTable::open_missed(uint16_t eni, const Miss& miss, const PacketMeta& meta,
                                        uint32_t now, Tracking tracking, uint32_t generation,
                                        ConnectionRef* ref, uint32_t via) {
  if (!miss.set) return open(eni, meta, now, tracking, generation, ref, via);
  if (ref != nullptr) *ref = ConnectionRef{};
  if (is_icmp(meta.tuple.protocol)) tracking = Tracking::tracked;  // ICMP is always tracked
  return open_new(enis_[eni], miss.key, miss.hash, miss.source_is_low, meta, now, tracking,
                  generation, ref, via);
}

// open() once the connection is known to have no entry.
TrackResult ConntrackTable::open_new(EniEntry& e, const ConnectionKey& key, uint64_t hash,
                                     bool source_is_low, const PacketMeta& meta, uint32_t now,
                                     Tracking tracking, uint32_t generation, ConnectionRef* ref,
                                     uint32_t via) {
  const bool counted = tracking == Tracking::tracked;
  // Expired connections still count until freed (lazily, or by the per-batch sweep): at the
  // allowance, sweep a bounded stretch first so connections that are over do not hold it.
  if (counted && e.tracked >= e.settings.allowance) sweep(now, kAllowanceSweepSlots);
  if (counted && e.tracked >= e.settings.allowance) {
    return count_result(e, TrackResult::dropped(DropReason::conntrack_allowance_exceeded));
  }
  ConnectionState state;
  TrackResult r = counted
                      ? start(state, meta, e.settings.timeouts)
                      : TrackResult::accepted(untracked_timeout(key.protocol, e.settings.timeouts));
  if (!r.ok()) return count_result(e, r);
  const uint32_t slot = claim(hash, now);
  if (slot == kNoSlot) {
    if (!counted) return count_result(e, r);  // stateless pass; the rules allowed it
    return count_result(e, TrackResult::dropped(DropReason::connection_table_full));
  }
  state.entry_flags = uint8_t((source_is_low ? kEntryInitiatorIsLow : 0) |
                              (counted ? kEntryCounted : kEntryUntracked));
  slots_[slot] = Connection{key, now + r.timeout, generation, state, via};
  tag_at(slot) = tag_of(hash);
  ++count_;
  if (via != 0) ++via_connections_;
  if (counted) ++e.tracked;
  ++e.counters.opened;
  if (ref != nullptr) *ref = ConnectionRef{slot, source_is_low};
  return count_result(e, r);
}

size_t ConntrackTable::sweep(uint32_t now, size_t slot_budget) {
  // Runs after every batch, and a router woken for a few frames runs many small batches: an
  // empty table costs nothing, and the cursor wraps with a mask (the slot count is a power of
  // two), not a division per slot (64 of them were ~170 ns a call).
  if (count_ == 0) return 0;
  const size_t wrap = slots_.size() - 1;
  size_t cursor = sweep_cursor_;
  size_t freed = 0;
  for (size_t i = 0; i < slot_budget; ++i, cursor = (cursor + 1) & wrap) {
    const uint32_t slot = uint32_t(cursor);
    if (tag_at(slot) != 0 && is_expired(slot, now)) {
      release(slot);
      ++freed;
    }
  }
  sweep_cursor_ = cursor;
  return freed;
}

bool ConntrackTable::has_connection(uint16_t eni, const PacketMeta& meta, uint32_t now,
                                    uint32_t generation) const {
  if (eni >= enis_.size() || !meta.ok()) return false;
  const bool error = is_icmp_error(meta);
  if (error && !meta.icmp_inner.present) return false;
  bool source_is_low = false;
  const ConnectionKey key =
      ConnectionKey::of(eni, error ? meta.icmp_inner.tuple : meta.tuple, source_is_low);
  const uint32_t slot = peek(key, key.hash());
  if (slot == kNoSlot || is_expired(slot, now)) return false;
  const Connection& c = slots_[slot];
  return !(c.state.entry_flags & kEntryUntracked) || c.generation == generation;
}

uint32_t ConntrackTable::via_of_lookup(uint16_t eni, const packet::FiveTuple& tuple,
                                       uint32_t now) const {
  if (eni >= enis_.size()) return 0;
  bool source_is_low = false;
  const ConnectionKey key = ConnectionKey::of(eni, tuple, source_is_low);
  const uint32_t slot = peek(key, key.hash());
  return slot == kNoSlot || is_expired(slot, now) ? 0 : slots_[slot].via;
}

const Connection* ConntrackTable::find(uint16_t eni, const packet::FiveTuple& tuple, uint32_t now) {
  bool source_is_low = false;
  const ConnectionKey key = ConnectionKey::of(eni, tuple, source_is_low);
  const uint32_t slot = lookup(key, key.hash(), now);
  return slot == kNoSlot ? nullptr : &slots_[slot];
}

}  // namespace openvpc::conntrack
