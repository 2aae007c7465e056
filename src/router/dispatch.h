// dispatch.h — which worker handles a packet, and the queue that hands it over.
//
// Both directions of a flow must reach the same worker (its Pipeline holds the flow's
// connection state without locks), so the worker is flow_worker_hash(tuple) % worker_count
// over the tenant's 5-tuple: the frame's own for an ENI port, the inner packet's for an
// underlay packet (parse_ip fills the tuple from the inner packet). A packet that does not
// parse goes to worker 0, which drops and counts it like any other.
//
// Inbox: a worker's bounded queue of packets other workers received for it. push() copies
// the bytes into a free slot (no allocation after construction) and wakes the owner through
// an eventfd; the owner take()s the ready slots, processes them in place and release()s
// them. Full: push() fails and the caller counts the drop. Thread-safe (one mutex, taken once
// per push and once per take/release).
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "dataplane/packet_batch.h"

namespace openvpc::router {

uint32_t worker_for_frame(std::span<const uint8_t> frame, uint32_t worker_count);
uint32_t worker_for_underlay(std::span<const uint8_t> outer_ipv4, uint32_t worker_count);

class Inbox {
 public:
  struct Entry {
    uint32_t slot = 0;
    uint16_t size = 0;
    dataplane::Port in_port;
  };

  // slot_count slots of slot_size bytes, the first `headroom` of each left in front of the
  // packet for the pipeline to prepend into.
  Inbox(size_t slot_count, size_t slot_size, uint16_t headroom);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  int event_fd() const { return event_fd_; }
  bool push(std::span<const uint8_t> bytes, dataplane::Port in_port);
  // Moves the ready entries into out (cleared first) and clears the eventfd.
  void take(std::vector<Entry>& out);
  void release(std::span<const Entry> entries);
  uint8_t* slot_data(uint32_t slot) { return storage_.data() + slot * slot_size_ + headroom_; }
  uint16_t slot_capacity() const { return uint16_t(slot_size_ - headroom_); }
  uint16_t headroom() const { return headroom_; }

 private:
  std::mutex mutex_;
  std::vector<uint8_t> storage_;
  std::vector<uint32_t> free_;
  std::vector<Entry> ready_;
  size_t slot_size_;
  uint16_t headroom_;
  int event_fd_ = -1;
};

}  // namespace openvpc::router
