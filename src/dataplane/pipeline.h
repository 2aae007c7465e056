// pipeline.h — one worker's packet pipeline: batches in, verdicts and rewritten packets out.
//
// Pipeline is the data plane's entry point for the router (src/router): one per worker
// thread, each with its own flow cache and connection table (fixed memory chosen at start),
// fed with the packets the router's symmetric flow hash (flow_worker_hash) assigned to it.
// process() takes up to kMaxBatch packets from any mix of ports and fills each packet's
// verdict, out port and drop reason, rewriting its bytes in place.
//
// Per packet: admission (admission.h: parse, port, MAC, VLAN tag, ARP to local services,
// IPv4 header checksum) -> flow cache lookup (never for ICMP errors) and
// the connection check of the entry's connections (ConnectionStage: a cached flow whose
// connection is gone is stale) -> on a miss or a stale entry the Classifier (slow path), the
// connection stage (track / open per security-group stage) and a flow install ->
// apply_action -> counters and the flow log. Between batches the worker picks up a newly
// published program; flow entries of the old generation are re-classified on their next
// packet (tracked connections survive, untracked flows whose rule went away are cut;
// REFERENCE.md). Once per batch: a bounded sweep of expired connections and, when a flow-log
// sink is configured, the flow log's window flush (records reach the sink at window end).
//
// Fragments (DESIGN.md §3): the first fragment of a datagram is classified and tracked like
// any packet (its ports decide); a later fragment gets the first fragment's verdict and
// action, found by (ENI, source, destination, protocol, IP id). A later fragment that comes
// before its first one is copied into the pipeline's PacketPool (verdict `held`; at most
// fragment_hold_slots at once, else dropped as fragment_hold_full, and at most
// fragment_hold_slots_per_eni of them for one ENI — the sender, or the destination from the
// underlay —, else dropped as fragment_hold_eni_full) and waits: when its first
// fragment is accepted it gets that verdict and action and leaves through released(); when
// the first is dropped it is dropped as fragment_rejected; after fragment_hold_seconds (at
// least that minus one second: the clock is in whole seconds; checked on each process()) it
// is dropped as fragment_orphan. Overlapping, oversized and endless series are dropped by the
// FragmentTracker with their reasons.
//
// Allowances (eni_allowance.h), once the verdict is known: a packet from an ENI over its
// outbound packets-per-second or bandwidth allowance, or delivered to one over its inbound
// one, is dropped as pps_allowance_exceeded / bw_out_allowance_exceeded /
// bw_in_allowance_exceeded; a packet for the local services over the ENI's link-local
// allowance as linklocal_allowance_exceeded. Such a drop counts on the ENI whose allowance it
// exceeded (the destination for an inbound one). With the outbound bandwidth shaped
// (AllowanceSettings::queue_bandwidth_out) an encapsulated packet the ENI's bucket cannot pay
// for yet is instead copied into the queue pool and waits in the ENI's fair queue
// (fair_queue.h; verdict `held`, counted as held and logged as accepted like a forwarded
// packet); each process() — an empty one too, which the router makes every millisecond while
// queued_count() > 0 — releases what the bucket pays for since, in DRR order, through
// released() (counted as encapsulate then). At most bandwidth_queue_slots_per_eni packets and
// EniAllowances::queue_byte_limit() bytes wait for one ENI, and bandwidth_queue_slots in all:
// beyond that the longest sub-queue (in bytes) loses its head, dropped as
// bw_out_allowance_exceeded (pipeline_shaper.cc). With bandwidth_queue_codel on, each
// sub-queue runs CoDel (codel.h) as its packets leave: one that waited too long is dropped as
// bw_out_queue_delay, or, ECN-capable, marked CE (EniCounters::ce_marked).
//
// Path MTU (after routing, after the TTL check): an IPv4 packet larger than path_mtu() of its
// action (9001 inside the VPC or PipelineConfig::encapsulated_mtu when lower, 1500 toward
// gateways) with DF set is answered with ICMP
// fragmentation needed from the router address when it came from a local ENI (verdict
// icmp_error, reason mtu_exceeded), else dropped as mtu_exceeded; without DF it is cut into
// fragments (RFC 791): the packet itself becomes the first, the others are written into the
// pool and leave through released() (at most fragment_output_slots per process(); without
// room the packet is dropped as fragmentation_output_full). IPv6 is not forwarded yet, so
// there is no packet-too-big.
//
// released(): the packets a process() call adds — held fragments let go, fragments the
// pipeline cut and packets the bandwidth queue lets go — each with verdict, out port and bytes
// like a batch packet, in pool buffers that stay valid until the next process(). The caller
// sends them after the batch.
//
// Use (src/router):
//   ProgramPublisher publisher;                            // owned by the router thread
//   publisher.publish(*dataplane::compile(program));       // per program received
//   Pipeline pipeline(publisher, {1 << 20, 1 << 20});      // one per worker, at start
//   worker = flow_worker_hash(meta.tuple) % workers;       // dispatch (flow_hash.h)
//   pipeline.process(batch, now_ns);                       // then send each packet by
//                                                          // verdict / out_port
// No sockets, threads or clock reads: `now_ns` is an argument (any monotonic clock), and the
// flow log's Unix time is either an argument too or now_ns + unix_clock_offset_ns. No
// allocation, lock, exception or virtual call per packet, except that a new ENI seen in a
// program swap allocates its counters, allowance state and bandwidth queue once; only held
// and cut fragments and queued packets are copied. Not thread-safe: one thread per Pipeline.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/actions.h"
#include "dataplane/admission.h"
#include "dataplane/classifier.h"
#include "dataplane/compiled_program.h"
#include "dataplane/connection_stage.h"
#include "dataplane/counters.h"
#include "dataplane/eni_allowance.h"
#include "dataplane/fair_queue.h"
#include "dataplane/flow_cache.h"
#include "dataplane/flowlog/flow_log_aggregator.h"
#include "dataplane/fragment_stage.h"
#include "dataplane/packet_batch.h"
#include "dataplane/packet_pool.h"
#include "dataplane/program_publisher.h"

