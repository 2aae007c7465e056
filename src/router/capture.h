// capture.h — copies of what one ENI sends and receives, for `openvpc capture` (pcap).
//
// EniCapture is the router's one capture point. The admin server start()s a session for an
// ENI; workers look at watch() once per batch they receive from, or send to, an ENI port, and
// only when it names that port's ENI do they offer() the batch's frames. offer() never blocks
// and never allocates: frames are copied into a bounded, lock-free multi-producer queue of
// preallocated slots (Vyukov's bounded queue); when it is full the frame is dropped and
// counted. Frames longer than kSnapLength are cut (pcap keeps their original length). The one
// reader (the session's HTTP thread) take()s frames and writes them as pcap records
// (io::PcapWriter, libpcap's format).
//
// Sessions are numbered: watch() packs (session << 32 | ENI), and a frame remembers the watch
// word it was offered under, so frames a late worker offers after stop() are discarded by the
// next session rather than mixed into it. The slots are allocated by the first start() and
// live as long as the EniCapture, which outlives the workers (Router owns it). One session at
// a time: start() fails while one runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/frame.h"

namespace openvpc::router {

struct CaptureStats {
  uint64_t frames_captured = 0;  // offered and queued
  uint64_t frames_dropped = 0;   // the queue was full
  uint64_t sessions = 0;
};

struct CapturedFrame {
  std::chrono::nanoseconds timestamp{};  // Unix time
  uint32_t original_size = 0;
  std::vector<uint8_t> bytes;  // at most kSnapLength
};

class EniCapture {
 public:
  static constexpr size_t kSlotCount = 512;
  static constexpr uint32_t kSnapLength = 9216;  // an MTU-9001 frame and its headers fit

  EniCapture() = default;
  EniCapture(const EniCapture&) = delete;
  EniCapture& operator=(const EniCapture&) = delete;

  // Worker side: one acquire load (it also makes the slots visible). The ENI watched is
  // eni_of(watch()); 0 when none.
  uint64_t watch() const { return watch_.load(std::memory_order_acquire); }
  static uint32_t eni_of(uint64_t watch) { return uint32_t(watch); }
  // Queues copies of frames under `watch` (the value read for this batch); never blocks.
  void offer(uint64_t watch, std::span<const io::Frame> frames);

  // Reader side. start() fails (false) while another session runs or for ENI 0.
  bool start(uint32_t eni);
  // Moves up to `limit` queued frames of the running session into out (appending); frames of
  // older sessions are discarded. Returns how many were appended.
  size_t take(std::vector<CapturedFrame>& out, size_t limit);
  void stop();

  CaptureStats stats() const;

 private:
  struct Slot {
    std::atomic<uint64_t> sequence{0};
    uint64_t watch = 0;
    int64_t timestamp_ns = 0;
    uint32_t original_size = 0;
    uint32_t size = 0;
  };

  std::atomic<uint64_t> watch_{0};
  std::atomic<bool> running_{false};
  uint64_t session_ = 0;  // reader side only
  std::unique_ptr<Slot[]> slots_;
  std::vector<uint8_t> storage_;  // kSlotCount * kSnapLength
  std::atomic<uint64_t> enqueue_position_{0};
  std::atomic<uint64_t> dequeue_position_{0};
  std::atomic<uint64_t> captured_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> sessions_{0};
};

}  // namespace openvpc::router
