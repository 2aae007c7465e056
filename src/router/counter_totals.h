// counter_totals.h — the workers' snapshots summed into one router-wide view.
//
// Readers of the router's counters (/metrics, counters.json) see the sum over workers: each
// worker counts only what it handled, and an ENI's packets may be split across workers by the
// flow hash. Summing reads snapshots only (worker.h), never live counters. Per-ENI
// connection tracking is per worker too: `tracked` and `allowance_exceeded` add up, while
// `allowance_available` is the smallest over the workers that have seen the ENI (the one that
// refuses a new connection first), and the configured allowance for an ENI none has seen.
//
// The counter lists: kEniTrafficFields, kPipelineCounterFields, kUnderlayCounterFields and
// kWorkerCounterFields name every scalar counter once, with the help text /metrics prints.
// sum() and both exporters walk them — counters.json (counters_file.h) as "<name>" in its
// section, /metrics (metrics_text.h) as openvpc_<section>_<name>_total — so the two cannot
// drift apart and a new field is one line here. Enum-indexed counters (verdicts, drop reasons,
// parse errors, service events) are named by their enum's to_string.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string_view>

#include "router/worker.h"

namespace openvpc::router {

// One scalar counter of a struct T: its name in counters.json and /metrics, and /metrics' help.
template <typename T>
struct CounterField {
  std::string_view name;
  uint64_t T::*member;
  std::string_view help;
};
using WorkerCounterField = CounterField<WorkerCounters>;

// Per ENI: openvpc_eni_<name>_total{eni}; counters.json enis.<number>.<name>.
inline constexpr std::array kEniTrafficFields = {
    CounterField<dataplane::EniCounters>{"rx_packets", &dataplane::EniCounters::rx_packets,
                                         "Frames the instance sent on the ENI."},
    CounterField<dataplane::EniCounters>{"rx_bytes", &dataplane::EniCounters::rx_bytes,
                                         "Bytes the instance sent on the ENI."},
    CounterField<dataplane::EniCounters>{"tx_packets", &dataplane::EniCounters::tx_packets,
                                         "Frames delivered to the instance on the ENI."},
    CounterField<dataplane::EniCounters>{"tx_bytes", &dataplane::EniCounters::tx_bytes,
                                         "Bytes delivered to the instance on the ENI."},
    CounterField<dataplane::EniCounters>{
        "ce_marked", &dataplane::EniCounters::ce_marked,
        "Packets the ENI's bandwidth queue (CoDel) marked CE instead of dropping them."},
};

// openvpc_pipeline_<name>_total; counters.json pipeline.<name>.
inline constexpr std::array kPipelineCounterFields = {
    CounterField<dataplane::PipelineCounters>{"flow_hits", &dataplane::PipelineCounters::flow_hits,
                                              "Packets that hit the flow cache."},
    CounterField<dataplane::PipelineCounters>{
        "flow_misses", &dataplane::PipelineCounters::flow_misses,
        "Packets classified by the slow path (first packets, stale entries)."},
    CounterField<dataplane::PipelineCounters>{
        "flow_stale", &dataplane::PipelineCounters::flow_stale,
        "Flow entries of an older program or a dead connection."},
    CounterField<dataplane::PipelineCounters>{
        "flow_evictions", &dataplane::PipelineCounters::flow_evictions, "Flow entries evicted."},
    CounterField<dataplane::PipelineCounters>{"connections_created",
                                              &dataplane::PipelineCounters::connections_created,
                                              "Connections tracked."},
    CounterField<dataplane::PipelineCounters>{"program_swaps",
                                              &dataplane::PipelineCounters::program_swaps,
                                              "Programs the workers picked up."},
};

// openvpc_underlay_<name>_total; counters.json underlay.<name>.
inline constexpr std::array kUnderlayCounterFields = {
    CounterField<io::UnderlaySocketStats>{"received", &io::UnderlaySocketStats::received,
                                          "Datagrams received on the underlay socket."},
    CounterField<io::UnderlaySocketStats>{"receive_truncated",
                                          &io::UnderlaySocketStats::receive_truncated,
                                          "Underlay datagrams bigger than the buffer, dropped."},
    CounterField<io::UnderlaySocketStats>{"sent", &io::UnderlaySocketStats::sent,
                                          "Datagrams sent to the underlay."},
    CounterField<io::UnderlaySocketStats>{
        "send_errors", &io::UnderlaySocketStats::send_errors,
        "Underlay datagrams refused for a reason other than a full buffer."},
    CounterField<io::UnderlaySocketStats>{"send_would_block",
                                          &io::UnderlaySocketStats::send_would_block,
                                          "Underlay sends that stopped on a full socket buffer."},
};

// openvpc_router_<name>_total; counters.json router.<name>.
inline constexpr std::array kWorkerCounterFields = {
    WorkerCounterField{"eni_frames_received", &WorkerCounters::eni_frames_received,
                       "Frames read from ENI TAPs."},
    WorkerCounterField{"underlay_datagrams_received", &WorkerCounters::underlay_datagrams_received,
                       "Geneve datagrams read from the underlay socket."},
    WorkerCounterField{"checksum_completion_failed", &WorkerCounters::checksum_completion_failed,
                       "Partial-checksum frames whose checksum could not be completed."},
    WorkerCounterField{"segmentation_offload_dropped",
                       &WorkerCounters::segmentation_offload_dropped,
                       "GSO frames dropped: UDP GSO, or a TCP super-frame that could not be "
                       "cut for another worker."},
    WorkerCounterField{"gso_frames", &WorkerCounters::gso_frames,
                       "TCP super-frames (TSO) read from ENI TAPs."},
    WorkerCounterField{"gso_handed_off", &WorkerCounters::gso_handed_off,
                       "Super-frames handed to another worker whole."},
    WorkerCounterField{"gso_segmented", &WorkerCounters::gso_segmented,
                       "Super-frames cut in software to hand to another worker (its inbox's "
                       "large slots all in use)."},
    WorkerCounterField{"gso_cut_for_underlay", &WorkerCounters::gso_cut_for_underlay,
                       "TCP super-frames cut in software because they exceed the underlay MTU."},
    WorkerCounterField{"oversize_dropped", &WorkerCounters::oversize_dropped,
                       "Packets dropped for being too large."},
    WorkerCounterField{"handed_off", &WorkerCounters::handed_off,
                       "Packets handed to another worker by the flow hash."},
    WorkerCounterField{"handoff_full", &WorkerCounters::handoff_full,
                       "Packets dropped because another worker's inbox was full."},
    WorkerCounterField{"tap_send_failed", &WorkerCounters::tap_send_failed,
                       "Frames an ENI TAP did not take."},
    WorkerCounterField{"tap_io_submits", &WorkerCounters::tap_io_submits,
                       "System calls (io_uring_enter) that carried batches of TAP reads and "
                       "writes; 0 with --tap-io syscalls (one readv/writev per frame)."},
    WorkerCounterField{"no_output_port", &WorkerCounters::no_output_port,
                       "Packets for an ENI this host has no port for."},
    WorkerCounterField{"underlay_sent", &WorkerCounters::underlay_sent,
                       "Encapsulated packets sent to the underlay."},
    WorkerCounterField{"underlay_send_dropped", &WorkerCounters::underlay_send_dropped,
                       "Encapsulated packets the underlay socket refused or had no room for."},
    WorkerCounterField{"underlay_send_full", &WorkerCounters::underlay_send_full,
                       "Of those, packets dropped because the socket's send buffer was full."},
    WorkerCounterField{"gateway_unsupported", &WorkerCounters::gateway_unsupported,
                       "Packets for a gateway (no gateway ports yet)."},
    WorkerCounterField{"services_replied", &WorkerCounters::services_replied,
                       "Local service requests answered (ARP, DHCP, DNS, ICMP)."},
    WorkerCounterField{"services_no_reply", &WorkerCounters::services_no_reply,
                       "Local service requests left unanswered."},
    WorkerCounterField{"flow_log_records_dropped", &WorkerCounters::flow_log_records_dropped,
                       "Flow-log records dropped: the flow-log writer thread was too far behind."},
};

struct RouterTotals {
  dataplane::PipelineCounters pipeline;
  std::map<uint32_t, dataplane::EniCounters> enis;
  std::map<uint32_t, EniConnections> connections;  // ENIs some worker's table has seen
  std::map<uint32_t, uint64_t> bandwidth_queued;   // all workers' queues together
  dataplane::services::ServicesCounters services;
  WorkerCounters router;
  size_t flow_count = 0;
  size_t connection_count = 0;
  io::UnderlaySocketStats underlay;  // received by one worker, sent by all
};

RouterTotals sum(std::span<const WorkerSnapshot> workers);

}  // namespace openvpc::router