namespace openvpc::dataplane {

struct PipelineConfig {
  size_t flow_capacity = size_t{1} << 16;  // entries, rounded up to a power of two
  size_t connection_capacity = size_t{1} << 16;
  size_t eni_capacity = 256;                        // ENIs with connections / flow logs, ever
  conntrack::EniSettings connection_settings = {};  // per ENI: timeouts, allowance
  AllowanceSettings allowance = {};  // per ENI: packets/s, bandwidth, link-local packets/s
  // Flow log: null sink = off. Records name the ENI by its slot (Pipeline::eni_of_slot).
  flowlog::FlowLogSink* flow_log_sink = nullptr;
  size_t flow_log_capacity = 4096;  // records per window
  uint32_t flow_log_window_seconds = 600;
  int64_t unix_clock_offset_ns = 0;  // Unix time = now_ns + this (process() without unix time)
  size_t fragment_series = 1024;     // datagrams whose fragments are followed at once
  size_t fragment_hold_slots = 64;   // later fragments held for their first one, at once
  size_t fragment_hold_slots_per_eni = 16;    // of those, at most this many for one ENI
  uint32_t fragment_hold_seconds = 2;         // how long one waits (1 to 2 s: whole seconds)
  size_t fragment_output_slots = 128;         // fragments cut for the path MTU, per process()
  size_t bandwidth_queue_slots = 256;         // packets waiting for bandwidth, all ENIs (shaper)
  size_t bandwidth_queue_slots_per_eni = 64;  // of those, at most this many for one ENI
  CodelSettings bandwidth_queue_codel = {};   // each flow's CoDel (off: the fair queue alone)
  // The largest inner IPv4 packet an encapsulated path carries: kVpcMtu on an underlay that
  // takes 9001 + 52 bytes of encapsulation (loopback, jumbo NICs); the router lowers it to its
  // underlay MTU - 52 below that, so a DF packet above it is answered with fragmentation
  // needed instead of leaving too big for the underlay. (Super-frames are cut, worker.h.)
  uint16_t encapsulated_mtu = kVpcMtu;
};

class Pipeline {
 public:
  Pipeline(const ProgramPublisher& publisher, PipelineConfig config);

  // Processes batch (at most kMaxBatch packets; more are processed in chunks).
  void process(PacketBatch batch, uint64_t now_ns);
  // The same, with the Unix time (ns) the flow log stamps records with.
  void process(PacketBatch batch, uint64_t now_ns, uint64_t unix_now_ns);

