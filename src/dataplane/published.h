// published.h — a value handed from one writer thread to reader threads (RCU by refcount).
//
// The router thread publish()es a new immutable value; each reader (a worker, before every
// batch) compares version() — one atomic load — and, only when it moved, takes the new
// shared_ptr with current() under a brief lock. So the fast path never locks, a reader uses
// one value for a whole batch, and an old value is freed when the last reader has moved past
// it. One template serves every such value: the compiled program (program_publisher.h), the
// local services' configuration and the port table (router).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace openvpc::dataplane {

template <typename T>
class Published {
 public:
  void publish(std::shared_ptr<const T> value) {
    std::lock_guard<std::mutex> lock(mutex_);
    value_ = std::move(value);
    version_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const T> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }
  // Changes with every publish().
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace openvpc::dataplane
