// flow_log_aggregator.h — per-ENI flow-log records, aggregated per window, sent to a sink.
//
// record() is called by the pipeline for every packet it accepted or rejected on an ENI
// whose flow log is on; it adds the packet to the record of (ENI, 5-tuple, direction,
// action) in the current aggregation window (60 or 600 s, aligned to multiples of the
// window on the Unix clock). flush(now, sink) — once per batch — hands every record to the
// sink when the window has ended, in first-seen order, then starts an empty window.
//
// Not logged (REFERENCE.md): DNS to or from the ENI's resolver (base+2, 169.254.169.253),
// DHCP (UDP 67/68), the instance metadata and time-sync addresses (169.254.169.254,
// 169.254.169.123), and anything to or from the router's address (base+1).
//
// Invariants: memory is fixed at construction; no allocation per packet. When the record
// table is full, packets are counted as skipped and each affected ENI gets one SKIPDATA
// record at the end of the window. Not thread-safe; one per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/flowlog/flow_log_record.h"
#include "packet/parser.h"

namespace openvpc::flowlog {

class FlowLogSink {
 public:
  virtual ~FlowLogSink() = default;
  virtual void write(const FlowLogRecord& record) = 0;  // called at window end, not per packet
};

struct FlowLogExclusions {
  packet::IpAddress router;    // base+1
  packet::IpAddress resolver;  // base+2
};

class FlowLogAggregator {
 public:
  // window_seconds: 60 or 600 (anything else is treated as 600).
  FlowLogAggregator(size_t capacity, uint32_t window_seconds, size_t eni_count);

  void configure_eni(uint16_t eni, const FlowLogExclusions& exclusions);
  // Whether the packet is one the flow log never records.
  bool excluded(uint16_t eni, const packet::PacketMeta& meta) const;
  void record(uint16_t eni, const packet::PacketMeta& meta, FlowDirection direction,
              FlowAction action, uint32_t unix_now);
  // Emits and clears the window if it has ended (or `force`); returns records written.
  size_t flush(uint32_t unix_now, FlowLogSink& sink, bool force = false);

  size_t count() const { return records_.size(); }
  uint32_t window_seconds() const { return window_; }

 private:
  struct EniState {
    FlowLogExclusions exclusions;
    uint64_t skipped = 0;
  };
  uint32_t find_or_add(uint16_t eni, const packet::FiveTuple& tuple, FlowDirection direction,
                       FlowAction action, uint32_t now);

  std::vector<FlowLogRecord> records_;  // reserved to capacity; never grows past it
  std::vector<uint32_t> index_;         // open addressing into records_; 0 = empty, else i+1
  std::vector<EniState> enis_;
  size_t capacity_;
  uint32_t window_;
  uint32_t window_start_ = 0;
};

}  // namespace openvpc::flowlog
