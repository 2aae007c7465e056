// conntrack_table.h — per-worker table of tracked connections for all ENIs of a host.
//
// How the pipeline uses it, per IP packet that is not a later fragment:
//   r = table.track(eni, meta, now, generation)
//   accept / accept_related / drop: done (drops are already counted per ENI by reason);
//   new_connection: evaluate the security-group rules; if they allow the packet, call
//   table.open(eni, meta, now, tracking, generation) and use its verdict.
// And once per batch: table.sweep(now, budget) to reclaim a bounded number of expired slots.
// A caller that sees the same connection again (a flow-cache entry is one direction of one
// connection) keeps the ConnectionRef that track()/open() filled and calls track_at(): it
// checks that slot's key against the packet instead of hashing and scanning both buckets,
// and falls back to track() (refreshing the ref) when the slot holds something else.
//
// Invariants:
// - A connection is keyed by (ENI, canonical 5-tuple): lower endpoint first, so both
//   directions find the same slot; the ENI is a dense per-host index < eni_count.
// - Memory is allocated once by the constructor. A slot is 88 bytes + a 4-byte tag.
//   Each key may live in one of two 8-way buckets (two-choice hashing); there is no eviction
//   of live connections: a full table or an ENI at its allowance drops *new* connections
//   (table_full / conntrack_allowance_exceeded), never established ones.
// - Expiry is lazy: a lookup that finds an expired entry frees it; sweep() walks the table
//   incrementally. Nothing scans the whole table on the fast path.
// - Untracked flows (Tracking::untracked, REFERENCE.md) keep an entry that remembers the
//   configuration generation that allowed them and skips every state check; when the
//   generation changes, track() forgets the entry and answers new_connection, so a removed
//   rule cuts the flow at once. Tracked entries ignore the generation: they survive rule
//   removal. Untracked entries do not count against the allowance. ICMP is always tracked.
// - Drops never refresh a connection. One instance per worker thread; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dataplane/conntrack/connection_state.h"
#include "dataplane/conntrack/table_memory.h"
#include "dataplane/conntrack/tcp_window.h"
#include "dataplane/conntrack/timeouts.h"
#include "packet/parser.h"

namespace openvpc::conntrack {

inline constexpr uint32_t kNoSlot = 0xffffffffu;

struct ConnectionKey {
  packet::IpAddress low;
  packet::IpAddress high;
  uint16_t low_port = 0;
  uint16_t high_port = 0;
  uint8_t protocol = 0;
  uint8_t reserved = 0;
  uint16_t eni = 0;
  bool operator==(const ConnectionKey&) const = default;

  // source_is_low: set to whether tuple.src is the key's low endpoint.
  static ConnectionKey of(uint16_t eni, const packet::FiveTuple& tuple, bool& source_is_low);
  uint64_t hash() const;
};
static_assert(sizeof(ConnectionKey) == 40);

struct Connection {
  ConnectionKey key;
  uint32_t expires_at = 0;  // seconds on the caller's clock; dead when <= now
  uint32_t generation = 0;  // untracked entries: configuration generation that allowed them
  ConnectionState state;
  // The network load balancer interface (its ENI number) the connection came in through, 0
  // for none: its replies go back to the load balancer's node (program.h LoadBalancer).
  uint32_t via = 0;
};
static_assert(sizeof(Connection) == 88);

enum class Tracking : uint8_t { tracked, untracked };

// A packet's key that track() did not find (new_connection): open_missed() reuses it.
struct Miss {
  ConnectionKey key;
  uint64_t hash = 0;
  bool source_is_low = false;
  bool set = false;  // false: track() did not set it (open_missed() then does what open() does)
};

// Where a packet's connection lives and which endpoint of its key sent the packet. A hint
// only: the slot may have been freed or reused since; track_at() re-checks it.
struct ConnectionRef {
  uint32_t slot = kNoSlot;
  bool source_is_low = false;
};

struct EniSettings {
  Timeouts timeouts;
  uint32_t allowance = 65536;  // tracked connections at most
};

struct EniCounters {
  uint64_t accepted = 0;
  uint64_t related = 0;
  uint64_t opened = 0;
  uint64_t drops[kDropReasonCount] = {};
  uint64_t allowance_exceeded() const {
    return drops[size_t(DropReason::conntrack_allowance_exceeded)];
  }
};

class ConntrackTable {
 public:
  // capacity: connections, rounded up to a power of two multiple of 8.
  ConntrackTable(size_t capacity, size_t eni_count);

  // False (and nothing changes) for an ENI index out of range or timeouts out of range.
  bool configure_eni(uint16_t eni, const EniSettings& settings);

