// packet_pool.h — the pipeline's own packet buffers, for packets that outlive a batch or that
// the pipeline makes itself.
//
// A fixed number of buffers, allocated once at construction (their pages are touched only
// when used), each with kHeadroom writable bytes in front of the packet like the router's
// receive buffers, so a copied frame can still be encapsulated in place. Two uses (pipeline.h):
// later IPv4 fragments held until their first fragment settles, and the fragments the
// pipeline cuts a packet into when it exceeds the path MTU; a second pool, with buffers large
// enough for a TSO super-frame, holds what waits in an ENI's bandwidth queue (fair_queue.h).
// acquire() / release() are O(1)
// on a free list; nothing allocates after construction. Not thread-safe; one per Pipeline.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/packet_batch.h"

namespace openvpc::dataplane {

class PacketPool {
 public:
  static constexpr uint16_t kHeadroom = 128;
  static constexpr size_t kBufferSize = 16384;  // like router::Worker's receive buffers
  static constexpr uint16_t kCapacity = uint16_t(kBufferSize - kHeadroom);  // from data on
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit PacketPool(size_t count, size_t buffer_size = kBufferSize);

  // A free buffer's index, or kNone when all are in use.
  uint32_t acquire();
  // Gives a buffer back; `index` must come from acquire() and not be released twice.
  void release(uint32_t index);
  size_t free_count() const { return free_.size(); }
  size_t count() const { return count_; }
  // Bytes a packet may take from data on (kCapacity with the default buffer size).
  size_t capacity() const { return buffer_size_ - kHeadroom; }

  // An empty packet over buffer `index`: data after the headroom, capacity capacity().
  Packet packet(uint32_t index, Port in_port);
  // Buffer `index` holding a copy of bytes (at most capacity() of them), arriving on in_port.
  Packet copy(uint32_t index, std::span<const uint8_t> bytes, Port in_port);

 private:
  size_t count_;
  size_t buffer_size_;
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<uint32_t> free_;
};

}  // namespace openvpc::dataplane
