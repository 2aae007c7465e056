// flow_log_aggregator.h — per-ENI flow-log records, aggregated per window, sent to a sink.
//
// record() is called by the pipeline for every packet it accepted or rejected on an ENI; it
// adds the packet to the record of (ENI, 5-tuple, direction, action) in that ENI's current
// aggregation window (AWS's 60 or 600 s, or any other length a test or demo asks for, aligned
// to multiples of the window on the Unix clock). An ENI's window is the constructor's until
// set_window() changes it; window 0 turns the ENI's flow log off (record() returns at once).
// flush(now, sink) — once per batch, a comparison unless a window has ended — hands the
// records of every ENI whose window has ended to the sink, in first-seen order, then calls
// sink.end_of_window() once; the records of ENIs whose window is still open stay.
//
// ICMP and ICMPv6 records carry ports 0 0 (as AWS prints them), so the echo id does not
// split a record.
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
  // After the records of one flush(): a sink that buffers delivers them now.
  virtual void end_of_window() {}
};

struct FlowLogExclusions {
  packet::IpAddress router;    // base+1
  packet::IpAddress resolver;  // base+2
};

class FlowLogAggregator {
 public:
  // window_seconds: every ENI's window until set_window(); 0 is treated as 600.
  FlowLogAggregator(size_t capacity, uint32_t window_seconds, size_t eni_count);

  void configure_eni(uint16_t eni, const FlowLogExclusions& exclusions);
  // The ENI's window in seconds; 0: not logged. A change applies from the ENI's next window
  // (records already in the open one keep it).
  void set_window(uint16_t eni, uint32_t window_seconds);
  // Whether the packet is one the flow log never records.
  bool excluded(uint16_t eni, const packet::PacketMeta& meta) const;
  // `packets`: how many packets on the wire this one stands for (a TCP super-frame: its
  // segments, each counted with its own copy of the headers); 1 otherwise.
  void record(uint16_t eni, const packet::PacketMeta& meta, FlowDirection direction,
              FlowAction action, uint32_t unix_now, uint32_t packets = 1);
  // Emits and clears every window that has ended (all of them with `force`); returns the
  // records written.
  size_t flush(uint32_t unix_now, FlowLogSink& sink, bool force = false);

  size_t count() const { return records_.size(); }
  uint32_t window_seconds() const { return window_; }

 private:
  struct EniState {
    FlowLogExclusions exclusions;
    uint32_t window = 0;        // seconds; 0: not logged
    uint32_t open_window = 0;   // the window of the open one (set_window waits for the next)
    uint32_t window_start = 0;  // of the open window
    bool open = false;          // a packet (recorded or skipped) is in the open window
    uint64_t skipped = 0;
  };
  uint32_t find_or_add(uint16_t eni, const packet::FiveTuple& tuple, FlowDirection direction,
                       FlowAction action, uint32_t now);
  void index_record(uint32_t position);  // adds records_[position] to index_
  bool ended(const EniState& state, uint32_t unix_now) const {
    return state.open && unix_now >= state.window_start + state.open_window;
  }

  std::vector<FlowLogRecord> records_;  // reserved to capacity; never grows past it
  std::vector<uint32_t> index_;         // open addressing into records_; 0 = empty, else i+1
  std::vector<EniState> enis_;
  size_t capacity_;
  uint32_t window_;
  uint32_t next_end_ = UINT32_MAX;  // the earliest end of an open window
};

}  // namespace openvpc::flowlog