  // The verdict for a packet of a known connection (or an ICMP error about one), or
  // new_connection. `meta` must be a parsed IP packet, not a later fragment.
  // `ref`, when given, is set to the connection the packet passed (kNoSlot otherwise).
  // `miss`, when given and the verdict is new_connection, is set to what open() needs.
  TrackResult track(uint16_t eni, const packet::PacketMeta& meta, uint32_t now,
                    uint32_t generation = 0, ConnectionRef* ref = nullptr, Miss* miss = nullptr);
  // track() for a packet whose connection was at `ref` (same answer, same effects); `ref` is
  // refreshed when the connection has moved. Inline below: the fast path's common packet.
  TrackResult track_at(uint16_t eni, ConnectionRef& ref, const packet::PacketMeta& meta,
                       uint32_t now, uint32_t generation = 0);
  // Starts tracking the connection whose first packet is `meta` (the rules allowed it);
  // `via`: Connection::via.
  TrackResult open(uint16_t eni, const packet::PacketMeta& meta, uint32_t now,
                   Tracking tracking = Tracking::tracked, uint32_t generation = 0,
                   ConnectionRef* ref = nullptr, uint32_t via = 0);
  // open() right after track() answered new_connection for the same (eni, meta, now) and set
  // `miss`, with nothing changed in the table since: the same effects without building the
  // key, hashing it and looking it up again (the lookup would miss again).
  TrackResult open_missed(uint16_t eni, const Miss& miss, const packet::PacketMeta& meta,
                          uint32_t now, Tracking tracking, uint32_t generation, ConnectionRef* ref,
                          uint32_t via);
  // Frees expired entries among the next `slot_budget` slots; returns how many were freed.
  size_t sweep(uint32_t now, size_t slot_budget);
  // Slots open() sweeps before it refuses a connection for the ENI's allowance.
  static constexpr size_t kAllowanceSweepSlots = 256;
  // Two prefetch stages for batches, so that track()/open() do not wait for DRAM: prefetch()
  // brings this 5-tuple's two candidate buckets into the cache; prefetch_slot(), issued once
  // they have arrived (a few packets later), reads them and brings in the slot a new
  // connection would take (or the matching one). E.g. prefetch packet i + 16, prefetch_slot
  // packet i + 8, handle packet i. Neither changes anything.
  void prefetch(uint16_t eni, const packet::FiveTuple& tuple) const;
  void prefetch_slot(uint16_t eni, const packet::FiveTuple& tuple) const;

  uint32_t allowance_available(uint16_t eni) const;
  const EniCounters& counters(uint16_t eni) const { return enis_[eni].counters; }
  // The live connection of this packet's 5-tuple (either direction), or nullptr.
  const Connection* find(uint16_t eni, const packet::FiveTuple& tuple, uint32_t now);
  // Read-only: whether track() would find a live connection for `meta` (for an ICMP error,
  // the connection of the header it quotes; an untracked entry only under `generation`).
  // Changes nothing (an expired entry is left for track() or sweep() to free).
  bool has_connection(uint16_t eni, const packet::PacketMeta& meta, uint32_t now,
                      uint32_t generation) const;

  // Read-only: the Connection::via of the live connection of this 5-tuple (either direction),
  // 0 when there is none or it came in directly.
  // Inline: with no such connection in the table (no load balancer brought one in) it is 0
  // without a key, a hash or a lookup — every new flow's route step asks.
  uint32_t via_of(uint16_t eni, const packet::FiveTuple& tuple, uint32_t now) const {
    return via_connections_ == 0 ? 0 : via_of_lookup(eni, tuple, now);
  }

  size_t count() const { return count_; }
  size_t capacity() const { return slots_.size(); }
  size_t memory_size() const {
    return slots_.size() * sizeof(Connection) + buckets_.size() * sizeof(Bucket);
  }

 private:
  static constexpr size_t kWays = 8;
  struct alignas(32) Bucket {
    uint32_t tags[kWays] = {};
    // Bit w set: tags[w] == tag (0: the free ways). Two SSE2 compares instead of eight
    // branches: every new connection probes two buckets to look up, then two to claim.
    uint32_t ways_with(uint32_t tag) const {
#if defined(__SSE2__)
      const __m128i t = _mm_set1_epi32(int(tag));
      const __m128i a = _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(tags)), t);
      const __m128i b =
          _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(tags + 4)), t);
      return uint32_t(_mm_movemask_ps(_mm_castsi128_ps(a))) |
             uint32_t(_mm_movemask_ps(_mm_castsi128_ps(b))) << 4;
#else
      uint32_t bits = 0;
      for (size_t way = 0; way < kWays; ++way) bits |= uint32_t(tags[way] == tag) << way;
      return bits;
