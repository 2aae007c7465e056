#include "router/dispatch.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "dataplane/flow_hash.h"
#include "packet/parser.h"

namespace openvpc::router {

namespace {

uint32_t worker_for(const packet::PacketMeta& meta, uint32_t worker_count) {
  if (worker_count <= 1 || !meta.ok() || meta.ip_version == 0) return 0;
  // A later fragment carries no ports, yet must reach the worker that tracks its datagram
  // (the first fragment's) and its flow. So fragments, and every packet of a protocol whose
  // datagrams fragment in practice (UDP, ICMP, anything but TCP, which sets DF), go by
  // addresses and protocol alone; unfragmented TCP keeps its ports and spreads per connection.
  packet::FiveTuple key = meta.tuple;
  if (key.protocol != packet::kProtoTcp || meta.fragment.is_fragment) {
    key.src_port = 0;
    key.dst_port = 0;
  }
  return dataplane::flow_worker_hash(key) % worker_count;
}

}  // namespace

uint32_t worker_for_frame(std::span<const uint8_t> frame, uint32_t worker_count) {
  if (worker_count <= 1) return 0;
  return worker_for(packet::parse_frame(frame), worker_count);
}

uint32_t worker_for_underlay(std::span<const uint8_t> outer_ipv4, uint32_t worker_count) {
  if (worker_count <= 1) return 0;
  return worker_for(packet::parse_ip(outer_ipv4), worker_count);
}

Inbox::Inbox(size_t producers, size_t slots_per_producer, size_t slot_size, uint16_t headroom,
             size_t large_slots_per_producer, size_t large_slot_size)
    : rings_(producers),
      slots_per_producer_(slots_per_producer),
      storage_(producers * slots_per_producer * slot_size),
      slot_size_(slot_size),
      headroom_(headroom),
      large_slots_per_producer_(large_slot_size > headroom ? large_slots_per_producer : 0),
      large_slot_size_(large_slot_size),
      large_storage_(large_slots_per_producer_ == 0
                         ? nullptr
                         : new uint8_t[producers * large_slots_per_producer_ * large_slot_size]) {
  for (Ring& ring : rings_) ring.entries.resize(slots_per_producer);
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Inbox::~Inbox() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

void Inbox::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(event_fd_, &one, sizeof one);
}

bool Inbox::push(uint32_t producer, std::span<const uint8_t> bytes, dataplane::Port in_port,
                 Offload offload) {
  if (producer >= rings_.size() || bytes.size() > 65535) return false;
  const bool large = bytes.size() > slot_capacity();
  if (large && (large_slots_per_producer_ == 0 || bytes.size() > large_slot_size_ - headroom_)) {
    return false;
  }
  Ring& ring = rings_[producer];
  const uint64_t tail = ring.tail.load(std::memory_order_relaxed);  // only this thread writes it
  const uint64_t head = ring.head.load(std::memory_order_acquire);  // slots released before
  if (tail - head >= slots_per_producer_) return false;
  const uint32_t index = uint32_t(tail % slots_per_producer_);
  Entry entry{uint32_t(producer * slots_per_producer_ + index), uint16_t(bytes.size()), large,
              offload, in_port};
  if (large) {
    const uint64_t large_head = ring.large_head.load(std::memory_order_acquire);
    if (ring.large_tail - large_head >= large_slots_per_producer_) return false;
    entry.slot = uint32_t(producer * large_slots_per_producer_ +
                          ring.large_tail % large_slots_per_producer_);
    ++ring.large_tail;
  }
  std::memcpy(data(entry), bytes.data(), bytes.size());
  ring.entries[index] = entry;
  // Publish, then look at head again (both sequentially consistent, against release()'s store
  // head / load tail): when the owner had released everything before this entry it may never
  // look again, so wake it; otherwise release() sees this tail and wakes it itself. One of the
  // two always sees the other's store, so an entry is never left asleep.
  ring.tail.store(tail + 1, std::memory_order_seq_cst);
  if (ring.head.load(std::memory_order_seq_cst) == tail) wake();
  return true;
}

void Inbox::take(std::vector<Entry>& out) {
  out.clear();
  uint64_t value = 0;
  [[maybe_unused]] const ssize_t n = ::read(event_fd_, &value, sizeof value);
  for (Ring& ring : rings_) {
    const uint64_t head = ring.head.load(std::memory_order_relaxed);  // only the owner writes it
    ring.taken = ring.tail.load(std::memory_order_acquire);
    for (uint64_t i = head; i < ring.taken; ++i) {
      const Entry& entry = ring.entries[size_t(i % slots_per_producer_)];
      ring.large_taken += entry.large;
      out.push_back(entry);
    }
  }
}

void Inbox::release() {
  bool pending = false;
  for (Ring& ring : rings_) {
    ring.large_head.store(ring.large_taken, std::memory_order_release);
    ring.head.store(ring.taken, std::memory_order_seq_cst);
    // A push after take() that saw the ring not empty did not wake us (see push()).
    pending |= ring.tail.load(std::memory_order_seq_cst) != ring.taken;
  }
  if (pending) wake();
}

}  // namespace openvpc::router