  // The packets the last process() added (see the header): held fragments released and
  // fragments cut for the path MTU. Valid until the next process().
  std::span<Packet> released() { return released_; }
  // Fragments waiting for their first fragment now, in all and of one ENI.
  size_t held_fragment_count() const { return fragments_.held_count(); }
  size_t held_fragment_count(uint32_t eni) const;
  // Packets waiting in the ENIs' bandwidth queues: while there are, call process() (an empty
  // batch will do) often — every millisecond or so — so they leave when their tokens accrue.
  size_t queued_count() const { return queued_; }
  // Packets of one ENI waiting for outbound bandwidth (0 when not shaping).
  size_t queued_count(uint32_t eni) const;
  uint64_t queued_bytes(uint32_t eni) const;  // their frames' bytes (as the ENI sent them)

  const PipelineCounters& counters() const { return counters_; }
  // Counters of one ENI since this pipeline first saw it, or nullptr if never.
  const EniCounters* eni_counters(uint32_t eni) const;
  const CompiledProgram* program() const { return program_.get(); }
  size_t flow_count() const { return flows_.count(); }
  size_t connection_count() const { return connections_.count(); }
  // REFERENCE.md's conntrack_allowance_available / conntrack_allowance_exceeded of an ENI
  // (0 for an ENI this pipeline never saw).
  uint32_t connection_allowance_available(uint32_t eni) const;
  uint64_t connection_allowance_exceeded(uint32_t eni) const;
  // The connection table's per-ENI counters, or nullptr for an ENI never seen.
  const conntrack::EniCounters* connection_counters(uint32_t eni) const;
  // The ENI number behind a slot (FlowLogRecord::eni), 0 if none.
  uint32_t eni_of_slot(uint16_t slot) const { return connections_.eni_of_slot(slot); }
  // process() of one packet with a trace sink: `record` gets one line per stage the packet
  // passed and what decided there (the rule, the connection, the flow-cache entry, the path
  // MTU), then "verdict: ..." and what the call released. Everything else is process()
  // itself: the same code, the same state changes, counters and flow log — so a trace never
  // tells a story the pipeline does not follow. dataplane::trace() runs it on a scratch
  // pipeline, which leaves a worker's state alone. Not for the fast path (it formats text).
  void process_traced(Packet& packet, uint64_t now_ns, std::string& record);

 private:
  void refresh_program();
  void process_chunk(PacketBatch chunk, uint32_t now);
  void prefetch_state(size_t count);
  void process_packet(Packet& p, const packet::PacketMeta& meta, const Admission& admission,
                      const FlowKey& key, uint64_t hash, uint32_t now);
  // apply_action within the path MTU, then counters and the flow log (arrival: the packet
  // was not counted as received yet).
  void forward(Packet& p, const packet::PacketMeta& meta, const FlowEntry* entry, int32_t in_index,
               size_t rx_bytes, bool arrival);
  // forward() and count() themselves, inline where every packet passes (pipeline.cc only);
  // the out-of-line versions are for the other pipeline_*.cc files.
  [[gnu::always_inline]] inline void forward_here(Packet& p, const packet::PacketMeta& meta,
                                                  const FlowEntry* entry, int32_t in_index,
                                                  size_t rx_bytes, bool arrival);
  // pipeline_fragments.cc: holding, releasing and cutting fragments.
  void start_released();
  void hold(Packet& p, uint32_t buffer);
  void release_held(std::span<const FragmentStage::Release> releases, const FlowEntry* entry);
  void drop_held(uint32_t buffer, DropReason reason);
  packet::PacketMeta parse_held(const Packet& p) const;
  int32_t local_index(Port in_port) const;
  void exceeds_mtu(Packet& p, const packet::PacketMeta& meta, const FlowAction& action,
                   const LocalEni* source, uint16_t mtu);
  void cut(Packet& p, const packet::PacketMeta& meta, const FlowAction& action,
           const LocalEni* source, uint16_t mtu);
  // pipeline_shaper.cc: the outbound bandwidth queues.
  void refresh_queues();
  void shape(Packet& p, const packet::PacketMeta& meta, int32_t in_index, size_t rx_bytes);
  void drop_queued(uint32_t buffer, EniCounters* eni, DropReason reason);
  void release_queued(uint64_t now_ns);
  // The entry for the packet (cached, or classified and installed), or nullptr when the
  // packet was dropped by its connection (p's verdict is then set).
  const FlowEntry* find_or_classify(Packet& p, const packet::PacketMeta& meta,
                                    const LocalEni* source, const FlowKey& key, uint64_t hash,
                                    uint32_t now);
  // find_or_classify()'s slow path: a miss, a stale entry or an ICMP error (not `cached`).
  const FlowEntry* classify(Packet& p, const packet::PacketMeta& meta, const LocalEni* source,
                            const FlowKey& key, uint64_t hash, uint32_t now, bool cached);
  const FlowEntry* fragment(Packet& p, const packet::PacketMeta& meta, const Admission& admission,
                            const FlowKey& key, uint64_t hash, uint32_t now);
  // Commits the classification's connections and, when `cached`, installs the flow entry.
  const FlowEntry* install(Packet& p, const Classification& c, const FlowKey& key, uint64_t hash,
                           const packet::PacketMeta& meta, uint32_t now, bool cached);
  void forget_reverse_drop(const FlowAction& action, const packet::PacketMeta& meta);
  // Drops p when it is over an allowance (eni_allowance.h); in_index / out_index as count()'s
  // (out_index becomes -1 when it drops p: nothing is delivered).
  void police(Packet& p, const packet::PacketMeta& meta, int32_t in_index, int32_t& out_index,
              size_t rx_bytes);
  void count(const Packet& p, const packet::PacketMeta& meta, int32_t in_index, int32_t out_index,
             size_t rx_bytes, bool arrival = true);
  [[gnu::always_inline]] inline void count_here(const Packet& p, const packet::PacketMeta& meta,
                                                int32_t in_index, int32_t out_index,
                                                size_t rx_bytes, bool arrival);
  void log_flow(const Packet& p, const packet::PacketMeta& meta, int32_t in_index,
                int32_t out_index);

