// flow_log_files.h — flow-log records delivered to files (CreateFlowLogs' file destination).
//
// FlowLogFiles holds the flow logs of the running program (configure(), from the router
// thread) and appends their lines (deliver(), from the workers at window end): for each
// record, every flow log covering its ENI whose traffic type keeps the record's action
// (SKIPDATA/NODATA records go to every flow log of the ENI) gets one line in its format
// (flowlog::format_flow_log; the default version 2 unless the flow log has a LogFormat).
// A file starts with a header line of the format's field names, as AWS's S3 objects do.
//
// Files: the destination is opened in append mode per delivery (one write(2) of all its lines
// per flow log per delivery, after the header's when the file is new), created 0644 when missing;
// its directory is never created (a missing directory is a delivery error, as a missing bucket is
// in AWS). Rotation: when a delivery would take a regular file past rotate_size, the file is
// renamed to DESTINATION.1 first (.1 -> .2 ... up to keep_rotated, the oldest removed) and a new
// file is started. Every record that could not be written is counted in its flow log's delivery
// with the reason (counters.json); nothing is retried.
//
// Threading: deliver() runs on worker threads, but only at the end of an aggregation window,
// never per packet, so one mutex guards everything. WorkerFlowLogSink is the per-worker
// FlowLogSink: it collects one flush's records (naming the ENI by number instead of the
// pipeline's slot) and hands them to deliver() in end_of_window().
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "dataplane/flowlog/flow_log_aggregator.h"
#include "dataplane/pipeline.h"
#include "program/program.h"

namespace openvpc::router {

struct FlowLogFileOptions {
  uint64_t rotate_size = uint64_t{64} << 20;  // bytes; 0: never rotate
  unsigned keep_rotated = 5;                  // DESTINATION.1 ... .N
};

// A record with its ENI's number (FlowLogRecord::eni is a pipeline slot).
struct EniFlowRecord {
  uint32_t eni = 0;
  flowlog::FlowLogRecord record;
};

// One flow log's delivery on this host, for counters.json.
struct FlowLogDelivery {
  std::string flow_log;  // "fl-..."
  std::string destination;
  uint64_t records_written = 0;
  uint64_t records_failed = 0;  // lines that did not reach the file
  uint64_t rotations = 0;
  std::string last_error;  // of the last failure; empty when none yet
};

class FlowLogFiles {
 public:
  explicit FlowLogFiles(FlowLogFileOptions options = {});

  // The flow logs of `program` replace the previous ones; a flow log that stays (same name and
  // destination) keeps its counters. A LogFormat that does not parse is kept as a delivery
  // error: its records are counted as failed.
  void configure(const program::Program& program);
  void deliver(std::span<const EniFlowRecord> records);
  std::vector<FlowLogDelivery> deliveries() const;

 private:
  struct Log {
    program::FlowLog config;
    std::vector<flowlog::FlowLogField> fields;  // empty: the format did not parse
    std::string format_error;
    FlowLogDelivery delivery;
  };
  static bool keeps(const Log& log, const flowlog::FlowLogRecord& record);
  void append(Log& log, const std::string& lines, uint64_t line_count);
  void rotate(Log& log);

  const FlowLogFileOptions options_;
  mutable std::mutex mutex_;
  std::vector<Log> logs_;
  std::map<uint32_t, flowlog::FlowLogInterface> interfaces_;  // by ENI number
  std::map<uint32_t, std::vector<size_t>> logs_by_eni_;       // indices into logs_
};

class WorkerFlowLogSink : public flowlog::FlowLogSink {
 public:
  explicit WorkerFlowLogSink(FlowLogFiles& files) : files_(files) {}
  // The pipeline whose slots the records name; set once it exists.
  void attach(const dataplane::Pipeline* pipeline) { pipeline_ = pipeline; }
  void write(const flowlog::FlowLogRecord& record) override;
  void end_of_window() override;

 private:
  FlowLogFiles& files_;
  const dataplane::Pipeline* pipeline_ = nullptr;
  std::vector<EniFlowRecord> pending_;
};

}  // namespace openvpc::router
