#include "router/flow_log_writer.h"

#include <utility>

namespace openvpc::router {

FlowLogWriter::FlowLogWriter(FlowLogFiles& files, size_t max_batches)
    : files_(files), max_batches_(max_batches), thread_([this] { run(); }) {}

FlowLogWriter::~FlowLogWriter() {
  drain();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  thread_.join();
}

bool FlowLogWriter::submit(std::vector<EniFlowRecord>& records) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= max_batches_) return false;
    queue_.push_back(std::move(records));
  }
  records.clear();  // a moved-from vector is valid but unspecified
  work_.notify_one();
  return true;
}

void FlowLogWriter::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void FlowLogWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything written
    std::vector<EniFlowRecord> batch = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    files_.deliver(batch);
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace openvpc::router