  const ProgramPublisher& publisher_;
  uint64_t seen_version_ = ~uint64_t{0};
  uint64_t epoch_ = 0;  // bumped per program picked up; flow entries remember it
  std::shared_ptr<const CompiledProgram> program_;
  PipelineConfig config_;
  FlowCache flows_;
  ConnectionStage connections_;
  FragmentStage fragments_;
  PacketPool pool_;                               // held fragments, then released / cut ones
  std::vector<Packet> held_;                      // by pool buffer: the held fragment
  std::vector<Packet> released_;                  // released(); one pool buffer each
  std::vector<uint32_t> released_buffers_;        // theirs, given back by the next process()
  std::vector<FragmentStage::Release> releases_;  // settle() / expire() results
  size_t cut_this_call_ = 0;                      // pool buffers cut this process()
  PacketPool queue_pool_;                         // packets in the bandwidth queues
  std::vector<Packet> queued_packets_;            // by queue_pool_ buffer
  std::vector<uint32_t> released_queue_buffers_;  // released() ones, given back next process()
  std::map<uint32_t, std::unique_ptr<FairQueue>> queues_;  // by ENI id, while shaping
  std::vector<FairQueue*> queue_by_index_;                 // by the program's local ENI index
  size_t queued_ = 0;
  flowlog::FlowLogAggregator flow_log_;
  uint32_t unix_now_ = 0;  // seconds, for the flow log
  uint64_t now_ns_ = 0;    // this process() call's clock, for the allowances
  EniAllowances allowances_;
  // The local ENI whose inbound allowance police() just refused a packet, for the count()
  // that follows to count the drop on (not on the sender); -1 otherwise. Kept out of count()'s
  // arguments so that a packet that is not dropped pays nothing for it.
  int32_t refused_destination_ = -1;
  PipelineCounters counters_;
  std::map<uint32_t, std::unique_ptr<EniCounters>> eni_counters_;
  std::vector<EniCounters*> counters_by_index_;  // by the program's local ENI index
  std::array<packet::PacketMeta, kMaxBatch> metas_;
  std::array<bool, kMaxBatch> fast_filled_{};  // metas_[i] is a fast_parse_frame() result
  std::array<Admission, kMaxBatch> admissions_;
  std::array<FlowKey, kMaxBatch> keys_;
  std::array<uint64_t, kMaxBatch> hashes_;
  std::array<uint32_t, kMaxBatch> candidates_;
  FlowEntry installed_;  // the entry just installed (its slot may be reused within a batch)
  std::string* trace_ = nullptr;  // process_traced()'s record; null otherwise
};

}  // namespace openvpc::dataplane
