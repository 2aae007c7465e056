#include "hyperplane/health_prober.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <tuple>

#include "dataplane/nat_shard.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/geneve.h"
#include "packet/parser.h"

namespace openvpc::hyperplane {

namespace {

constexpr size_t kIpHeader = 20;
constexpr size_t kTcpHeader = 20;
constexpr size_t kSynOptions = 4;   // MSS
constexpr uint16_t kMss = 1200;     // small: the status line is all a probe reads
constexpr uint16_t kWindow = 8192;  // idem
constexpr size_t kMaxPayload =
    HealthProber::kPacketCapacity - packet::kGeneveEncapSize - kIpHeader - kTcpHeader;
constexpr uint32_t kTotalPorts = 65536 - HealthProber::kFirstSourcePort;
constexpr uint32_t kInitialRtoMs = 1000;  // RFC 6298

bool seq_lt(uint32_t a, uint32_t b) {
  return int32_t(a - b) < 0;
}
bool seq_le(uint32_t a, uint32_t b) {
  return int32_t(a - b) <= 0;
}

auto key_of(const ProbeTarget& t) {
  return std::tuple(t.target_group, t.address, t.port);
}

// The probe's wire identity: an in-flight probe survives set_targets only if it is unchanged.
bool same_wire(const ProbeTarget& a, const ProbeTarget& b) {
  return a.check_port == b.check_port && a.vni == b.vni && a.source == b.source &&
         a.source_eni == b.source_eni && a.target_eni == b.target_eni &&
         a.target_underlay == b.target_underlay && a.node_underlay == b.node_underlay &&
         a.http == b.http && a.request == b.request;
}

void append_path(std::string& out, const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (path.empty() || path.front() != '/') out += '/';
  for (const char c : path) {
    const auto u = uint8_t(c);
    if (u > 0x20 && u < 0x7f) {
      out += c;
    } else {  // never a blank, control byte or non-ASCII in the request line
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
}

std::string dotted(uint32_t v4) {
  return std::to_string(v4 >> 24) + "." + std::to_string((v4 >> 16) & 255) + "." +
         std::to_string((v4 >> 8) & 255) + "." + std::to_string(v4 & 255);
}

}  // namespace

HealthProber::HealthProber(uint64_t seed) : port_owner_(65536, 0), rng_(seed | 1) {}

std::vector<ProbeTarget> HealthProber::targets_of(const program::LoadBalancer& lb,
                                                  uint32_t node_underlay_v4, int slot) {
  std::vector<ProbeTarget> out;
  if (slot < 0 || size_t(slot) >= lb.nodes.size()) return out;
  std::vector<uint16_t> listeners;
  for (const auto& listener : lb.listeners) listeners.push_back(listener.port);
  std::sort(listeners.begin(), listeners.end());
  listeners.erase(std::unique(listeners.begin(), listeners.end()), listeners.end());
  bool any_v4 = false;
  for (const auto& iface : lb.interfaces) any_v4 = any_v4 || iface.address.is_v4();
  if (!any_v4) return out;

  for (const auto& group : lb.target_groups) {
    // A target group no listener forwards to is "unused" (Elastic Load Balancing): unchecked.
    const auto used = [&](const program::LoadBalancerListener& l) {
      return l.target_group == group.id;
    };
    if (std::none_of(lb.listeners.begin(), lb.listeners.end(), used)) continue;
    const program::HealthCheck& hc = group.health_check;
    const HttpMatcher matcher = HttpMatcher::parse(hc.matcher).value_or(HttpMatcher{});
    const uint32_t interval_ms = std::max<uint32_t>(hc.interval_seconds, 1) * 1000;
    const uint32_t timeout_ms =
        std::min(std::max<uint32_t>(hc.timeout_seconds, 1) * 1000, interval_ms);
    for (const auto& target : group.targets) {
      if (!target.address.is_v4() || !target.underlay.is_v4()) continue;
      const uint32_t address = target.address.v4_host_order();
      // The interface in the target's subnet: subnets of a VPC are disjoint, so its address
      // shares more leading bits with the target's than any other subnet's address does.
      // With none there, the longest match (ties: the first interface) stands in.
      const program::LoadBalancerInterface* source = nullptr;
      int best = -1;
      for (const auto& iface : lb.interfaces) {
        if (!iface.address.is_v4()) continue;
        const int common = std::countl_zero(iface.address.v4_host_order() ^ address);
        if (common > best) best = common, source = &iface;
      }
      ProbeTarget t;
      t.load_balancer = lb.id;
      t.target_group = group.id;
      t.address = address;
      t.port = target.port;
      t.check_port = hc.port != 0 ? hc.port : target.port;
      t.vni = lb.vpc;
      t.source = source->address.v4_host_order();
      t.source_eni = source->eni;
      t.target_eni = target.eni;
      t.target_underlay = target.underlay.v4_host_order();
      t.node_underlay = node_underlay_v4;
      t.slot = uint32_t(slot);
      t.slots = uint32_t(lb.nodes.size());
      t.enabled = hc.enabled && t.check_port != 0;
      t.http = hc.protocol == program::HealthCheckProtocol::http;
      t.interval_ms = interval_ms;
      t.timeout_ms = timeout_ms;
      t.healthy_threshold = std::max<uint32_t>(hc.healthy_threshold, 1);
      t.unhealthy_threshold = std::max<uint32_t>(hc.unhealthy_threshold, 1);
      t.matcher = matcher;
      if (t.http) {
        t.request = "GET ";
        append_path(t.request, hc.path);
        t.request += " HTTP/1.1\r\nHost: " + dotted(address) +
                     "\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n";
        if (t.request.size() > kMaxPayload) t.enabled = false;  // a path no packet holds
      }
      t.listener_ports = listeners;
      out.push_back(std::move(t));
    }
  }
  return out;
}

void HealthProber::set_targets(std::vector<ProbeTarget> targets) {
  std::stable_sort(targets.begin(), targets.end(), [](const ProbeTarget& a, const ProbeTarget& b) {
    return key_of(a) < key_of(b);
  });
  targets.erase(std::unique(targets.begin(), targets.end(),
                            [](const ProbeTarget& a, const ProbeTarget& b) {
                              return key_of(a) == key_of(b);
                            }),
                targets.end());
  std::vector<Entry> entries(targets.size());
  std::fill(port_owner_.begin(), port_owner_.end(), 0);
  changed_.clear();
  changed_.reserve(targets.size());
  unscheduled_ = 0;
  pending_tx_ = false;
  size_t old = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    Entry& e = entries[i];
    while (old < entries_.size() && key_of(entries_[old].target) < key_of(targets[i])) ++old;
    if (old < entries_.size() && key_of(entries_[old].target) == key_of(targets[i])) {
      e = std::move(entries_[old]);
      const bool keep_probe = same_wire(e.target, targets[i]) && targets[i].enabled;
      if (!keep_probe) {
        e.phase = Phase::idle;
        e.tx = 0;
      }
      if (!targets[i].enabled) {  // disabled: unknown again, never probed
        e.state = TargetState::initial;
        e.successes = e.failures = 0;
        e.last_failure = ProbeFailure::none;
        e.next_ms = kUnscheduled;
      }
    }
    e.target = std::move(targets[i]);
    if (e.changed) changed_.push_back(uint32_t(i));  // not drained yet: still reported
    if (e.phase != Phase::idle) port_owner_[e.source_port] = uint32_t(i + 1);
    if (e.tx != 0) pending_tx_ = true;
    if (e.target.enabled && e.next_ms == kUnscheduled) ++unscheduled_;
  }
  entries_ = std::move(entries);
  next_wake_ms_ = 0;
}

const HealthProber::Entry* HealthProber::find(uint32_t target_group, uint32_t address,
                                              uint16_t port) const {
  const auto key = std::tuple(target_group, address, port);
  const auto it =
      std::lower_bound(entries_.begin(), entries_.end(), key,
                       [](const Entry& e, const auto& k) { return key_of(e.target) < k; });
  if (it == entries_.end() || key_of(it->target) != key) return nullptr;
  return &*it;
}

TargetState HealthProber::state(uint32_t target_group, uint32_t address, uint16_t port) const {
  const Entry* e = find(target_group, address, port);
  return e ? e->state : TargetState::initial;
}

uint32_t HealthProber::next_iss() {  // splitmix64
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return uint32_t(z ^ (z >> 31));
}

uint16_t HealthProber::pick_port(const ProbeTarget& t) {
  for (uint32_t step = 0; step < kTotalPorts; ++step) {
    const uint16_t port = port_cursor_;
    port_cursor_ = port_cursor_ == 65535 ? kFirstSourcePort : uint16_t(port_cursor_ + 1);
    if (port_owner_[port] != 0) continue;
    if (dataplane::load_balancer_slot(t.source, port, t.slots) != t.slot) continue;
    if (std::binary_search(t.listener_ports.begin(), t.listener_ports.end(), port)) continue;
    return port;
  }
  return 0;
}

void HealthProber::release(Entry& e) {
  if (e.phase != Phase::idle && port_owner_[e.source_port] == uint32_t(&e - entries_.data()) + 1) {
    port_owner_[e.source_port] = 0;
  }
  e.phase = Phase::idle;
}

void HealthProber::finish(Entry& e, bool success, ProbeFailure why) {
  release(e);
  const TargetState before = e.state;
  if (success) {
    ++counters_.successes;
    e.failures = 0;
    if (++e.successes >= e.target.healthy_threshold) e.state = TargetState::healthy;
  } else {
    ++counters_.failures;
    e.successes = 0;
    e.last_failure = why;
    if (++e.failures >= e.target.unhealthy_threshold) e.state = TargetState::unhealthy;
  }
  if (e.state != before && !e.changed) {
    e.changed = true;
    changed_.push_back(uint32_t(&e - entries_.data()));
  }
}

bool HealthProber::start_probe(Entry& e, uint64_t now_ms) {
  e.next_ms += e.target.interval_ms;  // a steady cadence; late (a long stall): from now
  if (e.next_ms <= now_ms) e.next_ms = now_ms + e.target.interval_ms;
  const uint16_t port = pick_port(e.target);
  if (port == 0) {
    finish(e, false, ProbeFailure::no_port);
    return false;
  }
  e.source_port = port;
  port_owner_[port] = uint32_t(&e - entries_.data()) + 1;
  e.phase = Phase::syn_sent;
  e.deadline_ms = now_ms + e.target.timeout_ms;
  e.rto_ms = kInitialRtoMs;
  e.retransmit_ms = now_ms + e.rto_ms;
  e.iss = next_iss();
  e.snd_nxt = e.iss + 1;
  e.rcv_nxt = 0;
  e.fin = false;
  e.status_size = 0;
  e.tx = 0;
  ++counters_.probes;
  return true;
}

size_t HealthProber::write_segment(const Entry& e, uint8_t* out, uint8_t flags, uint32_t seq,
                                   uint32_t ack, std::span<const uint8_t> payload,
                                   bool syn_options) const {
  const ProbeTarget& t = e.target;
  const size_t tcp_size = kTcpHeader + (syn_options ? kSynOptions : 0) + payload.size();
  const size_t ip_size = kIpHeader + tcp_size;
  uint8_t* ip = out + packet::kGeneveEncapSize;
  uint8_t* tcp = ip + kIpHeader;
  ip[0] = 0x45;
  ip[1] = 0;
  packet::store_be16(ip + 2, uint16_t(ip_size));
  packet::store_be16(ip + 4, 0);
  packet::store_be16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = packet::kProtoTcp;
  packet::store_be16(ip + 10, 0);
  packet::store_be32(ip + 12, t.source);
  packet::store_be32(ip + 16, t.address);
  packet::store_be16(ip + 10, packet::ipv4_header_checksum(ip, kIpHeader));
  packet::store_be16(tcp + 0, e.source_port);
  packet::store_be16(tcp + 2, t.check_port);
  packet::store_be32(tcp + 4, seq);
  packet::store_be32(tcp + 8, ack);
  tcp[12] = uint8_t(((kTcpHeader + (syn_options ? kSynOptions : 0)) / 4) << 4);
  tcp[13] = flags;
  packet::store_be16(tcp + 14, (flags & packet::kTcpRst) ? 0 : kWindow);
  packet::store_be16(tcp + 16, 0);
  packet::store_be16(tcp + 18, 0);
  size_t at = kTcpHeader;
  if (syn_options) {
    tcp[at++] = 2;  // MSS
    tcp[at++] = 4;
    packet::store_be16(tcp + at, kMss);
    at += 2;
  }
  if (!payload.empty()) std::memcpy(tcp + at, payload.data(), payload.size());
  const packet::IpAddress src = packet::IpAddress::v4(t.source);
  const packet::IpAddress dst = packet::IpAddress::v4(t.address);
  packet::store_be16(tcp + 16, packet::l4_checksum(src, dst, packet::kProtoTcp, tcp, tcp_size));

  packet::GeneveEncap encap;
  encap.outer_src_v4 = t.node_underlay;
  encap.outer_dst_v4 = t.target_underlay;
  encap.src_port = packet::flow_source_port(
      {src, dst, e.source_port, t.check_port, packet::kProtoTcp, 4});  // fixed per probe
  encap.vni = t.vni;
  encap.source_eni = t.source_eni;
  encap.destination_eni = t.target_eni;
  encap.vpc_flags = packet::kVpcFlagFromHyperplane;
  packet::write_geneve_encap(out, encap, uint16_t(ip_size));
  return packet::kGeneveEncapSize + ip_size;
}

size_t HealthProber::poll(uint64_t now_ms, std::span<std::array<uint8_t, kPacketCapacity>> out,
                          std::span<size_t> lengths) {
  const size_t capacity = std::min(out.size(), lengths.size());
  if (capacity == 0 || (!pending_tx_ && unscheduled_ == 0 && now_ms < next_wake_ms_)) return 0;
  if (unscheduled_ > 0) {  // first probes of new targets: spread over their interval
    size_t k = 0;
    for (Entry& e : entries_) {
      if (!e.target.enabled || e.next_ms != kUnscheduled) continue;
      e.next_ms = now_ms + uint64_t(e.target.interval_ms) * k / unscheduled_;
      ++k;
    }
    unscheduled_ = 0;
  }
  size_t n = 0;
  bool full = false;
  uint64_t wake = kUnscheduled;
  const auto emit = [&](size_t size) {
    lengths[n++] = size;
    ++counters_.packets;
    full = n == capacity;
  };
  for (Entry& e : entries_) {
    if (full) break;
    // Segments owed (by on_reply or a finished probe), oldest obligation first.
    if (e.tx & kTxRequest) {
      const auto* request = reinterpret_cast<const uint8_t*>(e.target.request.data());
      emit(write_segment(e, out[n].data(), packet::kTcpAck | packet::kTcpPsh, e.iss + 1, e.rcv_nxt,
                         {request, e.target.request.size()}, false));
      e.tx &= uint8_t(~kTxRequest);
      if (full) break;
    }
    if (e.tx & kTxAck) {
      emit(write_segment(e, out[n].data(), packet::kTcpAck, e.snd_nxt, e.rcv_nxt, {}, false));
      e.tx &= uint8_t(~kTxAck);
      if (full) break;
    }
    if (e.tx & kTxRst) {
      emit(write_segment(e, out[n].data(), packet::kTcpRst | packet::kTcpAck, e.snd_nxt, e.rcv_nxt,
                         {}, false));
      e.tx &= uint8_t(~kTxRst);
      if (full) break;
    }
    if (e.phase != Phase::idle && now_ms >= e.deadline_ms) {
      const bool connected = e.phase == Phase::established;
      finish(e, false, ProbeFailure::timeout);
      if (connected) {  // close what the target holds open
        emit(write_segment(e, out[n].data(), packet::kTcpRst | packet::kTcpAck, e.snd_nxt,
                           e.rcv_nxt, {}, false));
        if (full) break;
      }
    }
    if (e.phase != Phase::idle && now_ms >= e.retransmit_ms) {  // before the deadline (above)
      ++counters_.retransmits;
      if (e.phase == Phase::syn_sent) {
        emit(write_segment(e, out[n].data(), packet::kTcpSyn, e.iss, 0, {}, true));
      } else {
        const auto* request = reinterpret_cast<const uint8_t*>(e.target.request.data());
        emit(write_segment(e, out[n].data(), packet::kTcpAck | packet::kTcpPsh, e.iss + 1,
                           e.rcv_nxt, {request, e.target.request.size()}, false));
      }
      e.rto_ms *= 2;
      e.retransmit_ms = now_ms + e.rto_ms;
      if (full) break;
    }
    if (e.phase == Phase::idle && e.target.enabled && e.next_ms != kUnscheduled &&
        now_ms >= e.next_ms && start_probe(e, now_ms)) {
      emit(write_segment(e, out[n].data(), packet::kTcpSyn, e.iss, 0, {}, true));
    }
    if (e.phase != Phase::idle) wake = std::min({wake, e.deadline_ms, e.retransmit_ms});
    if (e.target.enabled && e.next_ms != kUnscheduled) wake = std::min(wake, e.next_ms);
  }
  pending_tx_ = full;
  next_wake_ms_ = full ? 0 : wake;
  return n;
}

void HealthProber::on_data(Entry& e, const uint8_t* payload, size_t size, uint32_t seq, bool fin) {
  // Only bytes at rcv_nxt count; a retransmission's old part is skipped, a gap is re-ACKed.
  if (size > 0) {
    const uint32_t end = seq + uint32_t(size);
    if (seq_le(seq, e.rcv_nxt) && seq_lt(e.rcv_nxt, end)) {
      const size_t skip = e.rcv_nxt - seq;
      const size_t take = std::min(size - skip, e.status.size() - e.status_size);
      std::memcpy(e.status.data() + e.status_size, payload + skip, take);
      e.status_size = uint8_t(e.status_size + take);
      e.rcv_nxt = end;
      e.retransmit_ms = kUnscheduled;  // the target has the request: it answers
    } else {
      e.tx |= kTxAck;  // out of order or old: say where we are
      pending_tx_ = true;
      return;
    }
  }
  if (fin && seq + uint32_t(size) == e.rcv_nxt) {
    e.rcv_nxt += 1;
    e.fin = true;
  }
  if (size == 0 && !e.fin) return;
  const StatusLine line = parse_status_line(e.status.data(), e.status_size, e.fin);
  pending_tx_ = true;
  if (line.result == StatusLine::Result::need_more) {
    e.tx |= kTxAck;
    return;
  }
  e.tx = kTxRst;  // the request has been answered: nothing else is owed
  if (line.result == StatusLine::Result::invalid) {
    finish(e, false, ProbeFailure::bad_response);
  } else if (e.target.matcher.matches(line.code)) {
    finish(e, true, ProbeFailure::none);
  } else {
    finish(e, false, ProbeFailure::response_code);
  }
}

bool HealthProber::on_reply(uint32_t vni, const uint8_t* inner_ipv4, size_t length,
                            uint64_t now_ms) {
  if (inner_ipv4 == nullptr || length < kIpHeader + kTcpHeader || (inner_ipv4[0] >> 4) != 4) {
    return false;
  }
  const packet::PacketMeta meta = packet::parse_ip({inner_ipv4, length});
  if (!meta.ok() || meta.ip_version != 4 || meta.tuple.protocol != packet::kProtoTcp ||
      meta.l4_offset == 0 || meta.fragment.is_fragment || meta.geneve.present) {
    return false;
  }
  const uint32_t owner = port_owner_[meta.tuple.dst_port];
  if (owner == 0 || owner > entries_.size()) return false;
  Entry& e = entries_[owner - 1];
  const ProbeTarget& t = e.target;
  if (e.phase == Phase::idle || e.source_port != meta.tuple.dst_port || vni != t.vni ||
      meta.tuple.src.v4_host_order() != t.address || meta.tuple.dst.v4_host_order() != t.source ||
      meta.tuple.src_port != t.check_port) {
    return false;
  }
  ++counters_.replies;
  const packet::TcpInfo& tcp = meta.tcp;
  const bool ack_ok = (tcp.flags & packet::kTcpAck) && tcp.ack == e.snd_nxt;
  if (e.phase == Phase::syn_sent) {
    if (tcp.flags & packet::kTcpRst) {
      if (ack_ok) finish(e, false, ProbeFailure::refused);  // RFC 793: RST acking our SYN
      return true;
    }
    if ((tcp.flags & packet::kTcpSyn) == 0 || !ack_ok) return true;
    e.rcv_nxt = tcp.seq + 1;
    if (!t.http) {  // connected: that is the check; close it
      e.tx = kTxRst;
      pending_tx_ = true;
      finish(e, true, ProbeFailure::none);
      return true;
    }
    e.phase = Phase::established;
    e.snd_nxt = e.iss + 1 + uint32_t(t.request.size());
    e.rto_ms = kInitialRtoMs;
    e.retransmit_ms = now_ms + e.rto_ms;
    e.tx = kTxRequest;
    pending_tx_ = true;
    return true;
  }
  // established (HTTP)
  if (tcp.flags & packet::kTcpRst) {  // in window (RFC 5961 would ask for exact; be lenient)
    if (seq_le(e.rcv_nxt, tcp.seq) && seq_lt(tcp.seq, e.rcv_nxt + kWindow)) {
      e.tx = 0;
      finish(e, false, ProbeFailure::refused);
    }
    return true;
  }
  if (tcp.flags & packet::kTcpSyn) {  // the SYN-ACK again: our ACK + request was lost
    if (ack_ok || tcp.ack == e.iss + 1) {
      if (tcp.seq + 1 == e.rcv_nxt && e.status_size == 0) {
        e.tx |= kTxRequest;
        pending_tx_ = true;
      }
    }
    return true;
  }
  if ((tcp.flags & packet::kTcpAck) == 0) return true;
  const size_t end = size_t(meta.l3_offset) + meta.l3_size;
  const size_t size = end > meta.payload_offset ? end - meta.payload_offset : 0;
  on_data(e, inner_ipv4 + meta.payload_offset, size, tcp.seq, tcp.flags & packet::kTcpFin);
  return true;
}

}  // namespace openvpc::hyperplane
