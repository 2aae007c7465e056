// fragment_tracker.h — IPv4/IPv6 fragments get the verdict of their datagram's first one.
//
// Only the first fragment carries the ports, so only it can be tracked and matched against
// rules. Later fragments are tied to it by (ENI, source, destination, protocol, IP id /
// IPv6 identification) — a "series" — and get its verdict, so fake fragments that belong
// to no allowed datagram are filtered.
//
// Use, per fragment (meta.fragment.is_fragment):
//   d = fragments.admit(eni, meta, packet_bytes, handle, now)
//   track:  the first fragment: run it through ConntrackTable, then call settle() with the
//           verdict; settle() hands back the held later fragments with theirs;
//   accept / drop: done (later fragments of a settled series, or a bad fragment);
//   hold:   a later fragment came before its first; the tracker keeps `handle` (the
//           caller's packet buffer id) until settle() or expire() hands it back.
// And once per batch: expire(now, out) hands back held fragments older than hold_timeout
// as fragment_orphan drops and forgets series older than series_timeout (and at once a
// series whose held fragments all expired without its first fragment).
//
// Hold slots are shared by every ENI of the worker, but each ENI holds at most
// held_per_eni at once (fragment_hold_eni_full beyond that): one ENI's flood of later
// fragments cannot take the slots, or the series table, from another ENI's datagrams. A
// later fragment that cannot be held starts no series.
//
// Invariants: memory is fixed at construction (series table, hold buffer); a series
// accepts at most max_fragments fragments, at most kMaxRanges disjoint byte ranges, and no
// byte past 65535 or past its last fragment; an overlapping or duplicate fragment is dropped
// and poisons its series (later fragments are dropped as fragment_rejected, RFC 5722).
// Not thread-safe; one per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/conntrack/track_verdict.h"
#include "packet/parser.h"

namespace openvpc::conntrack {

// Bytes of fragmentable payload this fragment carries (after the IPv4 header / the IPv6
// fragment header), or -1 if `ip` (the buffer `meta` was parsed from) is inconsistent.
int fragment_data_size(const packet::PacketMeta& meta, std::span<const uint8_t> buffer);

class FragmentTracker {
 public:
  struct Limits {
    size_t series = 1024;          // datagrams being tracked at once
    size_t held = 64;              // fragments held waiting for their first fragment
    size_t held_per_eni = 16;      // of those, at most this many for one ENI
    size_t eni_count = 256;        // ENI slots (the `eni` argument is below this)
    uint32_t hold_timeout = 2;     // seconds a fragment may wait
    uint32_t series_timeout = 30;  // seconds a datagram's fragments may keep coming
    uint16_t max_fragments = 64;
  };
  static constexpr size_t kMaxRanges = 16;

  enum class Action : uint8_t { track, accept, drop, hold };
  struct Decision {
    Action action = Action::drop;
    DropReason reason = DropReason::none;
  };
  struct Release {
    uint64_t handle = 0;
    bool accepted = false;
    DropReason reason = DropReason::none;
  };

  explicit FragmentTracker(const Limits& limits);

  Decision admit(uint16_t eni, const packet::PacketMeta& meta, std::span<const uint8_t> buffer,
                 uint64_t handle, uint32_t now);
  // The verdict of the first fragment `meta`; writes the released held fragments to `out`
  // (sized at least Limits::held) and returns how many.
  size_t settle(uint16_t eni, const packet::PacketMeta& meta, bool accepted,
                std::span<Release> out);
  size_t expire(uint32_t now, std::span<Release> out);

  size_t held_count() const { return held_count_; }
  size_t held_count(uint16_t eni) const {
    return eni < held_by_eni_.size() ? held_by_eni_[eni] : 0;
  }
  size_t series_count() const { return series_count_; }

 private:
  struct Key {
    packet::IpAddress src;
    packet::IpAddress dst;
    uint32_t id = 0;
    uint8_t protocol = 0;
    uint8_t reserved = 0;
    uint16_t eni = 0;
    bool operator==(const Key&) const = default;
  };
  enum class State : uint8_t { free, pending, accepted, dropped };
  struct Range {
    uint16_t begin;
    uint16_t end;  // exclusive
  };
  struct Series {
    Key key;
    uint32_t expires_at = 0;
    State state = State::free;
    DropReason reason = DropReason::none;
    uint8_t range_count = 0;
    uint16_t fragments = 0;
    uint16_t held = 0;   // fragments of this series in the hold buffer
    uint32_t total = 0;  // datagram size once its last fragment came; 0: unknown
    Range ranges[kMaxRanges];
  };
  struct Held {
    uint64_t handle = 0;
    uint32_t series = 0;
    uint32_t expires_at = 0;
    bool used = false;
  };
  static constexpr size_t kWays = 8;

  static Key key_of(uint16_t eni, const packet::PacketMeta& meta);
  static uint64_t hash(const Key& key);
  uint32_t find(const Key& key) const;
  uint32_t find_or_add(const Key& key, uint32_t now);
  DropReason add_range(Series& s, uint32_t begin, uint32_t end, bool last) const;
  // DropReason::none when `eni` may hold one more fragment now.
  DropReason hold_room(uint16_t eni) const;
  Decision hold(uint32_t series, uint64_t handle, uint32_t now);
  void release_held(Held& held, Series& series);
  void forget(uint32_t series);

  Limits limits_;
  std::vector<Series> series_;
  std::vector<Held> held_;
  std::vector<uint16_t> held_by_eni_;  // fragments in held_ per ENI slot
  size_t mask_ = 0;
  size_t held_count_ = 0;
  size_t series_count_ = 0;
  size_t cursor_ = 0;
};

}  // namespace openvpc::conntrack
