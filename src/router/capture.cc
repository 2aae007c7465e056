#include "router/capture.h"

#include <time.h>

#include <algorithm>
#include <cstring>

namespace openvpc::router {

namespace {

constexpr uint64_t kSlotMask = EniCapture::kSlotCount - 1;
static_assert((EniCapture::kSlotCount & kSlotMask) == 0, "slot count is a power of two");

int64_t unix_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

void EniCapture::offer(uint64_t watch, std::span<const io::Frame> frames) {
  if (eni_of(watch) == 0 || frames.empty()) return;
  const int64_t now = unix_now_ns();
  uint64_t queued = 0;
  for (const io::Frame& frame : frames) {
    uint64_t position = enqueue_position_.load(std::memory_order_relaxed);
    Slot* slot = nullptr;
    while (true) {
      slot = &slots_[position & kSlotMask];
      const uint64_t sequence = slot->sequence.load(std::memory_order_acquire);
      const int64_t lag = int64_t(sequence - position);
      if (lag == 0) {
        if (enqueue_position_.compare_exchange_weak(position, position + 1,
                                                    std::memory_order_relaxed)) {
          break;
        }
      } else if (lag < 0) {
        slot = nullptr;  // full: the reader has not taken this slot's last frame yet
        break;
      } else {
        position = enqueue_position_.load(std::memory_order_relaxed);
      }
    }
    if (slot == nullptr) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const uint32_t size = std::min<uint32_t>(frame.size, kSnapLength);
    std::memcpy(storage_.data() + (position & kSlotMask) * kSnapLength, frame.data, size);
    slot->watch = watch;
    slot->timestamp_ns = now;
    slot->original_size = frame.size;
    slot->size = size;
    slot->sequence.store(position + 1, std::memory_order_release);
    ++queued;
  }
  captured_.fetch_add(queued, std::memory_order_relaxed);
}

bool EniCapture::start(uint32_t eni) {
  if (eni == 0) return false;
  bool idle = false;
  if (!running_.compare_exchange_strong(idle, true)) return false;
  if (!slots_) {
    slots_ = std::make_unique<Slot[]>(kSlotCount);
    for (size_t i = 0; i < kSlotCount; ++i) slots_[i].sequence.store(i, std::memory_order_relaxed);
    storage_.resize(kSlotCount * kSnapLength);
  }
  ++session_;
  sessions_.fetch_add(1, std::memory_order_relaxed);
  watch_.store((session_ << 32) | eni, std::memory_order_release);
  return true;
}

size_t EniCapture::take(std::vector<CapturedFrame>& out, size_t limit) {
  if (!slots_) return 0;
  const uint64_t current = watch_.load(std::memory_order_relaxed);
  size_t taken = 0;
  while (taken < limit) {
    const uint64_t position = dequeue_position_.load(std::memory_order_relaxed);
    Slot& slot = slots_[position & kSlotMask];
    if (slot.sequence.load(std::memory_order_acquire) != position + 1) break;  // empty
    if (slot.watch == current && current != 0) {
      CapturedFrame frame;
      frame.timestamp = std::chrono::nanoseconds(slot.timestamp_ns);
      frame.original_size = slot.original_size;
      const uint8_t* data = storage_.data() + (position & kSlotMask) * kSnapLength;
      frame.bytes.assign(data, data + slot.size);
      out.push_back(std::move(frame));
      ++taken;
    }
    slot.sequence.store(position + kSlotCount, std::memory_order_release);
    dequeue_position_.store(position + 1, std::memory_order_relaxed);
  }
  return taken;
}

void EniCapture::stop() {
  watch_.store(0, std::memory_order_release);
  running_.store(false);
}

CaptureStats EniCapture::stats() const {
  return {captured_.load(std::memory_order_relaxed), dropped_.load(std::memory_order_relaxed),
          sessions_.load(std::memory_order_relaxed)};
}

}  // namespace openvpc::router
