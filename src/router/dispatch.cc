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
  return dataplane::flow_worker_hash(meta.tuple) % worker_count;
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

Inbox::Inbox(size_t slot_count, size_t slot_size, uint16_t headroom)
    : storage_(slot_count * slot_size), slot_size_(slot_size), headroom_(headroom) {
  free_.reserve(slot_count);
  ready_.reserve(slot_count);
  for (size_t i = slot_count; i > 0; --i) free_.push_back(uint32_t(i - 1));
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Inbox::~Inbox() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

bool Inbox::push(std::span<const uint8_t> bytes, dataplane::Port in_port) {
  if (bytes.size() > slot_capacity()) return false;
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return false;
    const uint32_t slot = free_.back();
    free_.pop_back();
    std::memcpy(slot_data(slot), bytes.data(), bytes.size());
    was_empty = ready_.empty();
    ready_.push_back({slot, uint16_t(bytes.size()), in_port});
  }
  if (was_empty) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(event_fd_, &one, sizeof one);
  }
  return true;
}

void Inbox::take(std::vector<Entry>& out) {
  out.clear();
  uint64_t value = 0;
  [[maybe_unused]] const ssize_t n = ::read(event_fd_, &value, sizeof value);
  std::lock_guard<std::mutex> lock(mutex_);
  out.swap(ready_);
  ready_.reserve(free_.capacity());
}

void Inbox::release(std::span<const Entry> entries) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& entry : entries) free_.push_back(entry.slot);
}

}  // namespace openvpc::router
