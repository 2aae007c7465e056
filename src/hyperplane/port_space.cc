#include "hyperplane/port_space.h"

#include "dataplane/flow_hash.h"

#include <algorithm>

namespace openvpc::hyperplane {

namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

size_t table_size(size_t entries) {
  size_t size = 16;
  while (size < 2 * entries) size *= 2;
  return size;
}

uint64_t hash_destination(const Destination& d) {
  return dataplane::mix64((uint64_t{d.nat_address} << 32 | d.address) ^
                          dataplane::mix64(uint64_t{d.port} << 8 | d.protocol));
}

}  // namespace

PortRange slot_range(int slot, int slots) {
  if (slots <= 0 || slot < 0 || slot >= slots) return {kFirstNatPort, 0};
  const uint32_t n = static_cast<uint32_t>(slots), i = static_cast<uint32_t>(slot);
  const uint32_t base = kNatPorts / n, extra = kNatPorts % n;  // the first `extra` get one more
  const uint32_t first = kFirstNatPort + i * base + std::min(i, extra);
  return {first, base + (i < extra ? 1u : 0u)};
}

uint32_t slot_cap(int slot, int slots, uint32_t total) {
  if (slots <= 0 || slot < 0 || slot >= slots) return 0;
  const uint32_t n = static_cast<uint32_t>(slots), i = static_cast<uint32_t>(slot);
  const uint32_t base = total / n;
  const uint32_t extra = total % n;
  return std::min(base + (i < extra ? 1u : 0u), slot_range(slot, slots).count);
}

PortAllocator::PortAllocator(PortRange range, uint32_t cap, size_t max_flows,
                             size_t max_destinations)
    : range_(range),
      cap_(cap),
      max_flows_(max_flows),
      max_destinations_(max_destinations),
      flow_table_(table_size(max_flows)),
      count_table_(table_size(max_destinations)) {}

size_t PortAllocator::find_flow(const Destination& destination, uint16_t port) const {
  const size_t mask = flow_table_.size() - 1;
  for (size_t i = (hash_destination(destination) ^ dataplane::mix64(port)) & mask;;
       i = (i + 1) & mask) {
    const Flow& flow = flow_table_[i];
    if (!flow.used) return kNone;
    if (flow.port == port && flow.destination == destination) return i;
  }
}

PortAllocator::Count* PortAllocator::count_of(const Destination& destination, bool create) {
  const size_t mask = count_table_.size() - 1;
  for (size_t i = hash_destination(destination) & mask;; i = (i + 1) & mask) {
    Count& entry = count_table_[i];
    if (entry.count == 0) {
      if (!create || destinations_ == max_destinations_) return nullptr;
      entry.destination = destination;  // count stays 0 until the caller adds the flow
      return &entry;
    }
    if (entry.destination == destination) return &entry;
  }
}

uint32_t PortAllocator::in_use(const Destination& destination) const {
  const size_t mask = count_table_.size() - 1;
  for (size_t i = hash_destination(destination) & mask;; i = (i + 1) & mask) {
    const Count& entry = count_table_[i];
    if (entry.count == 0) return 0;
    if (entry.destination == destination) return entry.count;
  }
}

bool PortAllocator::claim(const Destination& destination, uint16_t port) {
  if (!range_.contains(port) || flows_ == max_flows_) return false;
  if (find_flow(destination, port) != kNone) return false;
  Count* count = count_of(destination, true);
  if (count == nullptr) return false;
  if (count->count == 0) ++destinations_;
  ++count->count;
  const size_t mask = flow_table_.size() - 1;
  size_t i = (hash_destination(destination) ^ dataplane::mix64(port)) & mask;
  while (flow_table_[i].used) i = (i + 1) & mask;
  flow_table_[i] = {destination, port, true};
  ++flows_;
  return true;
}

std::optional<uint16_t> PortAllocator::allocate(const Destination& destination, uint32_t hint) {
  if (range_.count == 0 || in_use(destination) >= cap_) return std::nullopt;
  // Fewer than cap_ <= range.count ports are in use for this destination: a free one exists.
  uint32_t offset = hint % range_.count;
  for (uint32_t tried = 0; tried < range_.count; ++tried) {
    const auto port = static_cast<uint16_t>(range_.first + offset);
    if (find_flow(destination, port) == kNone) {
      if (!claim(destination, port)) return std::nullopt;  // tables full
      return port;
    }
    if (++offset == range_.count) offset = 0;
  }
  return std::nullopt;
}

void PortAllocator::erase_flow(size_t hole) {
  // Backward-shift deletion: entries after the hole that probed past it move back into it.
  const size_t mask = flow_table_.size() - 1;
  flow_table_[hole].used = false;
  for (size_t i = (hole + 1) & mask; flow_table_[i].used; i = (i + 1) & mask) {
    const Flow& flow = flow_table_[i];
    const size_t home = (hash_destination(flow.destination) ^ dataplane::mix64(flow.port)) & mask;
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      flow_table_[hole] = flow;
      flow_table_[i].used = false;
      hole = i;
    }
  }
}

void PortAllocator::erase_count(size_t hole) {
  const size_t mask = count_table_.size() - 1;
  count_table_[hole].count = 0;
  for (size_t i = (hole + 1) & mask; count_table_[i].count != 0; i = (i + 1) & mask) {
    const Count& entry = count_table_[i];
    const size_t home = hash_destination(entry.destination) & mask;
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      count_table_[hole] = entry;
      count_table_[i].count = 0;
      hole = i;
    }
  }
}

bool PortAllocator::release(const Destination& destination, uint16_t port) {
  const size_t slot = find_flow(destination, port);
  if (slot == kNone) return false;
  erase_flow(slot);
  --flows_;
  Count* count = count_of(destination, false);
  if (count != nullptr && --count->count == 0) {
    erase_count(static_cast<size_t>(count - count_table_.data()));
    --destinations_;
  }
  return true;
}

}  // namespace openvpc::hyperplane
