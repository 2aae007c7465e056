// program_publisher.h — hands compiled programs from the router thread to the workers.
//
// The router thread compiles a program (dataplane::compile) and publish()es it; each worker's
// Pipeline compares version() — one atomic load — before every batch and, only when it moved,
// takes the new shared_ptr under a mutex. So the fast path never locks, a worker always
// processes a whole batch under one program, and an old program is freed when the last
// worker has moved past it (RCU by reference counting).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "dataplane/compiled_program.h"

namespace openvpc::dataplane {

class ProgramPublisher {
 public:
  void publish(std::shared_ptr<const CompiledProgram> program) {
    std::lock_guard<std::mutex> lock(mutex_);
    program_ = std::move(program);
    version_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const CompiledProgram> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return program_;
  }
  // Changes with every publish().
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const CompiledProgram> program_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace openvpc::dataplane
