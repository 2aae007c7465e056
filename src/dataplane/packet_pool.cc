#include "dataplane/packet_pool.h"

#include <algorithm>
#include <cassert>

namespace openvpc::dataplane {

PacketPool::PacketPool(size_t count, size_t buffer_size)
    : count_(count),
      buffer_size_(buffer_size),
      storage_(std::make_unique_for_overwrite<uint8_t[]>(count * buffer_size)) {
  free_.reserve(count);
  for (size_t i = count; i > 0; --i) free_.push_back(uint32_t(i - 1));
}

uint32_t PacketPool::acquire() {
  if (free_.empty()) return kNone;
  const uint32_t index = free_.back();
  free_.pop_back();
  return index;
}

void PacketPool::release(uint32_t index) {
  assert(index < count_ && free_.size() < count_);
  free_.push_back(index);
}

Packet PacketPool::packet(uint32_t index, Port in_port) {
  Packet p;
  p.data = storage_.get() + size_t(index) * buffer_size_ + kHeadroom;
  p.size = 0;
  p.headroom = kHeadroom;
  p.capacity = uint16_t(std::min<size_t>(capacity(), UINT16_MAX));
  p.in_port = in_port;
  return p;
}

Packet PacketPool::copy(uint32_t index, std::span<const uint8_t> bytes, Port in_port) {
  Packet p = packet(index, in_port);
  assert(bytes.size() <= capacity());
  std::copy(bytes.begin(), bytes.end(), p.data);
  p.size = uint16_t(bytes.size());
  return p;
}

}  // namespace openvpc::dataplane
