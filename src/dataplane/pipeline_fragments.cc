// pipeline_fragments.cc — the Pipeline's packets that leave outside the batch (pipeline.h):
// later fragments held for their first fragment, and packets cut to the path MTU.
//
// Both live in the PacketPool: a held fragment in the buffer it was copied into, until
// settle() or expire() gives it back; a released or cut packet in its buffer until the next
// process() (start_released()). Every entry of released_ owns a distinct pool buffer, so
// released_ never outgrows the capacity reserved at construction. Copies happen only here,
// on the out-of-order and the too-big path; nothing allocates.
#include <algorithm>
#include <cstring>

#include "dataplane/actions.h"
#include "dataplane/pipeline.h"
#include "packet/builder.h"

namespace openvpc::dataplane {

void Pipeline::start_released() {
  for (const uint32_t buffer : released_buffers_) pool_.release(buffer);
  released_buffers_.clear();
  for (const uint32_t buffer : released_queue_buffers_) queue_pool_.release(buffer);
  released_queue_buffers_.clear();
  released_.clear();
  cut_this_call_ = 0;
}

int32_t Pipeline::local_index(Port in_port) const {
  if (!program_ || in_port.kind != PortKind::eni) return -1;
  return program_->find_local_eni(in_port.id);
}

packet::PacketMeta Pipeline::parse_held(const Packet& p) const {
  const std::span<const uint8_t> bytes(p.data, p.size);
  return p.in_port.kind == PortKind::underlay ? packet::parse_ip(bytes)
                                              : packet::parse_frame(bytes);
}

// A later fragment before its first one: copied into `buffer` (from fragment()), the batch's
// packet marked held. Without a buffer (all in use, or a packet larger than one) it is dropped;
// the tracker hands that hold back later as kNone, which nothing sends or counts again.
void Pipeline::hold(Packet& p, uint32_t buffer) {
  if (buffer == PacketPool::kNone) return drop_packet(p, DropReason::fragment_hold_full);
  held_[buffer] = pool_.copy(buffer, {p.data, p.size}, p.in_port);
  p.verdict = Verdict::held;
  p.drop_reason = DropReason::none;
  p.out_port = Port{};
}

void Pipeline::drop_held(uint32_t buffer, DropReason reason) {
  if (buffer == PacketPool::kNone) return;
  Packet p = held_[buffer];
  drop_packet(p, reason);
  count(p, parse_held(p), local_index(p.in_port), -1, 0, false);
  pool_.release(buffer);
}

// The held fragments of a datagram whose first fragment just settled: with `entry` (the
// first fragment's, accepted) each is forwarded like a later fragment in order and joins
// released(); otherwise each is dropped with the tracker's reason.
void Pipeline::release_held(std::span<const FragmentStage::Release> releases,
                            const FlowEntry* entry) {
  for (const FragmentStage::Release& r : releases) {
    const uint32_t buffer = uint32_t(r.handle);
    if (buffer == PacketPool::kNone) continue;  // dropped as fragment_hold_full on arrival
    if (entry == nullptr || !r.accepted) {
      drop_held(buffer, r.reason != DropReason::none ? r.reason : DropReason::fragment_rejected);
      continue;
    }
    const Packet& held = held_[buffer];
    const int32_t in_index = local_index(held.in_port);
    if (held.in_port.kind == PortKind::eni && in_index < 0) {  // its ENI left meanwhile
      drop_held(buffer, DropReason::unknown_port);
      continue;
    }
    const packet::PacketMeta meta = parse_held(held);
    released_buffers_.push_back(buffer);
    released_.push_back(held);
    forward(released_.back(), meta, entry, in_index, 0, false);
  }
}

// An IPv4 packet above the path MTU: ICMP fragmentation needed (DF, from a local ENI), a
// drop (DF, from the underlay: its sender's router should have answered), or fragments.
void Pipeline::exceeds_mtu(Packet& p, const packet::PacketMeta& meta, const FlowAction& action,
                           const LocalEni* source, uint16_t mtu) {
  if (!meta.fragment.dont_fragment) return cut(p, meta, action, source, mtu);
  if (source == nullptr) return drop_packet(p, DropReason::mtu_exceeded);
  reply_fragmentation_needed(meta, *program_, *source, mtu, p);
}

// Cuts p into fragments of at most `mtu` bytes (RFC 791): the pieces after the first are
// written into pool buffers behind a copy of p's bytes before the IP header (Ethernet or the
// outer headers, which the action replaces), each gets the action and joins released(); p
// itself becomes the first piece, in place. All pieces or none: without room, p is dropped.
void Pipeline::cut(Packet& p, const packet::PacketMeta& meta, const FlowAction& action,
                   const LocalEni* source, uint16_t mtu) {
  uint8_t* ip = p.data + meta.l3_offset;
  const std::span<const uint8_t> whole(ip, meta.l3_size);
  const size_t first_header = packet::ipv4_fragment_header_size(whole, true);
  const size_t later_header = packet::ipv4_fragment_header_size(whole, false);
  if (first_header == 0 || later_header == 0 || mtu < first_header + 8) {
    return drop_packet(p, DropReason::malformed);
  }
  const size_t payload = meta.l3_size - first_header;
  const size_t first_size = (mtu - first_header) & ~size_t{7};
  const size_t later_size = (mtu - later_header) & ~size_t{7};
  const size_t pieces = (payload - first_size + later_size - 1) / later_size;  // after the first
  if (cut_this_call_ + pieces > config_.fragment_output_slots || pool_.free_count() < pieces ||
      size_t(meta.l3_offset) + later_header + later_size > PacketPool::kCapacity) {
    return drop_packet(p, DropReason::fragmentation_output_full);
  }
  const auto out_index = [&](const Packet& piece) {
    return piece.verdict == Verdict::deliver ? action.destination_index : -1;
  };
  for (size_t offset = first_size; offset < payload; offset += later_size) {
    const uint32_t buffer = pool_.acquire();
    Packet piece = pool_.packet(buffer, p.in_port);
    std::memcpy(piece.data, p.data, meta.l3_offset);
    const size_t size = std::min(later_size, payload - offset);
    const size_t written = packet::write_ipv4_fragment(
        piece.data + meta.l3_offset, piece.capacity - meta.l3_offset, whole, offset, size);
    piece.size = uint16_t(meta.l3_offset + written);
    packet::PacketMeta piece_meta = meta;
    piece_meta.l3_size = uint16_t(written);
    piece_meta.ipv4_ihl = uint8_t(later_header / 4);
    piece_meta.fragment.is_fragment = true;
    piece_meta.fragment.offset = uint16_t(meta.fragment.offset + offset);
    piece_meta.fragment.more_fragments = offset + size < payload || meta.fragment.more_fragments;
    ++cut_this_call_;
    released_buffers_.push_back(buffer);
    released_.push_back(piece);
    Packet& out = released_.back();
    apply_action(action, piece_meta, *program_, source, out);
    count(out, piece_meta, -1, out_index(out), 0, false);
  }
  const size_t written = packet::write_ipv4_fragment(ip, meta.l3_size, whole, 0, first_size);
  packet::PacketMeta first_meta = meta;
  first_meta.l3_size = uint16_t(written);
  first_meta.fragment.is_fragment = true;
  first_meta.fragment.more_fragments = true;
  apply_action(action, first_meta, *program_, source, p);
}

}  // namespace openvpc::dataplane
