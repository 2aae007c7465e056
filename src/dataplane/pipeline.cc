#include "dataplane/pipeline.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "dataplane/actions.h"
#include "dataplane/trace.h"

namespace openvpc::dataplane {
namespace {

// Appends "stage: text" when tracing; make_text runs only then (no formatting otherwise).
template <typename MakeText>
void note(std::string* trace, const char* stage, MakeText&& make_text) {
  if (trace != nullptr) trace->append(stage).append(": ").append(make_text()).append("\n");
}

bool is_geneve_error(packet::ParseError e) {
  return e >= packet::ParseError::geneve_truncated &&
         e <= packet::ParseError::inner_packet_malformed;
}

Admission admit_from_eni(const CompiledProgram& program, Port in, const packet::PacketMeta& meta,
                         std::string* trace) {
  Admission a;
  a.eni_index = program.find_local_eni(in.id);
  if (a.eni_index < 0) {
    note(trace, "port", [&] {
      return std::string("eni " + std::to_string(in.id) + " is not attached to this host");
    });
    a.drop = DropReason::unknown_port;
    return a;
  }
  const LocalEni& eni = program.local_enis[size_t(a.eni_index)];
  note(trace, "port", [&] {
    return "eni " + std::to_string(eni.id) + " (" + eni.name + ") vpc " + std::to_string(eni.vpc) +
           " subnet " + std::to_string(program.subnets[eni.subnet].id);
  });
  if (!meta.ok()) {
    note(trace, "parse", [&] { return std::string(packet::to_string(meta.error)); });
    a.drop = DropReason::malformed;
  } else if (std::memcmp(meta.eth_src.bytes.data(), eni.mac.bytes.data(), 6) != 0) {
    note(trace, "source-check", [&] { return std::string("frame source MAC is not the ENI's"); });
    a.drop = DropReason::source_mac_spoofed;
  } else if (meta.is_arp()) {
    note(trace, "local-services", [&] { return std::string("ARP is answered by the router"); });
    a.local_services = true;
  } else if (meta.ip_version == 0) {
    note(trace, "parse", [] { return std::string("ethertype is neither IPv4, IPv6 nor ARP"); });
    a.drop = DropReason::unsupported_ethertype;
  }
  return a;
}

Admission admit_from_underlay(const packet::PacketMeta& meta, std::string* trace) {
  Admission a;
  if (!meta.ok()) {
    note(trace, "decap", [&] { return std::string(packet::to_string(meta.error)); });
    a.drop = is_geneve_error(meta.error) ? DropReason::geneve_malformed : DropReason::malformed;
  } else if (!meta.geneve.present) {
    note(trace, "decap", [&] { return std::string("not a Geneve packet"); });
    a.drop = DropReason::not_geneve;
  } else {
    note(trace, "decap", [&] {
      return std::string("geneve vni " + std::to_string(meta.geneve.vni) + " from " +
                         program::format_address(meta.geneve.outer_src));
    });
  }
  return a;
}

}  // namespace

Admission admit(const CompiledProgram& program, Port in, const packet::PacketMeta& meta,
                std::string* trace) {
  Admission a;
  if (in.kind == PortKind::eni) {
    a = admit_from_eni(program, in, meta, trace);
  } else if (in.kind == PortKind::underlay) {
    a = admit_from_underlay(meta, trace);
  } else {
    note(trace, "port",
         [&] { return std::string("packets enter from ENI ports and the underlay only"); });
    a.drop = DropReason::unknown_port;
  }
  if (a.drop != DropReason::none || a.local_services) return a;
  if (meta.ip_version != 4) {
    note(trace, "parse", [&] { return std::string("IPv6 is not forwarded yet"); });
    a.drop = DropReason::unsupported_ip_version;
  } else if (meta.fragment.is_fragment && meta.fragment.offset != 0) {
    note(trace, "parse",
         [&] { return std::string("a non-first fragment (no fragment tracker yet)"); });
    a.drop = DropReason::fragment_unsupported;
  }
  return a;
}

Pipeline::Pipeline(const ProgramPublisher& publisher, PipelineConfig config)
    : publisher_(publisher),
      flows_(config.flow_capacity),
      connections_(config.connection_capacity) {}

const EniCounters* Pipeline::eni_counters(uint32_t eni) const {
  auto it = eni_counters_.find(eni);
  return it == eni_counters_.end() ? nullptr : it->second.get();
}

void Pipeline::refresh_program() {
  const uint64_t version = publisher_.version();
  if (version == seen_version_) return;
  seen_version_ = version;
  program_ = publisher_.current();
  ++epoch_;
  ++counters_.program_swaps;
  counters_by_index_.clear();
  if (!program_) return;
  for (const auto& eni : program_->local_enis) {
    auto& slot = eni_counters_[eni.id];
    if (!slot) slot = std::make_unique<EniCounters>();
    counters_by_index_.push_back(slot.get());
  }
}

void Pipeline::process(PacketBatch batch, uint64_t now_ns) {
  refresh_program();
  const uint32_t now = uint32_t(now_ns / 1'000'000'000);
  for (size_t start = 0; start < batch.size(); start += kMaxBatch) {
    process_chunk(batch.subspan(start, std::min(kMaxBatch, batch.size() - start)), now);
  }
}

void Pipeline::process_chunk(PacketBatch chunk, uint32_t now) {
  for (size_t i = 0; i < chunk.size(); ++i) {
    Packet& p = chunk[i];
    const std::span<const uint8_t> bytes(p.data, p.size);
    // Placement new from the prvalue: the parser writes straight into the batch's slot.
    if (p.in_port.kind == PortKind::underlay) {
      ::new (&metas_[i]) packet::PacketMeta(packet::parse_ip(bytes));
    } else {
      ::new (&metas_[i]) packet::PacketMeta(packet::parse_frame(bytes));
    }
    const packet::PacketMeta& meta = metas_[i];
    p.parse_error = meta.error;
    p.out_port = Port{};
    if (!program_) {
      admissions_[i] = Admission{DropReason::unknown_port, false, -1};
      continue;
    }
    admissions_[i] = admit(*program_, p.in_port, meta, nullptr);
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
// flow entry of each packet, then the connection each likely entry refers to, so that with
// many flows the DRAM misses of a batch overlap instead of queueing one after another.
void Pipeline::prefetch_state(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    candidates_[i] = kInvalidSlot;
    if (admissions_[i].drop != DropReason::none || admissions_[i].local_services) continue;
    candidates_[i] = flows_.candidate(hashes_[i]);
    if (candidates_[i] != kInvalidSlot) flows_.prefetch_slot(candidates_[i]);
  }
  for (size_t i = 0; i < count; ++i) {
    if (candidates_[i] != kInvalidSlot) {
      connections_.prefetch(flows_.at(candidates_[i]).value.connection);
    }
  }
}

void Pipeline::process_packet(Packet& p, const packet::PacketMeta& meta, const Admission& admission,
                              const FlowKey& key, uint64_t hash, uint32_t now) {
  const size_t rx_bytes = p.size;
  if (admission.drop != DropReason::none) {
    drop_packet(p, admission.drop);
    return count(p, meta, admission.eni_index, -1, rx_bytes);
  }
  if (admission.local_services) {
    p.verdict = Verdict::to_local_services;
    p.drop_reason = DropReason::none;
    p.out_port = p.in_port;
    return count(p, meta, admission.eni_index, -1, rx_bytes);
  }
  const LocalEni* source =
      admission.eni_index >= 0 ? &program_->local_enis[size_t(admission.eni_index)] : nullptr;
  const FlowEntry* entry = lookup(key, hash, meta, now);
  if (entry == nullptr) {
    Classifier classifier(*program_, connections_, now, nullptr);
    const Classification c =
        source != nullptr ? classifier.outbound(*source, meta) : classifier.inbound(meta);
    installed_ = install(c, key, hash, meta, now);
    entry = &installed_;
  }
  apply_action(entry->action, meta, *program_, source, p);
  const int32_t out_index = p.verdict == Verdict::deliver      ? entry->action.destination_index
                            : p.verdict == Verdict::icmp_error ? admission.eni_index
                                                               : -1;
  count(p, meta, admission.eni_index, out_index, rx_bytes);
}

const FlowEntry* Pipeline::lookup(const FlowKey& key, uint64_t hash, const packet::PacketMeta& meta,
                                  uint32_t now) {
  const uint32_t slot = flows_.find(key, hash);
  if (slot == kInvalidSlot) {
    ++counters_.flow_misses;
    return nullptr;
  }
  const FlowEntry& e = flows_.at(slot).value;
  const bool fresh =
      e.generation == epoch_ &&
      (!e.connection.valid() || connections_.update(e.connection, meta, now)) &&
      (!e.peer_connection.valid() || connections_.update(e.peer_connection, meta, now));
  if (!fresh) {
    ++counters_.flow_stale;
    ++counters_.flow_misses;
    return nullptr;
  }
  flows_.touch(slot, now);
  ++counters_.flow_hits;
  return &e;
}

ConnectionRef Pipeline::connect(uint32_t track_eni, ConnectionRef existing,
                                const packet::PacketMeta& meta, uint32_t now, bool& created) {
  if (track_eni != 0) {
    ++counters_.connections_created;
    created = true;
    return connections_.create(track_eni, meta, now);
  }
  if (existing.valid()) connections_.update(existing, meta, now);
  return existing;
}

FlowEntry Pipeline::install(const Classification& c, const FlowKey& key, uint64_t hash,
                            const packet::PacketMeta& meta, uint32_t now) {
  FlowEntry e;
  e.action = c.action;
  e.generation = epoch_;
  if (c.action.verdict != Verdict::drop && c.action.verdict != Verdict::to_local_services) {
    bool created = false;
    e.connection = connect(c.track_eni, c.existing, meta, now, created);
    e.peer_connection = connect(c.track_peer_eni, c.existing_peer, meta, now, created);
    if (created) forget_reverse_drop(e.action, meta);
  }
  const auto inserted = flows_.insert(key, hash, now);
  if (inserted.evicted) ++counters_.flow_evictions;
  flows_.at(inserted.slot).value = e;
  return e;
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
    key = FlowKey::from_underlay(action.source_eni, action.destination_eni, action.outer_dst_v4,
                                 action.vni, reverse);
  } else {
    return;
  }
  const uint32_t slot = flows_.find(key, key.hash());
  if (slot != kInvalidSlot && flows_.at(slot).value.action.verdict == Verdict::drop) {
    flows_.erase(slot);
  }
}

void Pipeline::count(const Packet& p, const packet::PacketMeta& meta, int32_t in_index,
                     int32_t out_index, size_t rx_bytes) {
  ++counters_.verdicts[size_t(p.verdict)];
  if (p.drop_reason != DropReason::none) ++counters_.drops[size_t(p.drop_reason)];
  if (p.parse_error != packet::ParseError::none) {
    ++counters_.parse_errors[size_t(p.parse_error)];
  }
  if (program_ == nullptr) return;
  EniCounters* in = in_index >= 0 ? counters_by_index_[size_t(in_index)] : nullptr;
  if (in != nullptr) {
    ++in->rx_packets;
    in->rx_bytes += rx_bytes;
  }
  EniCounters* out = out_index >= 0 ? counters_by_index_[size_t(out_index)] : nullptr;
  if (out != nullptr) {
    ++out->tx_packets;
    out->tx_bytes += p.size;
  }
  if (p.drop_reason == DropReason::none) return;
  if (in == nullptr && meta.geneve.present) {  // from the underlay: blame the destination
    const int32_t destination = program_->find_local_eni(meta.geneve.destination_eni);
    if (destination >= 0) in = counters_by_index_[size_t(destination)];
  }
  if (in != nullptr) ++in->drops[size_t(p.drop_reason)];
}

std::string Pipeline::trace(Port in_port, std::span<const uint8_t> bytes, uint64_t now_ns) const {
  // The program of the last batch; before the first batch, the published one.
  const auto program = program_ ? program_ : publisher_.current();
  if (!program) return "no program\n";
  return trace_with_connections(*program, connections_, in_port, bytes,
                                uint32_t(now_ns / 1'000'000'000));
}

}  // namespace openvpc::dataplane
