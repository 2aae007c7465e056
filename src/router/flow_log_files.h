// flow_log_files.h — flow-log records delivered to files (CreateFlowLogs' file destination).
//
// FlowLogFiles holds the flow logs of the running program (configure(), from the router
// thread) and appends their lines (deliver(), from the workers at window end): for each
// record, every flow log covering its ENI whose traffic type keeps the record's action
// (SKIPDATA/NODATA records go to every flow log of the ENI) gets one line in its format
// (flowlog::format_flow_log; the default version 2 unless the flow log has a LogFormat).
// A file starts with a header line of the format's field names, as AWS's S3 objects do.
//
// Files: a flow log's file is ROOT/ACCOUNT/DESTINATION, reached without following any symlink
// below ROOT (flow_log_directory.h). It is opened in append mode per delivery (one write(2) of
// all its lines per flow log per delivery, after the header's when the file is new). Rotation:
// when a delivery would take the file past rotate_size, it is renamed to DESTINATION.1 first
// (.1 -> .2 ... up to keep_rotated, the oldest removed) and a new file is started. Every record
// that could not be written is counted in its flow log's delivery with the reason
// (counters.json); nothing is retried.
//
// Status: each flow log's delivery carries `error`, the outcome of the latest attempt (empty:
// it worked). configure() checks each flow log's destination at once (its directories are made,
// the file is not), so a destination that cannot work fails before any record does; each
// delivery sets it again. status_version() moves whenever an `error` changes: the router reports
// the statuses to the controller then (DescribeFlowLogs' DeliverLogsStatus).
//
// Threading: deliver() runs on the flow-log writer's thread (flow_log_writer.h), configure()
// and deliveries() on the router's; one mutex guards everything. WorkerFlowLogSink is the
// per-worker FlowLogSink: it collects one flush's records (naming the ENI by number instead of
// the pipeline's slot) and submits them to the writer in end_of_window().
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "dataplane/flowlog/flow_log_aggregator.h"
#include "dataplane/pipeline.h"
#include "program/program.h"

namespace openvpc::router {

struct FlowLogFileOptions {
  std::string root = "/var/log/openvpc/flow-logs";  // --flow-log-root
  uint64_t rotate_size = uint64_t{64} << 20;        // bytes; 0: never rotate
  unsigned keep_rotated = 5;                        // DESTINATION.1 ... .N
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
  std::string error;       // of the latest attempt; empty when it worked (the status)
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
  // Moves whenever some flow log's `error` changes (configure() and deliver()).
  uint64_t status_version() const { return status_version_.load(std::memory_order_acquire); }

 private:
  struct Log {
    program::FlowLog config;
    std::vector<flowlog::FlowLogField> fields;  // empty: the format did not parse
    std::string format_error;
    FlowLogDelivery delivery;
  };
  static bool keeps(const Log& log, const flowlog::FlowLogRecord& record);
  void append(Log& log, const std::string& lines, uint64_t line_count);
  Result<void> write_lines(Log& log, const std::string& lines);
  // Whether the log's file could be opened: the status a new destination starts with.
  Result<void> try_destination(const program::FlowLog& config) const;
  void set_error(Log& log, std::string error);

  const FlowLogFileOptions options_;
  mutable std::mutex mutex_;
  std::vector<Log> logs_;
  std::map<uint32_t, flowlog::FlowLogInterface> interfaces_;  // by ENI number
  std::map<uint32_t, std::vector<size_t>> logs_by_eni_;       // indices into logs_
  std::atomic<uint64_t> status_version_{0};
};

class FlowLogWriter;

class WorkerFlowLogSink : public flowlog::FlowLogSink {
 public:
  explicit WorkerFlowLogSink(FlowLogWriter& writer) : writer_(writer) {}
  // The pipeline whose slots the records name; set once it exists.
  void attach(const dataplane::Pipeline* pipeline) { pipeline_ = pipeline; }
  void write(const flowlog::FlowLogRecord& record) override;
  void end_of_window() override;

  // Records the writer's full queue refused (the worker's flow_log_records_dropped).
  uint64_t dropped() const { return dropped_; }

 private:
  FlowLogWriter& writer_;
  const dataplane::Pipeline* pipeline_ = nullptr;
  std::vector<EniFlowRecord> pending_;
  uint64_t dropped_ = 0;
};

}  // namespace openvpc::router
