// flow_log_writer.h — flow-log files written by a thread of their own, not by the workers.
//
// A worker's flow-log sink ends a window with a batch of records; writing it (formatting,
// open, rotate, write(2): milliseconds on a slow disk) on the worker thread would stall its
// packets meanwhile. submit() instead moves the batch onto a bounded queue — the vector moves,
// nothing is copied, the queue's mutex is held only for that, once per window per worker,
// never per packet — and the writer thread hands each batch to FlowLogFiles::deliver().
// A full queue (the disk is that far behind) refuses the batch; the sink counts its records as
// dropped (WorkerCounters::flow_log_records_dropped). drain() waits until every batch
// submitted before it has been delivered (tests, and the destructor, so nothing is lost at
// shutdown).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "router/flow_log_files.h"

namespace openvpc::router {

class FlowLogWriter {
 public:
  explicit FlowLogWriter(FlowLogFiles& files, size_t max_batches = 256);
  ~FlowLogWriter();  // drains, then stops the thread
  FlowLogWriter(const FlowLogWriter&) = delete;
  FlowLogWriter& operator=(const FlowLogWriter&) = delete;

  // Takes `records` (left empty) unless the queue is full: then false, records untouched.
  bool submit(std::vector<EniFlowRecord>& records);
  void drain();

 private:
  void run();

  FlowLogFiles& files_;
  const size_t max_batches_;
  std::mutex mutex_;
  std::condition_variable work_;  // a batch came, or stopping
  std::condition_variable idle_;  // the queue emptied and nothing is being written
  std::deque<std::vector<EniFlowRecord>> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace openvpc::router
