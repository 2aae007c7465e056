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
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
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

class Inbox {
 public:
  struct Entry {
    uint32_t slot = 0;
    uint16_t size = 0;
    dataplane::Port in_port;
  };

  // One ring of slots_per_producer slots per producer (0..producers-1), each slot slot_size
  // bytes, the first `headroom` left in front of the packet for the pipeline to prepend into.
  Inbox(size_t producers, size_t slots_per_producer, size_t slot_size, uint16_t headroom);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  int event_fd() const { return event_fd_; }
  bool push(uint32_t producer, std::span<const uint8_t> bytes, dataplane::Port in_port);
  // Moves the ready entries of every ring into out (cleared first) and clears the eventfd.
  void take(std::vector<Entry>& out);
  // Gives back every slot the last take() returned; wakes the owner again when a producer
  // pushed meanwhile into a ring it saw as not empty (so it did not).
  void release();
  uint8_t* slot_data(uint32_t slot) { return storage_.data() + slot * slot_size_ + headroom_; }
  uint16_t slot_capacity() const { return uint16_t(slot_size_ - headroom_); }
  uint16_t headroom() const { return headroom_; }

 private:
  struct alignas(64) Ring {
    std::atomic<uint64_t> tail{0};              // written by the producer
    alignas(64) std::atomic<uint64_t> head{0};  // written by the owner (release)
    alignas(64) uint64_t taken = 0;             // the owner's: tail as of the last take()
    std::vector<Entry> entries;                 // entries[i % size] describes slot base + i % size
  };
  void wake();

  std::vector<Ring> rings_;
  size_t slots_per_producer_;
  std::vector<uint8_t> storage_;
  size_t slot_size_;
  uint16_t headroom_;
  int event_fd_ = -1;
};

}  // namespace openvpc::router
