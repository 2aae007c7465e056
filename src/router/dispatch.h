// dispatch.h — which worker handles a packet, and the queue that hands it over.
//
// Both directions of a flow must reach the same worker (its Pipeline holds the flow's
// connection state without locks), so the worker is flow_worker_hash(tuple) % worker_count
// over the tenant's 5-tuple: the frame's own for an ENI port, the inner packet's for an
// underlay packet (parse_ip fills the tuple from the inner packet). Fragments, and all
// packets but unfragmented TCP, hash without their ports, so a datagram's later fragments
// (which carry none) meet its first one and its flow on one worker. A packet that does not
// parse goes to worker 0, which drops and counts it like any other.
//
// Inbox: a worker's bounded queue of packets other workers received for it — one
// single-producer ring per sending worker, so a hand-off takes no lock: push() copies the bytes
// into the producer's next free slot (no allocation after construction), publishes it with a
// release store and, when its ring was empty, wakes the owner through an eventfd; the owner
// take()s what every ring holds, processes the slots in place and release()s them (one store
// per ring). Full: push() fails and the caller counts the drop. push() for producer p is
// called by one thread at a time (worker p); take()/release() by the owner only.
//
// A TSO super-frame (up to 64 KB) does not fit a slot. Each ring also has a few large slots,
// taken in the same order as its entries (so a flow's packets stay in order whatever their
// size): a super-frame crosses whole with its gso_size/gso_type, and is cut in software only
// when every large slot of its ring is in use (push() refuses; the caller cuts).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/packet_batch.h"

namespace openvpc::router {

uint32_t worker_for_frame(std::span<const uint8_t> frame, uint32_t worker_count);
uint32_t worker_for_underlay(std::span<const uint8_t> outer_ipv4, uint32_t worker_count);

// Slots of each producer's ring in a router of `workers` workers: ~1,024 per inbox in all
// (16 MB of kBufferSize slots), at least 128 per producer.
inline size_t inbox_slots_per_producer(uint32_t workers) {
  return std::max<size_t>(128, 1024 / std::max<uint32_t>(workers, 1));
}

// Large slots (one super-frame each) per producer: ~128 per inbox in all (8 MB of address
// space, touched only as they are used), at least 16 per producer. Two workers get 64 each: a
// whole TAP read of super-frames (Worker::kReceiveBatch) for the other worker.
inline size_t inbox_large_slots_per_producer(uint32_t workers) {
  return std::max<size_t>(16, 128 / std::max<uint32_t>(workers, 1));
}

// A super-frame's segmentation, as the receiving worker read it (virtio-net's gso_type).
struct InboxOffload {
  uint16_t gso_size = 0;
  uint8_t gso_type = 0;
};

class Inbox {
 public:
  using Offload = InboxOffload;
  struct Entry {
    uint32_t slot = 0;  // a large slot's index when `large`
    uint16_t size = 0;
    bool large = false;
    Offload offload;
    dataplane::Port in_port;
  };

  // One ring of slots_per_producer slots per producer (0..producers-1), each slot slot_size
  // bytes, the first `headroom` left in front of the packet for the pipeline to prepend into;
  // and large_slots_per_producer large slots of large_slot_size bytes (headroom included) for
  // what does not fit a slot.
  Inbox(size_t producers, size_t slots_per_producer, size_t slot_size, uint16_t headroom,
        size_t large_slots_per_producer = 0, size_t large_slot_size = 0);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  int event_fd() const { return event_fd_; }
  // False when the ring is full, or `bytes` fits no slot, or it needs a large slot and its
  // ring's are all in use.
  bool push(uint32_t producer, std::span<const uint8_t> bytes, dataplane::Port in_port,
            Offload offload = {});
  // Moves the ready entries of every ring into out (cleared first) and clears the eventfd.
  void take(std::vector<Entry>& out);
  // Gives back every slot the last take() returned; wakes the owner again when a producer
  // pushed meanwhile into a ring it saw as not empty (so it did not).
  void release();
  uint8_t* slot_data(uint32_t slot) { return storage_.data() + slot * slot_size_ + headroom_; }
  uint16_t slot_capacity() const { return uint16_t(slot_size_ - headroom_); }
  uint8_t* data(const Entry& entry) {
    return entry.large ? large_storage_.get() + entry.slot * large_slot_size_ + headroom_
                       : slot_data(entry.slot);
  }
  // Room after the entry's data pointer (a packet's size is at most 65535).
  uint16_t capacity(const Entry& entry) const {
    return entry.large ? uint16_t(std::min<size_t>(large_slot_size_ - headroom_, 65535))
                       : slot_capacity();
  }
  uint16_t headroom() const { return headroom_; }

 private:
  struct alignas(64) Ring {
    std::atomic<uint64_t> tail{0};              // written by the producer
    alignas(64) std::atomic<uint64_t> head{0};  // written by the owner (release)
    alignas(64) uint64_t taken = 0;             // the owner's: tail as of the last take()
    uint64_t large_taken = 0;    // the owner's: large slots used by entries up to `taken`
    std::vector<Entry> entries;  // entries[i % size] describes slot base + i % size
    // Large slots, a FIFO of their own: the producer takes the next at large_tail (only it
    // reads or writes that); the owner frees through large_head, counting the large entries
    // it took (so it never reads large_tail, which may be ahead of the published tail).
    alignas(64) std::atomic<uint64_t> large_head{0};
    alignas(64) uint64_t large_tail = 0;
  };
  void wake();

  std::vector<Ring> rings_;
  size_t slots_per_producer_;
  std::vector<uint8_t> storage_;
  size_t slot_size_;
  uint16_t headroom_;
  size_t large_slots_per_producer_;
  size_t large_slot_size_;
  // Not value-initialized: pages are touched only when a super-frame is copied in.
  std::unique_ptr<uint8_t[]> large_storage_;
  int event_fd_ = -1;
};

}  // namespace openvpc::router
