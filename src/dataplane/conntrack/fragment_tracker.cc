#include "dataplane/conntrack/fragment_tracker.h"

#include <cstring>

namespace openvpc::conntrack {
namespace {

constexpr uint32_t kMaxDatagramSize = 65535;
constexpr uint8_t kIpv6FragmentHeader = 44;

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

}  // namespace

int fragment_data_size(const packet::PacketMeta& meta, std::span<const uint8_t> buffer) {
  const size_t l3_end = size_t(meta.l3_offset) + meta.l3_size;
  if (l3_end > buffer.size()) return -1;
  if (meta.ip_version == 4) {
    const int header = meta.ipv4_ihl * 4;
    return meta.l3_size >= header ? int(meta.l3_size) - header : -1;
  }
  // IPv6: walk the extension headers up to the fragment header.
  size_t at = size_t(meta.l3_offset) + 40;
  if (at > l3_end) return -1;
  uint8_t next = buffer[meta.l3_offset + 6];
  for (int i = 0; i <= packet::kMaxIpv6Extensions; ++i) {
    if (next == kIpv6FragmentHeader) {
      return at + 8 <= l3_end ? int(l3_end - at - 8) : -1;
    }
    if (at + 2 > l3_end) return -1;
    next = buffer[at];
    at += (size_t(buffer[at + 1]) + 1) * 8;
  }
  return -1;
}

FragmentTracker::FragmentTracker(const Limits& limits) : limits_(limits) {
  size_t buckets = 1;
  while (buckets * kWays < limits.series) buckets <<= 1;
  series_.resize(buckets * kWays);
  held_.resize(limits.held);
  held_by_eni_.resize(limits.eni_count);
  mask_ = buckets - 1;
}

FragmentTracker::Key FragmentTracker::key_of(uint16_t eni, const packet::PacketMeta& meta) {
  Key key;
  key.src = meta.tuple.src;
  key.dst = meta.tuple.dst;
  key.id = meta.fragment.id;
  key.protocol = meta.tuple.protocol;
  key.eni = eni;
  return key;
}

uint64_t FragmentTracker::hash(const Key& key) {
  uint64_t words[5];
  static_assert(sizeof(Key) == sizeof(words));
  std::memcpy(words, &key, sizeof(words));
  uint64_t h = 0x2545f4914f6cdd1dULL;
  for (uint64_t w : words) h = mix(h ^ w);
  return h;
}

uint32_t FragmentTracker::find(const Key& key) const {
  const size_t b = hash(key) & mask_;
  for (size_t way = 0; way < kWays; ++way) {
    const uint32_t i = uint32_t(b * kWays + way);
    if (series_[i].state != State::free && series_[i].key == key) return i;
  }
  return UINT32_MAX;
}

// The series of `key`, or a new pending one in a free (or expired, nothing held) way.
uint32_t FragmentTracker::find_or_add(const Key& key, uint32_t now) {
  if (const uint32_t i = find(key); i != UINT32_MAX) return i;
  const size_t b = hash(key) & mask_;
  for (size_t way = 0; way < kWays; ++way) {
    const uint32_t i = uint32_t(b * kWays + way);
    Series& s = series_[i];
    if (s.state != State::free && (s.expires_at > now || s.held != 0)) continue;
    if (s.state != State::free) forget(i);
    s = Series{};
    s.key = key;
    s.state = State::pending;
    s.expires_at = now + limits_.series_timeout;
    ++series_count_;
    return i;
  }
  return UINT32_MAX;
}

void FragmentTracker::forget(uint32_t i) {
  series_[i].state = State::free;
  --series_count_;
}

// Adds [begin, end) to the series' byte ranges, merging neighbours.
DropReason FragmentTracker::add_range(Series& s, uint32_t begin, uint32_t end, bool last) const {
  if (end > kMaxDatagramSize || (s.total != 0 && end > s.total) ||
      (last && s.total != 0 && end != s.total)) {
    return DropReason::fragment_oversized;
  }
  if (last) {
    for (uint8_t i = 0; i < s.range_count; ++i) {
      if (s.ranges[i].end > end) return DropReason::fragment_oversized;
    }
  }
  for (uint8_t i = 0; i < s.range_count; ++i) {
    if (begin < s.ranges[i].end && s.ranges[i].begin < end) return DropReason::fragment_overlap;
  }
  Range added{uint16_t(begin), uint16_t(end)};
  uint8_t kept = 0;
  for (uint8_t i = 0; i < s.range_count; ++i) {  // absorb touching ranges
    const Range r = s.ranges[i];
    if (r.end == added.begin) {
      added.begin = r.begin;
    } else if (r.begin == added.end) {
      added.end = r.end;
    } else {
      s.ranges[kept++] = r;
    }
  }
  if (kept == kMaxRanges) return DropReason::fragment_too_many;
  s.ranges[kept++] = added;
  s.range_count = kept;
  if (last) s.total = end;
  return DropReason::none;
}

DropReason FragmentTracker::hold_room(uint16_t eni) const {
  if (held_count_ >= held_.size()) return DropReason::fragment_hold_full;
  if (eni >= held_by_eni_.size() || held_by_eni_[eni] >= limits_.held_per_eni) {
    return DropReason::fragment_hold_eni_full;
  }
  return DropReason::none;
}

FragmentTracker::Decision FragmentTracker::hold(uint32_t series, uint64_t handle, uint32_t now) {
  Series& s = series_[series];
  if (const DropReason full = hold_room(s.key.eni); full != DropReason::none) {
    return {Action::drop, full};
  }
  for (Held& h : held_) {
    if (h.used) continue;
    h = Held{handle, series, now + limits_.hold_timeout, true};
    ++s.held;
    ++held_by_eni_[s.key.eni];
    ++held_count_;
    return {Action::hold, DropReason::none};
  }
  return {Action::drop, DropReason::fragment_hold_full};
}

void FragmentTracker::release_held(Held& h, Series& s) {
  h.used = false;
  --s.held;
  --held_by_eni_[s.key.eni];
  --held_count_;
}

FragmentTracker::Decision FragmentTracker::admit(uint16_t eni, const packet::PacketMeta& meta,
                                                 std::span<const uint8_t> buffer, uint64_t handle,
                                                 uint32_t now) {
  const int size = fragment_data_size(meta, buffer);
  if (!meta.ok() || size < 0) return {Action::drop, DropReason::malformed};
  const uint32_t begin = meta.fragment.offset;
  const uint32_t end = begin + uint32_t(size);
  if (end > kMaxDatagramSize) return {Action::drop, DropReason::fragment_oversized};
  const Key key = key_of(eni, meta);
  uint32_t index = find(key);
  // A later fragment of no known datagram would be held: without room for it, it starts no
  // series either (a flood of them must not fill the series table for other ENIs).
  if (index == UINT32_MAX && begin != 0) {
    if (const DropReason full = hold_room(eni); full != DropReason::none) {
      return {Action::drop, full};
    }
  }
  if (index == UINT32_MAX) index = find_or_add(key, now);
  if (index == UINT32_MAX) return {Action::drop, DropReason::fragment_hold_full};
  Series& s = series_[index];
  if (s.state == State::dropped) return {Action::drop, DropReason::fragment_rejected};
  if (begin != 0 && s.state == State::pending) {  // it will be held: is there room?
    if (const DropReason full = hold_room(eni); full != DropReason::none) {
      return {Action::drop, full};  // before its range is recorded: a resend may be held
    }
  }
  DropReason reason = DropReason::none;
  if (++s.fragments > limits_.max_fragments) {
    reason = DropReason::fragment_too_many;
  } else {
    reason = add_range(s, begin, end, !meta.fragment.more_fragments);
  }
  if (reason != DropReason::none) {
    s.state = State::dropped;  // poisoned: the whole datagram goes
    return {Action::drop, reason};
  }
  if (begin == 0) return {Action::track, DropReason::none};
  if (s.state == State::accepted) return {Action::accept, DropReason::none};
  return hold(index, handle, now);
}

size_t FragmentTracker::settle(uint16_t eni, const packet::PacketMeta& meta, bool accepted,
                               std::span<Release> out) {
  const uint32_t index = find(key_of(eni, meta));
  if (index == UINT32_MAX) return 0;
  Series& s = series_[index];
  if (s.state == State::pending) s.state = accepted ? State::accepted : State::dropped;
  const bool pass = s.state == State::accepted;
  size_t n = 0;
  for (Held& h : held_) {
    if (!h.used || h.series != index || n == out.size()) continue;
    out[n++] = Release{h.handle, pass, pass ? DropReason::none : DropReason::fragment_rejected};
    release_held(h, s);
  }
  return n;
}

size_t FragmentTracker::expire(uint32_t now, std::span<Release> out) {
  // Called after every batch: with nothing tracked (the common case) there is nothing to walk.
  if (series_count_ == 0) return 0;
  size_t n = 0;
  for (Held& h : held_) {
    if (!h.used || h.expires_at > now || n == out.size()) continue;
    Series& s = series_[h.series];
    const DropReason why =
        s.state == State::dropped ? DropReason::fragment_rejected : DropReason::fragment_orphan;
    out[n++] = Release{h.handle, false, why};
    release_held(h, s);
    // Its first fragment never came: forget the series now rather than at series_timeout.
    if (s.held == 0 && s.state == State::pending) forget(h.series);
  }
  // A bounded walk over the series table, like ConntrackTable::sweep.
  for (size_t i = 0; i < 64 && !series_.empty(); ++i) {
    const uint32_t index = uint32_t(cursor_);
    cursor_ = (cursor_ + 1) % series_.size();
    const Series& s = series_[index];
    if (s.state != State::free && s.expires_at <= now && s.held == 0) forget(index);
  }
  return n;
}

}  // namespace openvpc::conntrack