#endif
    }
  };
  struct EniEntry {
    EniSettings settings;
    uint32_t tracked = 0;  // entries counted against the allowance
    EniCounters counters;
  };

  // track_at() for everything but its inline case (conntrack_table.cc).
  TrackResult track_at_slow(uint16_t eni, ConnectionRef& ref, const packet::PacketMeta& meta,
                            uint32_t now, uint32_t generation);
  static Direction direction_of(const Connection& c, bool source_is_low) {
    const bool initiator_is_low = c.state.entry_flags & kEntryInitiatorIsLow;
    return source_is_low == initiator_is_low ? Direction::original : Direction::reply;
  }
  TrackResult open_new(EniEntry& e, const ConnectionKey& key, uint64_t hash, bool source_is_low,
                       const packet::PacketMeta& meta, uint32_t now, Tracking tracking,
                       uint32_t generation, ConnectionRef* ref, uint32_t via);
  uint32_t via_of_lookup(uint16_t eni, const packet::FiveTuple& tuple, uint32_t now) const;
  uint32_t lookup(const ConnectionKey& key, uint64_t hash, uint32_t now);
  uint32_t peek(const ConnectionKey& key, uint64_t hash) const;  // live or expired
  uint32_t claim(uint64_t hash, uint32_t now);
  void release(uint32_t slot);
  bool is_expired(uint32_t slot, uint32_t now) const {
    return slots_[slot].expires_at <= now;
  }
  bool holds(uint32_t slot, uint16_t eni, const packet::FiveTuple& tuple,
             bool source_is_low) const {
    if ((slot / kWays) > mask_ || buckets_[slot / kWays].tags[slot % kWays] == 0) return false;
    const ConnectionKey& k = slots_[slot].key;
    const uint8_t* low = (source_is_low ? tuple.src : tuple.dst).bytes.data();
    const uint8_t* high = (source_is_low ? tuple.dst : tuple.src).bytes.data();
    // Both ports in one word, the low endpoint's first (as in the key).
    static_assert(offsetof(packet::FiveTuple, dst_port) ==
                  offsetof(packet::FiveTuple, src_port) + 2);
    static_assert(offsetof(ConnectionKey, high_port) == offsetof(ConnectionKey, low_port) + 2);
    uint32_t ports = 0;
    std::memcpy(&ports, &tuple.src_port, sizeof ports);
    if (!source_is_low) ports = (ports >> 16) | (ports << 16);
    uint32_t key_ports = 0;
    std::memcpy(&key_ports, &k.low_port, sizeof key_ports);
    const uint32_t rest =
        (key_ports ^ ports) | uint32_t(k.protocol ^ tuple.protocol) | uint32_t(k.eni ^ eni);
#if defined(__SSE2__)
    // The two 16-byte addresses: one compare each.
    const auto load = [](const uint8_t* p) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    };
    const __m128i same = _mm_and_si128(_mm_cmpeq_epi8(load(k.low.bytes.data()), load(low)),
                                       _mm_cmpeq_epi8(load(k.high.bytes.data()), load(high)));
    return _mm_movemask_epi8(same) == 0xffff && rest == 0;
#else
    const uint64_t addresses =
        (word(k.low.bytes.data()) ^ word(low)) | (word(k.low.bytes.data() + 8) ^ word(low + 8)) |
        (word(k.high.bytes.data()) ^ word(high)) | (word(k.high.bytes.data() + 8) ^ word(high + 8));
    return (addresses | rest) == 0;
#endif
  }
  static uint64_t word(const uint8_t* p) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  }
  TrackResult track_slot(EniEntry& e, uint32_t slot, const packet::PacketMeta& meta,
                         bool source_is_low, uint32_t now, uint32_t generation);
  TrackResult track_icmp_error(uint16_t eni, const packet::PacketMeta& meta, uint32_t now,
                               uint32_t generation);
  TrackResult count_result(EniEntry& eni, TrackResult r);
  size_t second_bucket(uint64_t hash) const;
  uint32_t& tag_at(uint32_t slot) {
    return buckets_[slot / kWays].tags[slot % kWays];
  }

  TableMemory<Bucket> buckets_;
  TableMemory<Connection> slots_;
  std::vector<EniEntry> enis_;
  size_t mask_ = 0;
  size_t count_ = 0;
  size_t via_connections_ = 0;  // entries (live or expired, not freed) with Connection::via != 0
  size_t sweep_cursor_ = 0;
};

// The packet a cached flow sees most — TCP, its connection still at `ref`, live, tracked,
// ESTABLISHED, a plain ACK — in one inline function: what track_slot() does for it (the
// tracker's own short path, tcp_window.h; the expiry; the ENI's counters), without the
// calls. Everything else takes track_at_slow(), which is track_at() as it always was.
[[gnu::always_inline]] inline TrackResult ConntrackTable::track_at(uint16_t eni, ConnectionRef& ref,
                                                                   const packet::PacketMeta& meta,
                                                                   uint32_t now,
                                                                   uint32_t generation) {
  if (meta.ok() && meta.tuple.protocol == packet::kProtoTcp &&
      holds(ref.slot, eni, meta.tuple, ref.source_is_low)) {
    Connection& c = slots_[ref.slot];
    const Direction dir = direction_of(c, ref.source_is_low);
    if (!is_expired(ref.slot, now) && !(c.state.entry_flags & kEntryUntracked) &&
        tcp_is_plain_established_ack(c.state, dir, meta.tcp.flags)) {
      EniEntry& e = enis_[eni];
      const TrackResult r = tcp_track_established_ack(c.state, meta, dir, e.settings.timeouts);
      if (r.verdict == Verdict::accept) {
        if (r.timeout != 0) c.expires_at = now + r.timeout;
        ++e.counters.accepted;
      } else {
        ++e.counters.drops[size_t(r.reason)];
      }
      return r;
    }
  }
  return track_at_slow(eni, ref, meta, now, generation);
}

}  // namespace openvpc::conntrack
