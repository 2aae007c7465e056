// pipeline_shaper.cc — the Pipeline's outbound bandwidth queues (pipeline.h, eni_allowance.h):
// an encapsulated packet an ENI's bandwidth bucket cannot pay for yet waits in the ENI's
// FairQueue, copied into queue_pool_, and leaves through released() once its turn comes and
// the bucket pays for it.
//
// Like held fragments (pipeline_fragments.cc): the copy is the only cost, on the shaped path
// alone; released_queue_buffers_ gives each released packet's buffer back on the next
// process(); nothing allocates per packet (a queue is made per ENI a program swap brings).
// Counting: a queued packet counts as held when it arrives (its rx bytes then, and its
// flow-log record as accepted), as encapsulate when it leaves; one dropped from a full queue
// as a drop, bw_out_allowance_exceeded, on its ENI; one CoDel drops as it leaves (codel.h) as
// bw_out_queue_delay, and one it marks CE instead in the ENI's ce_marked.
#include "dataplane/flow_hash.h"
#include "dataplane/pipeline.h"
#include "dataplane/trace_note.h"
#include "packet/ecn.h"

namespace openvpc::dataplane {

void Pipeline::refresh_queues() {
  queue_by_index_.clear();
  if (!allowances_.shapes()) return;
  // An ENI that left: what waits for it is dropped (its encapsulation is still right, but its
  // bucket is gone with its index).
  for (auto& [id, queue] : queues_) {
    if (queue->empty() || (program_ && program_->find_local_eni(id) >= 0)) continue;
    auto counters = eni_counters_.find(id);
    EniCounters* eni = counters == eni_counters_.end() ? nullptr : counters->second.get();
    while (!queue->empty()) {
      drop_queued(queue->drop_longest().handle, eni, DropReason::bw_out_allowance_exceeded);
    }
  }
  if (!program_) return;
  for (const LocalEni& eni : program_->local_enis) {
    auto& slot = queues_[eni.id];
    if (!slot) slot = std::make_unique<FairQueue>(queue_pool_.count());
    queue_by_index_.push_back(slot.get());
  }
}

size_t Pipeline::queued_count(uint32_t eni) const {
  const auto it = queues_.find(eni);
  return it == queues_.end() ? 0 : it->second->size();
}

uint64_t Pipeline::queued_bytes(uint32_t eni) const {
  const auto it = queues_.find(eni);
  return it == queues_.end() ? 0 : it->second->queued_bytes();
}

void Pipeline::drop_queued(uint32_t buffer, EniCounters* eni, DropReason reason) {
  ++counters_.verdicts[size_t(Verdict::drop)];
  ++counters_.drops[size_t(reason)];
  if (eni != nullptr) ++eni->drops[size_t(reason)];
  queue_pool_.release(buffer);
  --queued_;
}

// p (encapsulated, from local ENI in_index) waits for bandwidth. A full queue (the ENI's share
// of packets or of bytes, or the pool) drops the head of its longest sub-queue first, as often
// as it takes; with nothing of its own queued, p itself is dropped.
void Pipeline::shape(Packet& p, const packet::PacketMeta& meta, int32_t in_index, size_t rx_bytes) {
  FairQueue& queue = *queue_by_index_[size_t(in_index)];
  EniCounters* eni = counters_by_index_[size_t(in_index)];
  const uint64_t byte_limit = allowances_.queue_byte_limit();
  if (p.size > queue_pool_.capacity()) {
    note(trace_, "allowance", [] { return std::string("too large to queue: dropped"); });
    return drop_packet(p, DropReason::bw_out_allowance_exceeded);
  }
  while (queue.size() >= config_.bandwidth_queue_slots_per_eni || queue_pool_.free_count() == 0 ||
         queue.queued_bytes() + rx_bytes > byte_limit) {
    const FairQueue::Entry victim = queue.drop_longest();
    if (victim.handle == FairQueue::kNone) {
      note(trace_, "allowance", [] { return std::string("bandwidth queue full: dropped"); });
      return drop_packet(p, DropReason::bw_out_allowance_exceeded);
    }
    drop_queued(victim.handle, eni, DropReason::bw_out_allowance_exceeded);
  }
  const uint32_t buffer = queue_pool_.acquire();
  if (buffer == PacketPool::kNone || p.size > queue_pool_.capacity()) {
    if (buffer != PacketPool::kNone) queue_pool_.release(buffer);
    return drop_packet(p, DropReason::bw_out_allowance_exceeded);
  }
  note(trace_, "allowance", [&] {
    return "over the bandwidth allowance: queued behind " + std::to_string(queue.size()) +
           " packet(s)";
  });
  if (config_.flow_log_sink != nullptr) log_flow(p, meta, in_index, -1);
  const Packet copy = queue_pool_.copy(buffer, {p.data, p.size}, p.in_port);
  Packet& queued = queued_packets_[buffer];
  queued = p;
  queued.data = copy.data;
  queued.headroom = copy.headroom;
  queued.capacity = copy.capacity;
  queue.push(buffer, uint32_t(rx_bytes), flow_worker_hash(meta.tuple), now_ns_);
  ++queued_;
  p.verdict = Verdict::held;
  p.drop_reason = DropReason::none;
  p.out_port = Port{};
}

// Each ENI's queue lets go, in DRR order, what its bucket pays for now. CoDel judges a packet
// once, when the bucket can pay for it: one it drops costs no tokens; one it marks (the
// outer header is ECN-capable: RFC 6040 copied the inner ECN there, and the receiving router
// hands CE on to the inner packet) leaves like any other.
void Pipeline::release_queued(uint64_t now_ns) {
  const CodelSettings& codel = config_.bandwidth_queue_codel;
  for (size_t i = 0; i < queue_by_index_.size(); ++i) {
    FairQueue& queue = *queue_by_index_[i];
    while (!queue.empty()) {
      const FairQueue::Entry next = queue.peek();
      if (!allowances_.can_pay_out(int32_t(i), next.bytes, now_ns)) break;
      if (codel.enabled && queue.codel_drops(codel, now_ns)) {
        uint8_t* outer = queued_packets_[next.handle].data;
        EniCounters* eni = counters_by_index_[i];
        if ((outer[1] & packet::kEcnMask) == packet::kEcnNotEct) {
          queue.drop_head();
          drop_queued(next.handle, eni, DropReason::bw_out_queue_delay);
          continue;
        }
        packet::set_ip_ecn(outer, packet::kEcnCe);
        if (eni != nullptr) ++eni->ce_marked;
      }
      allowances_.pay_out(int32_t(i), next.bytes);
      queue.pop();
      --queued_;
      released_queue_buffers_.push_back(next.handle);
      released_.push_back(queued_packets_[next.handle]);
      ++counters_.verdicts[size_t(Verdict::encapsulate)];
    }
  }
}

}  // namespace openvpc::dataplane
