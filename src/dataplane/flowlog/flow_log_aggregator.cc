#include "dataplane/flowlog/flow_log_aggregator.h"

#include <algorithm>
#include <cstring>

namespace openvpc::flowlog {
namespace {

using packet::IpAddress;

constexpr uint16_t kDnsPort = 53;
constexpr uint16_t kDhcpServerPort = 67;
constexpr uint16_t kDhcpClientPort = 68;
const IpAddress kLinkLocalResolver = IpAddress::v4(0xa9fea9fd);  // 169.254.169.253
const IpAddress kMetadata = IpAddress::v4(0xa9fea9fe);           // 169.254.169.254
const IpAddress kTimeSync = IpAddress::v4(0xa9fea97b);           // 169.254.169.123

uint64_t hash_of(uint16_t eni, const packet::FiveTuple& t, FlowDirection d, FlowAction a) {
  uint64_t words[5];
  std::memcpy(&words[0], t.src.bytes.data(), 16);
  std::memcpy(&words[2], t.dst.bytes.data(), 16);
  words[4] = (uint64_t{t.src_port} << 48) | (uint64_t{t.dst_port} << 32) |
             (uint64_t{t.protocol} << 24) | (uint64_t(d) << 17) | (uint64_t(a) << 16) | eni;
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (uint64_t w : words) {
    h ^= w;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  return h;
}

// AWS reports FIN, SYN, RST, and SYN-ACK (18); ACK alone is not reported.
uint8_t reported_flags(uint8_t flags) {
  uint8_t out = flags & (packet::kTcpFin | packet::kTcpSyn | packet::kTcpRst);
  if ((flags & packet::kTcpSyn) && (flags & packet::kTcpAck)) out |= packet::kTcpAck;
  return out;
}

}  // namespace

FlowLogAggregator::FlowLogAggregator(size_t capacity, uint32_t window_seconds, size_t eni_count)
    : capacity_(capacity), window_(window_seconds == 0 ? 600 : window_seconds) {
  records_.reserve(capacity);
  size_t slots = 2;
  while (slots < capacity * 2) slots <<= 1;
  index_.assign(slots, 0);
  enis_.resize(eni_count);
  for (EniState& state : enis_) state.window = window_;
}

void FlowLogAggregator::configure_eni(uint16_t eni, const FlowLogExclusions& exclusions) {
  if (eni < enis_.size()) enis_[eni].exclusions = exclusions;
}

void FlowLogAggregator::set_window(uint16_t eni, uint32_t window_seconds) {
  if (eni < enis_.size()) enis_[eni].window = window_seconds;
}

bool FlowLogAggregator::excluded(uint16_t eni, const packet::PacketMeta& meta) const {
  const packet::FiveTuple& t = meta.tuple;
  const FlowLogExclusions& ex = enis_[eni].exclusions;
  const auto either = [&](const IpAddress& a) { return t.src == a || t.dst == a; };
  if (either(ex.router) || either(kMetadata) || either(kTimeSync)) return true;
  if (t.protocol == packet::kProtoUdp || t.protocol == packet::kProtoTcp) {
    const bool dns =
        (t.dst_port == kDnsPort && (t.dst == ex.resolver || t.dst == kLinkLocalResolver)) ||
        (t.src_port == kDnsPort && (t.src == ex.resolver || t.src == kLinkLocalResolver));
    if (dns) return true;
  }
  if (t.protocol == packet::kProtoUdp) {
    const auto dhcp = [](uint16_t p) { return p == kDhcpServerPort || p == kDhcpClientPort; };
    if (dhcp(t.src_port) && dhcp(t.dst_port)) return true;
  }
  return false;
}

void FlowLogAggregator::index_record(uint32_t position) {
  const FlowLogRecord& r = records_[position];
  const size_t mask = index_.size() - 1;
  size_t i = hash_of(r.eni, r.tuple, r.direction, r.action) & mask;
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = position + 1;
}

uint32_t FlowLogAggregator::find_or_add(uint16_t eni, const packet::FiveTuple& tuple,
                                        FlowDirection direction, FlowAction action, uint32_t now) {
  const size_t mask = index_.size() - 1;
  for (size_t i = hash_of(eni, tuple, direction, action) & mask;; i = (i + 1) & mask) {
    const uint32_t at = index_[i];
    if (at == 0) {
      if (records_.size() == capacity_) return UINT32_MAX;
      FlowLogRecord r;
      r.eni = eni, r.tuple = tuple, r.direction = direction, r.action = action;
      r.start = now;
      records_.push_back(r);
      index_[i] = uint32_t(records_.size());
      return uint32_t(records_.size() - 1);
    }
    const FlowLogRecord& r = records_[at - 1];
    if (r.eni == eni && r.tuple == tuple && r.direction == direction && r.action == action) {
      return at - 1;
    }
  }
}

void FlowLogAggregator::record(uint16_t eni, const packet::PacketMeta& meta,
                               FlowDirection direction, FlowAction action, uint32_t unix_now,
                               uint32_t packets) {
  if (eni >= enis_.size() || enis_[eni].window == 0 || excluded(eni, meta)) return;
  EniState& state = enis_[eni];
  if (!state.open) {
    state.open = true;
    state.open_window = state.window;
    state.window_start = unix_now - unix_now % state.open_window;
    next_end_ = std::min(next_end_, state.window_start + state.open_window);
  }
  // AWS logs ICMP with ports 0 0: one record per (addresses, protocol), whatever the echo id.
  const bool icmp =
      meta.tuple.protocol == packet::kProtoIcmp || meta.tuple.protocol == packet::kProtoIcmpv6;
  packet::FiveTuple tuple = meta.tuple;
  if (icmp) tuple.src_port = tuple.dst_port = 0;
  const uint32_t i = find_or_add(eni, tuple, direction, action, unix_now);
  if (i == UINT32_MAX) {
    ++state.skipped;
    return;
  }
  FlowLogRecord& r = records_[i];
  r.packets += packets;
  r.bytes += meta.l3_size;
  if (packets > 1 && meta.payload_offset > meta.l3_offset) {
    r.bytes += uint64_t(packets - 1) * (meta.payload_offset - meta.l3_offset);
  }
  r.end = std::max(r.end, unix_now);
  if (meta.tuple.protocol == packet::kProtoTcp) r.tcp_flags |= reported_flags(meta.tcp.flags);
}

size_t FlowLogAggregator::flush(uint32_t unix_now, FlowLogSink& sink, bool force) {
  if (!force && unix_now < next_end_) return 0;
  const auto done = [&](const EniState& state) {
    return force ? state.open : ended(state, unix_now);
  };
  size_t written = 0;
  size_t kept = 0;
  for (size_t i = 0; i < records_.size(); ++i) {
    if (done(enis_[records_[i].eni])) {
      sink.write(records_[i]);
      ++written;
    } else {
      records_[kept++] = records_[i];
    }
  }
  next_end_ = UINT32_MAX;
  for (size_t eni = 0; eni < enis_.size(); ++eni) {
    EniState& state = enis_[eni];
    if (!done(state)) {
      if (state.open) next_end_ = std::min(next_end_, state.window_start + state.open_window);
      continue;
    }
    if (state.skipped != 0) {
      FlowLogRecord skip;
      skip.eni = uint16_t(eni);
      skip.status = LogStatus::skipdata;
      skip.start = state.window_start;
      skip.end = std::min(unix_now, state.window_start + state.open_window);
      sink.write(skip);
      ++written;
      state.skipped = 0;
    }
    state.open = false;
  }
  if (kept != records_.size()) {  // a window ended: re-index what stays (no allocation)
    records_.resize(kept);
    std::fill(index_.begin(), index_.end(), 0);
    for (uint32_t i = 0; i < kept; ++i) index_record(i);
  }
  if (written != 0) sink.end_of_window();
  return written;
}

}  // namespace openvpc::flowlog
