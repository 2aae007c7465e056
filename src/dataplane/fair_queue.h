// fair_queue.h — one ENI's egress queue while it is at its bandwidth allowance: deficit round
// robin over its inner flows (issue 15, "fairness inside the tunnel").
//
// Packets are opaque handles (the pipeline's queue-pool buffers, pipeline_shaper.cc) with a
// cost in bytes and a flow hash (the inner 5-tuple's: the outer header is one flow for the
// whole ENI). Each active flow has a sub-queue of its own, found by its whole 32-bit hash
// among kFlows (first the hash's home slot, then the next free one): fq_codel's hash % buckets
// puts two flows in one sub-queue by chance (1 in 64 here), and a ping sharing the bulk flow's
// sub-queue waits behind its whole backlog — the e2e test read ping p99 51 ms under bulk
// against 0.65 ms idle in one CI run. A queue holds at most 64 packets per ENI (the pipeline's
// bound), so 64 sub-queues nearly always fit every flow that is waiting; but a sub-queue that
// emptied stays on its list until its turn retires it, so now and then none is idle, and a
// new flow then shares its home slot. A shared sub-queue keeps taking every flow whose home
// it is until it goes idle, so that a flow with packets in it never starts a second
// sub-queue and overtakes them (the randomized test caught that reordering). Sub-queues take
// turns, each spending
// up to kQuantum bytes a turn (a flow's deficit may go below zero by one packet, a TSO
// super-frame, and it then sits out turns until its quantum pays the debt back). As in
// fq_codel, a flow that becomes active goes on a "new" list served before the "old" ones: a
// ping or a small request that arrives behind a bulk flow's backlog is next, not behind it.
// A sparse flow — one that empties before it has spent its quantum, like a ping — leaves at
// once, so its next packet is new again (RFC 8290's sparse-flow optimisation). fq_codel would
// let it go round the old list first, but here a turn of a bulk flow can last a whole TSO
// super-frame's worth of tokens (26 ms for 64 KB at 20 Mbit/s), and the ping behind it with
// it: measured, ping p99 under bulk 5.9 ms against 0.7 idle (tests/e2e/test_allowances.py).
// A flow that spends its quantum and still empties moves to the old list (so a flow cannot
// stay new by sending a quantum at a time); an old one that empties leaves.
//
// peek() names the packet DRR serves next without taking it, so the caller can wait for
// tokens to pay for it; a flow that becomes active meanwhile may be named first on the next
// peek(). Bounded by the caller (packets, bytes and pool); drop_longest() makes room by dropping
// the head of the sub-queue holding the most bytes (fq_codel's choice: the bulk flow loses, and
// sees it soonest).
//
// CoDel (codel.h) per sub-queue, as fq_codel has it: push() stamps each packet with the time it
// arrived, codel_drops() judges the packet peek() named as it is about to leave, and
// drop_head() takes it without charging its flow's turn. CoDel's MAXPACKET is one kQuantum
// (codel.h says why). A sub-queue's CoDel state stays with the flow that holds it; a different
// flow taking an idle sub-queue starts afresh.
// Fixed memory chosen at construction; no allocation after it. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/codel.h"

namespace openvpc::dataplane {

class FairQueue {
 public:
  static constexpr size_t kFlows = 64;        // sub-queues, by flow hash
  static constexpr uint32_t kQuantum = 1514;  // bytes a flow may send per turn: one MTU frame
  static constexpr uint32_t kNone = UINT32_MAX;

  // handles: every handle is below it (the pool's buffer count).
  explicit FairQueue(size_t handles);

  struct Entry {
    uint32_t handle = kNone;  // kNone: the queue is empty
    uint32_t bytes = 0;
  };

  // enqueued_ns: when the packet arrived (CoDel's sojourn time counts from it).
  void push(uint32_t handle, uint32_t bytes, uint32_t flow_hash, uint64_t enqueued_ns = 0);
  // The packet DRR serves next (handle kNone when empty); pop() takes it.
  Entry peek();
  void pop();
  // CoDel's verdict on the packet peek() named, leaving at now_ns: true when it is to be
  // dropped (drop_head()) or, ECN-capable, marked CE and sent (pop()).
  bool codel_drops(const CodelSettings& settings, uint64_t now_ns);
  // Takes the packet peek() named without charging its flow's turn (CoDel dropped it).
  Entry drop_head();
  // Drops the head of the longest sub-queue, in bytes, and returns it (handle kNone when
  // empty).
  Entry drop_longest();

  size_t size() const { return size_; }
  uint64_t queued_bytes() const { return queued_bytes_; }  // the packets' bytes, summed
  bool empty() const { return size_ == 0; }

 private:
  enum class State : uint8_t { idle, fresh, old };
  struct Flow {
    uint32_t head = kNone;
    uint32_t tail = kNone;
    uint32_t count = 0;
    uint64_t bytes = 0;  // of its packets
    int64_t deficit = 0;
    uint32_t key = 0;         // the flow hash it holds while not idle
    uint16_t next = kNoFlow;  // in its list
    State state = State::idle;
    bool shared = false;  // holds packets of flows other than `key` (see the header)
    CodelFlow codel;
  };
  struct List {
    uint16_t head = kNoFlow;
    uint16_t tail = kNoFlow;
  };
  static constexpr uint16_t kNoFlow = UINT16_MAX;

  uint16_t sub_queue(uint32_t flow_hash) const;
  void append(List& list, uint16_t flow);
  uint16_t pop_front(List& list);
  Entry take_head(Flow& flow);
  List& serving();  // the list whose head flow's packet peek() named

  std::array<Flow, kFlows> flows_{};
  List fresh_;
  List old_;
  std::vector<uint32_t> next_;         // by handle: the next packet of its sub-queue
  std::vector<uint32_t> bytes_;        // by handle
  std::vector<uint64_t> enqueued_ns_;  // by handle
  size_t size_ = 0;
  uint64_t queued_bytes_ = 0;
};

}  // namespace openvpc::dataplane
