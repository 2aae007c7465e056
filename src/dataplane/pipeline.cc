#include "dataplane/pipeline.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "dataplane/actions.h"
#include "dataplane/conntrack/icmp_tracker.h"
#include "dataplane/trace.h"
#include "dataplane/trace_note.h"
#include "packet/checksum.h"
#include "packet/ecn.h"
#include "packet/fast_parse.h"
#include "packet/geneve.h"

namespace openvpc::dataplane {
namespace {

const char* stale_entry_note(bool current) {
  return current ? "stale: its connection is gone; classify again"
                 : "stale: computed under an older program; classify again";
}

ConnectionLimits connection_limits(const PipelineConfig& config) {
  return {config.connection_capacity, config.eni_capacity, config.connection_settings};
}

// TSO (Packet::gso_type): from the underlay the VPC option says whether the packet is a
// super-frame. Either way it must be a whole TCP packet of the IP version its GSO type names,
// with a segment size; false: drop it as malformed.
bool take_gso(Packet& p, const packet::PacketMeta& meta) {
  if (p.in_port.kind == PortKind::underlay) {
    const uint16_t flag = meta.geneve.vpc_flags & packet::kVpcFlagsGso;
    p.gso_type = flag == packet::kVpcFlagGsoTcpv4   ? kGsoTcpv4
                 : flag == packet::kVpcFlagGsoTcpv6 ? kGsoTcpv6
                                                    : kGsoNone;
    if (flag == packet::kVpcFlagsGso) return false;
    p.gso_size = p.gso_type != kGsoNone ? meta.geneve.gso_size : 0;
  }
  if (p.gso_type == kGsoNone) return true;
  const uint8_t version = p.gso_type == kGsoTcpv4 ? 4 : p.gso_type == kGsoTcpv6 ? 6 : 0;
  return meta.ip_version == version && meta.tuple.protocol == packet::kProtoTcp && p.gso_size > 0 &&
         !meta.fragment.is_fragment && meta.payload_offset != 0;
}

// The largest IP packet the packet stands for: a super-frame's headers plus one segment.
size_t segment_l3_size(const Packet& p, const packet::PacketMeta& meta) {
  if (p.gso_type == kGsoNone) return meta.l3_size;
  return std::min<size_t>(meta.l3_size, size_t(meta.payload_offset - meta.l3_offset) + p.gso_size);
}

// Packets on the wire a packet stands for: ceil(payload / gso_size) for a super-frame, else 1.
uint32_t wire_packets(const Packet& p, const packet::PacketMeta& meta) {
  if (p.gso_type == kGsoNone || p.gso_size == 0) return 1;
  const size_t payload = size_t(meta.l3_offset) + meta.l3_size - meta.payload_offset;
  return std::max<uint32_t>(1, uint32_t((payload + p.gso_size - 1) / p.gso_size));
}

}  // namespace

Pipeline::Pipeline(const ProgramPublisher& publisher, PipelineConfig config)
    : publisher_(publisher),
      config_(config),
      flows_(config.flow_capacity),
      connections_(connection_limits(config)),
      fragments_({config.fragment_series, config.fragment_hold_slots,
                  config.fragment_hold_slots_per_eni, config.eni_capacity,
                  config.fragment_hold_seconds}),
      // Held fragments, those released in the same call (they are held again meanwhile),
      // and the cut ones: the pool never runs dry in a call that keeps within the limits.
      pool_(2 * config.fragment_hold_slots + config.fragment_output_slots),
      held_(pool_.count()),
      releases_(config.fragment_hold_slots),
      // A TSO super-frame fits a queue buffer; none is allocated unless the shaper is on.
      queue_pool_(config.allowance.queue_bandwidth_out && config.allowance.megabits_per_second != 0
                      ? config.bandwidth_queue_slots
                      : 0,
                  PacketPool::kHeadroom + UINT16_MAX),
      queued_packets_(queue_pool_.count()),
      flow_log_(config.flow_log_sink != nullptr ? config.flow_log_capacity : 0,
                config.flow_log_window_seconds, config.eni_capacity),
      allowances_(config.allowance) {
  released_.reserve(pool_.count() + queue_pool_.count());
  released_buffers_.reserve(pool_.count());
  released_queue_buffers_.reserve(queue_pool_.count());
}

const EniCounters* Pipeline::eni_counters(uint32_t eni) const {
  auto it = eni_counters_.find(eni);
  return it == eni_counters_.end() ? nullptr : it->second.get();
}

const conntrack::EniCounters* Pipeline::connection_counters(uint32_t eni) const {
  const uint16_t slot = connections_.slot_of(eni);
  return slot == kNoConnectionSlot ? nullptr : &connections_.table().counters(slot);
}

size_t Pipeline::held_fragment_count(uint32_t eni) const {
  const uint16_t slot = connections_.slot_of(eni);
  return slot == kNoConnectionSlot ? 0 : fragments_.held_count(slot);
}

uint32_t Pipeline::connection_allowance_available(uint32_t eni) const {
  const uint16_t slot = connections_.slot_of(eni);
  return slot == kNoConnectionSlot ? 0 : connections_.table().allowance_available(slot);
}

uint64_t Pipeline::connection_allowance_exceeded(uint32_t eni) const {
  const conntrack::EniCounters* c = connection_counters(eni);
  return c == nullptr ? 0 : c->allowance_exceeded();
}

void Pipeline::refresh_program() {
  const uint64_t version = publisher_.version();
  if (version == seen_version_) return;
  seen_version_ = version;
  program_ = publisher_.current();
  ++epoch_;
  ++counters_.program_swaps;
  counters_by_index_.clear();
  refresh_queues();
  if (!program_) return;
  connections_.refresh(*program_, uint32_t(epoch_));
  allowances_.refresh(*program_);
  for (size_t i = 0; i < program_->local_enis.size(); ++i) {
    const LocalEni& eni = program_->local_enis[i];
    auto& slot = eni_counters_[eni.id];
    if (!slot) slot = std::make_unique<EniCounters>();
    counters_by_index_.push_back(slot.get());
    const uint16_t connection_slot = connections_.slot_of_local(int32_t(i));
    if (connection_slot == kNoConnectionSlot) continue;
    const CompiledSubnet& subnet = program_->subnets[eni.subnet];
    const CompiledVpc* vpc = program_->find_vpc(eni.vpc);
    flow_log_.configure_eni(connection_slot,
                            {subnet.router_address, vpc ? vpc->dns_address : subnet.dns_address});
    flow_log_.set_window(connection_slot, eni.flow_log_window_seconds);  // 0: no flow log
  }
}

void Pipeline::process(PacketBatch batch, uint64_t now_ns) {
  process(batch, now_ns, uint64_t(int64_t(now_ns) + config_.unix_clock_offset_ns));
}

void Pipeline::process(PacketBatch batch, uint64_t now_ns, uint64_t unix_now_ns) {
  refresh_program();
  start_released();
  const uint32_t now = uint32_t(now_ns / 1'000'000'000);
  now_ns_ = now_ns;
  unix_now_ = uint32_t(unix_now_ns / 1'000'000'000);
  for (size_t start = 0; start < batch.size(); start += kMaxBatch) {
    process_chunk(batch.subspan(start, std::min(kMaxBatch, batch.size() - start)), now);
  }
  if (queued_ != 0) [[unlikely]]
    release_queued(now_ns);
  connections_.sweep(now);
  const size_t expired = fragments_.expire(now, releases_);
  for (size_t i = 0; i < expired; ++i)
    drop_held(uint32_t(releases_[i].handle), releases_[i].reason);
  if (config_.flow_log_sink != nullptr) flow_log_.flush(unix_now_, *config_.flow_log_sink);
}

void Pipeline::process_chunk(PacketBatch chunk, uint32_t now) {
  for (size_t i = 0; i < chunk.size(); ++i) {
    Packet& p = chunk[i];
    const std::span<const uint8_t> bytes(p.data, p.size);
    // Placement new from the prvalue: the parser writes straight into the batch's slot.
    // fast_filled_[i]: metas_[i] holds a fast_parse result, whose fields that are the same
    // for every frame of its shape need no second write.
    bool fast = false;
    if (p.in_port.kind == PortKind::underlay) {
      ::new (&metas_[i]) packet::PacketMeta(packet::parse_ip(bytes));
    } else if (fast_filled_[i] ? packet::fast_parse_frame_again(bytes, metas_[i])
                               : packet::fast_parse_frame(bytes, metas_[i])) {
      fast = true;  // the common frame, or:
    } else {
      ::new (&metas_[i]) packet::PacketMeta(packet::parse_frame(bytes));
    }
    fast_filled_[i] = fast;
    const packet::PacketMeta& meta = metas_[i];
    p.parse_error = meta.error;
    p.out_port = Port{};
    if (!program_) {
      admissions_[i] = Admission{DropReason::unknown_port, false, false, -1};
      continue;
    }
    admissions_[i] = admit(*program_, p.in_port, meta, bytes, trace_);
    if (admissions_[i].drop != DropReason::none || admissions_[i].local_services) continue;
    keys_[i] = p.in_port.kind == PortKind::eni
                   ? FlowKey::from_eni(p.in_port.id, meta.tuple)
                   : FlowKey::from_underlay(meta.geneve.destination_eni, meta.geneve.source_eni,
                                            meta.geneve.outer_src.v4_host_order(), meta.geneve.vni,
                                            meta.tuple);
    hashes_[i] = keys_[i].hash();
    flows_.prefetch(hashes_[i]);
  }
  prefetch_state(chunk.size());
  for (size_t i = 0; i < chunk.size(); ++i) {
    process_packet(chunk[i], metas_[i], admissions_[i], keys_[i], hashes_[i], now);
  }
}

// Between parsing (which prefetched each packet's bucket) and processing: prefetch the likely
// flow entry of each packet, so that with many flows the DRAM misses of a batch overlap
// instead of queueing one after another.
void Pipeline::prefetch_state(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    candidates_[i] = kInvalidSlot;
    if (admissions_[i].drop != DropReason::none || admissions_[i].local_services) continue;
    candidates_[i] = flows_.candidate(hashes_[i]);
    if (candidates_[i] != kInvalidSlot) flows_.prefetch_slot(candidates_[i]);
  }
}

const FlowEntry* Pipeline::find_or_classify(Packet& p, const packet::PacketMeta& meta,
                                            const LocalEni* source, const FlowKey& key,
                                            uint64_t hash, uint32_t now) {
  // An ICMP error is decided by the connection it quotes (REFERENCE.md), never by a flow
  // entry: all errors between two addresses share one key, so a cached verdict would let the
  // first error decide for the next ones. Errors are rare; each takes the slow path.
  const bool cached = !conntrack::is_icmp_error(meta);
  const uint32_t slot = cached ? flows_.find(key, hash) : kInvalidSlot;
  if (slot != kInvalidSlot) {
    FlowEntry& e = flows_.at(slot).value;
    if (e.generation == epoch_) {
      const ConnectionStage::CheckResult r = connections_.check(e, meta, now);
      if (r.check == ConnectionStage::Check::pass) {
        note(trace_, "flow-cache", [&] {
          return "hit: " + std::string(to_string(e.action.verdict)) +
                 (e.connection_slots[0] != kNoConnectionSlot ||
                          e.connection_slots[1] != kNoConnectionSlot
                      ? " (its connections pass the packet)"
                      : "");
        });
        flows_.touch(slot, now);
        ++counters_.flow_hits;
        return &e;
      }
      if (r.check == ConnectionStage::Check::drop) {
        note(trace_, "flow-cache", [&] {
          return "hit, but its connection drops the packet: " + std::string(to_string(r.reason));
        });
        ++counters_.flow_hits;
        drop_packet(p, r.reason);
        return nullptr;
      }
    }
    note(trace_, "flow-cache",
         [&] { return std::string(stale_entry_note(flows_.at(slot).value.generation == epoch_)); });
    ++counters_.flow_stale;
  }
  return classify(p, meta, source, key, hash, now, cached);
}

inline void Pipeline::count_here(const Packet& p, const packet::PacketMeta& meta, int32_t in_index,
                                 int32_t out_index, size_t rx_bytes, bool arrival) {
  ++counters_.verdicts[size_t(p.verdict)];
  if (p.drop_reason != DropReason::none) ++counters_.drops[size_t(p.drop_reason)];
  if (p.parse_error != packet::ParseError::none) {
    ++counters_.parse_errors[size_t(p.parse_error)];
  }
  if (program_ == nullptr) return;
  EniCounters* in = in_index >= 0 ? counters_by_index_[size_t(in_index)] : nullptr;
  const uint32_t packets = wire_packets(p, meta);
  if (in != nullptr && arrival) {
    in->rx_packets += packets;
    in->rx_bytes += rx_bytes;
  }
  EniCounters* out = out_index >= 0 ? counters_by_index_[size_t(out_index)] : nullptr;
  if (out != nullptr) {
    out->tx_packets += packets;
    out->tx_bytes += p.size;
  }
  if (p.drop_reason == DropReason::none) return;
  if (refused_destination_ >= 0) {  // over the destination's inbound allowance: its drop
    in = counters_by_index_[size_t(refused_destination_)];
    refused_destination_ = -1;
  } else if (in == nullptr && meta.geneve.present) {  // from the underlay: blame the destination
    const int32_t destination = program_->find_local_eni(meta.geneve.destination_eni);
    if (destination >= 0) in = counters_by_index_[size_t(destination)];
  }
  if (in != nullptr) ++in->drops[size_t(p.drop_reason)];
}

inline void Pipeline::forward_here(Packet& p, const packet::PacketMeta& meta,
                                   const FlowEntry* entry, int32_t in_index, size_t rx_bytes,
                                   bool arrival) {
  int32_t out_index = -1;
  if (entry != nullptr) {
    const LocalEni* source = in_index >= 0 ? &program_->local_enis[size_t(in_index)] : nullptr;
    const uint16_t mtu = entry->action.verdict == Verdict::encapsulate
                             ? std::min(path_mtu(entry->action), config_.encapsulated_mtu)
                             : path_mtu(entry->action);
    const bool ttl_expires = entry->action.decrement_ttl && meta.ttl <= 1;  // answered first
    if (mtu != 0 && segment_l3_size(p, meta) > mtu && meta.ip_version == 4 && !ttl_expires) {
      note(trace_, "path-mtu", [&] {
        return std::to_string(segment_l3_size(p, meta)) + " bytes > " + std::to_string(mtu) +
               (meta.fragment.dont_fragment ? " with DF: fragmentation needed"
                : p.gso_type != kGsoNone    ? ": a super-frame is not cut"
                                            : ": cut into fragments");
      });
      if (p.gso_type != kGsoNone && !meta.fragment.dont_fragment) {
        drop_packet(p, DropReason::mtu_exceeded);  // a super-frame is not cut into fragments
      } else {
        exceeds_mtu(p, meta, entry->action, source, mtu);
      }
    } else {
      apply_action(entry->action, meta, *program_, source, p,
                   entry->outer_header[0] != 0 ? entry->outer_header : nullptr);
    }
    out_index = p.verdict == Verdict::deliver      ? entry->action.destination_index
                : p.verdict == Verdict::icmp_error ? in_index
                                                   : -1;
  }
  // One predictable branch when no allowance is set (to_local_services aside): see
  // eni_allowance.h.
  if (allowances_.polices(p.verdict)) [[unlikely]] {
    police(p, meta, in_index, out_index, rx_bytes);
  }
  count_here(p, meta, in_index, out_index, rx_bytes, arrival);
  if (config_.flow_log_sink != nullptr && p.verdict != Verdict::held) {
    log_flow(p, meta, in_index, out_index);
  }
}

void Pipeline::process_packet(Packet& p, const packet::PacketMeta& meta, const Admission& admission,
                              const FlowKey& key, uint64_t hash, uint32_t now) {
  const size_t rx_bytes = p.size;
  if (admission.drop != DropReason::none) {
    drop_packet(p, admission.drop);
    return count(p, meta, admission.eni_index, -1, rx_bytes);
  }
  if (!take_gso(p, meta)) {
    note(trace_, "gso", [&] {
      return std::string("segmentation offload type ") + std::to_string(p.gso_type) +
             " does not fit a whole TCP packet of its IP version with a segment size";
    });
    drop_packet(p, DropReason::malformed);
    p.gso_type = kGsoNone;
    return count(p, meta, admission.eni_index, -1, rx_bytes);
  }
  if (p.in_port.kind == PortKind::underlay && !decapsulate_ecn(p, meta)) {
    note(trace_, "ecn",
         [&] { return std::string("the underlay marked CE, but the packet is not ECN-capable"); });
    drop_packet(p, DropReason::ecn_ce_not_ect);
    return count(p, meta, admission.eni_index, -1, rx_bytes);
  }
  if (p.gso_type != kGsoNone) {
    note(trace_, "gso", [&] {
      return "TCP super-frame of " + std::to_string(wire_packets(p, meta)) + " segments of " +
             std::to_string(p.gso_size) + " bytes";
    });
  }
  if (admission.local_services) {
    p.verdict = Verdict::to_local_services;
    p.drop_reason = DropReason::none;
    p.out_port = p.in_port;
    int32_t out_index = -1;
    police(p, meta, admission.eni_index, out_index, rx_bytes);
    return count(p, meta, admission.eni_index, -1, rx_bytes);
  }
  const LocalEni* source =
      admission.eni_index >= 0 ? &program_->local_enis[size_t(admission.eni_index)] : nullptr;
  const FlowEntry* entry = nullptr;
  if (meta.fragment.is_fragment) {
    entry = fragment(p, meta, admission, key, hash, now);
  } else {
    entry = find_or_classify(p, meta, source, key, hash, now);
  }
  forward_here(p, meta, entry, admission.eni_index, rx_bytes, true);
}

void Pipeline::forward(Packet& p, const packet::PacketMeta& meta, const FlowEntry* entry,
                       int32_t in_index, size_t rx_bytes, bool arrival) {
  forward_here(p, meta, entry, in_index, rx_bytes, arrival);
}

// The ENI slot a fragment series is kept under: the source ENI, or the destination ENI from
// the underlay.
const FlowEntry* Pipeline::fragment(Packet& p, const packet::PacketMeta& meta,
                                    const Admission& admission, const FlowKey& key, uint64_t hash,
                                    uint32_t now) {
  const uint16_t slot = admission.eni_index >= 0
                            ? connections_.slot_of_local(admission.eni_index)
                            : connections_.slot_of(meta.geneve.destination_eni);
  if (slot == kNoConnectionSlot) {
    note(trace_, "fragment", [] { return std::string("the ENI has no fragment slot"); });
    drop_packet(p, DropReason::fragment_orphan);
    return nullptr;
  }
  const std::span<const uint8_t> bytes(p.data, p.size);  // what meta was parsed from
  // A later fragment may have to wait for its first one: a buffer for its copy, just in case.
  uint32_t buffer = PacketPool::kNone;
  if (admission.later_fragment && p.size <= PacketPool::kCapacity) buffer = pool_.acquire();
  const FragmentStage::Decision d = fragments_.admit(slot, meta, bytes, buffer, now);
  if (d.step == FragmentStage::Step::hold) {
    note(trace_, "fragment", [&] {
      return "id " + std::to_string(meta.fragment.id) + " offset " +
             std::to_string(meta.fragment.offset) + " came before its first fragment: held";
    });
    hold(p, buffer);  // or drops it as fragment_hold_full when buffer is kNone
    return nullptr;
  }
  if (buffer != PacketPool::kNone) pool_.release(buffer);
  DropReason reason = d.step == FragmentStage::Step::go ? DropReason::none : d.reason;
  if (reason == DropReason::none && !admission.later_fragment) {  // the first fragment
    const LocalEni* source =
        admission.eni_index >= 0 ? &program_->local_enis[size_t(admission.eni_index)] : nullptr;
    const FlowEntry* entry = find_or_classify(p, meta, source, key, hash, now);
    const bool accepted = entry != nullptr && entry->action.verdict != Verdict::drop;
    const size_t released = fragments_.settle(slot, meta, key, accepted, now, releases_);
    release_held(std::span(releases_).first(released), accepted ? entry : nullptr);
    return entry;
  }
  if (reason == DropReason::none) {
    const FlowKey* first = fragments_.first_key(key, meta, now);
    const uint32_t at = first != nullptr ? flows_.find(*first, first->hash()) : kInvalidSlot;
    if (at != kInvalidSlot && flows_.at(at).value.generation == epoch_ &&
        flows_.at(at).value.action.verdict != Verdict::drop) {
      note(trace_, "fragment", [&] {
        return "id " + std::to_string(meta.fragment.id) + ": its first fragment's flow " +
               std::string(to_string(flows_.at(at).value.action.verdict));
      });
      return &flows_.at(at).value;
    }
    reason = DropReason::fragment_orphan;
  }
  note(trace_, "fragment", [&] {
    return "id " + std::to_string(meta.fragment.id) + " offset " +
           std::to_string(meta.fragment.offset) + ": " + std::string(to_string(reason));
  });
  drop_packet(p, reason);
  return nullptr;
}

// The slow path of find_or_classify(): a miss, a stale entry or an ICMP error (not `cached`).
const FlowEntry* Pipeline::classify(Packet& p, const packet::PacketMeta& meta,
                                    const LocalEni* source, const FlowKey& key, uint64_t hash,
                                    uint32_t now, bool cached) {
  note(trace_, "flow-cache", [&] {
    return std::string(cached ? "miss: classify" : "ICMP errors are not cached: classify");
  });
  ++counters_.flow_misses;
  const ConnectionView view = connections_.view(now);
  Classifier classifier(*program_, view, trace_);
  const Classification c =
      source != nullptr ? classifier.outbound(*source, meta) : classifier.inbound(meta);
  return install(p, c, key, hash, meta, now, cached);
}

const FlowEntry* Pipeline::install(Packet& p, const Classification& c, const FlowKey& key,
                                   uint64_t hash, const packet::PacketMeta& meta, uint32_t now,
                                   bool cached) {
  // Built in installed_ (this packet's copy: the cache slot may be reused within the batch),
  // then copied once into the slot — not built on the stack and copied twice.
  FlowEntry& e = installed_;
  e = FlowEntry{};
  e.action = c.action;
  e.generation = epoch_;
  if (c.action.verdict != Verdict::drop && c.action.verdict != Verdict::to_local_services) {
    bool opened = false;
    const DropReason reason = connections_.commit(c, meta, now, e, opened, trace_);
    if (opened) {
      ++counters_.connections_created;
      forget_reverse_drop(e.action, meta);
    }
    if (reason != DropReason::none) {  // a per-packet decision: nothing is cached
      drop_packet(p, reason);
      return nullptr;
    }
  }
  if (e.action.verdict == Verdict::encapsulate) {
    prebuild_outer_header(e.action, program_->host_underlay_v4, e.outer_header);
  }
  if (cached) {
    const auto inserted = flows_.insert(key, hash, now);
    if (inserted.evicted) ++counters_.flow_evictions;
    flows_.at(inserted.slot).value = e;
  }
  return &installed_;
}

// A new connection makes its reply traffic acceptable: a cached drop of the reverse direction
// (cached before the connection existed) must be re-classified.
void Pipeline::forget_reverse_drop(const FlowAction& action, const packet::PacketMeta& meta) {
  packet::FiveTuple reverse = meta.tuple;
  std::swap(reverse.src, reverse.dst);
  std::swap(reverse.src_port, reverse.dst_port);
  FlowKey key;
  if (action.verdict == Verdict::deliver) {
    key = FlowKey::from_eni(action.out_id, reverse);
  } else if (action.verdict == Verdict::encapsulate) {
    // A NAT gateway's node answers as source ENI 0 (the hyperplane), not as the gateway's ENI.
    const bool via_nat = action.gateway_kind == program::RouteTargetKind::nat_gateway;
    key = FlowKey::from_underlay(action.source_eni, via_nat ? 0 : action.destination_eni,
                                 action.outer_dst_v4, action.vni, reverse);
  } else {
    return;
  }
  const uint32_t slot = flows_.find(key, key.hash());
  if (slot != kInvalidSlot && flows_.at(slot).value.action.verdict == Verdict::drop) {
    flows_.erase(slot);
  }
}

// Flow-log records (REFERENCE.md): a packet from an ENI is logged on it as egress (ACCEPT or
// REJECT), a delivered packet on its destination as ingress ACCEPT, a packet from the
// underlay that passed the isolation rule but was dropped on its destination as ingress
// REJECT. A drop at a local destination's ingress is logged on the source's egress only.
void Pipeline::log_flow(const Packet& p, const packet::PacketMeta& meta, int32_t in_index,
                        int32_t out_index) {
  using flowlog::FlowDirection;
  const bool dropped = p.verdict == Verdict::drop;
  const uint32_t packets = wire_packets(p, meta);
  const auto action = dropped ? flowlog::FlowAction::reject : flowlog::FlowAction::accept;
  if (in_index >= 0) {
    const uint16_t slot = connections_.slot_of_local(in_index);
    if (slot != kNoConnectionSlot) {
      flow_log_.record(slot, meta, FlowDirection::egress, action, unix_now_, packets);
    }
  } else if (dropped && meta.geneve.present && !is_isolation_drop(p.drop_reason)) {
    const uint16_t slot = connections_.slot_of(meta.geneve.destination_eni);
    if (slot != kNoConnectionSlot) {
      flow_log_.record(slot, meta, FlowDirection::ingress, action, unix_now_, packets);
    }
  }
  if (out_index >= 0 && p.verdict == Verdict::deliver) {
    const uint16_t slot = connections_.slot_of_local(out_index);
    if (slot != kNoConnectionSlot) {
      flow_log_.record(slot, meta, FlowDirection::ingress, action, unix_now_, packets);
    }
  }
}

void Pipeline::police(Packet& p, const packet::PacketMeta& meta, int32_t in_index,
                      int32_t& out_index, size_t rx_bytes) {
  // Shaped: a packet behind others of its ENI waits its turn, tokens or not.
  const bool behind = allowances_.shapes() && in_index >= 0 &&
                      size_t(in_index) < queue_by_index_.size() &&
                      !queue_by_index_[size_t(in_index)]->empty();
  const EniAllowances::Charge charge{p.verdict, in_index, out_index, wire_packets(p, meta),
                                     rx_bytes,  p.size,   behind};
  const EniAllowances::Refusal refusal = allowances_.charge(charge, now_ns_);
  if (refusal.queue) return shape(p, meta, in_index, rx_bytes);
  const DropReason reason = refusal.reason;
  if (reason == DropReason::none) return;
  if (refusal.inbound) refused_destination_ = out_index;  // count() blames the destination
  out_index = -1;
  note(trace_, "allowance", [&] {
    return std::string(to_string(reason)) + ": " + std::to_string(charge.packets) + " packet(s), " +
           std::to_string(p.size) + " bytes";
  });
  drop_packet(p, reason);
}

void Pipeline::count(const Packet& p, const packet::PacketMeta& meta, int32_t in_index,
                     int32_t out_index, size_t rx_bytes, bool arrival) {
  count_here(p, meta, in_index, out_index, rx_bytes, arrival);
}

void Pipeline::process_traced(Packet& packet, uint64_t now_ns, std::string& record) {
  trace_ = &record;
  process(std::span(&packet, 1), now_ns);
  trace_ = nullptr;
  record += "verdict: " + std::string(to_string(packet.verdict));
  if (packet.drop_reason != DropReason::none) {
    record += " (" + std::string(to_string(packet.drop_reason)) + ")";
  }
  if (packet.out_port.kind != PortKind::none) record += " out " + to_string(packet);
  record += "\n";
  for (const Packet& r : released_) {
    record += "released: " + std::string(to_string(r.verdict));
    if (r.drop_reason != DropReason::none) {
      record += " (" + std::string(to_string(r.drop_reason)) + ")";
    }
    if (r.out_port.kind != PortKind::none) record += " out " + to_string(r);
    record += " (" + std::to_string(r.size) + " bytes)\n";
  }
}

}  // namespace openvpc::dataplane
