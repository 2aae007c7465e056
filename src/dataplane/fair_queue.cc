#include "dataplane/fair_queue.h"

#include <cassert>

namespace openvpc::dataplane {

FairQueue::FairQueue(size_t handles)
    : next_(handles, kNone), bytes_(handles, 0), enqueued_ns_(handles, 0) {}

void FairQueue::append(List& list, uint16_t flow) {
  flows_[flow].next = kNoFlow;
  if (list.tail == kNoFlow) {
    list.head = flow;
  } else {
    flows_[list.tail].next = flow;
  }
  list.tail = flow;
}

uint16_t FairQueue::pop_front(List& list) {
  const uint16_t flow = list.head;
  list.head = flows_[flow].next;
  if (list.head == kNoFlow) list.tail = kNoFlow;
  flows_[flow].next = kNoFlow;
  return flow;
}

// The flow's own sub-queue: the active one holding its hash, else its home slot while that is
// shared (its packets may be there), else the first idle one from its home slot on, else
// (every sub-queue busy with another flow) the home slot, shared. At most kFlows comparisons,
// on the shaped path only, beside the packet copy it already makes.
uint16_t FairQueue::sub_queue(uint32_t flow_hash) const {
  const size_t home = flow_hash % kFlows;
  size_t idle = kFlows;
  for (size_t i = 0; i < kFlows; ++i) {
    const size_t at = (home + i) % kFlows;
    const Flow& flow = flows_[at];
    if (flow.state != State::idle) {
      if (flow.key == flow_hash) return uint16_t(at);
    } else if (idle == kFlows) {
      idle = at;
    }
  }
  if (flows_[home].shared && flows_[home].state != State::idle) return uint16_t(home);
  return uint16_t(idle != kFlows ? idle : home);
}

void FairQueue::push(uint32_t handle, uint32_t bytes, uint32_t flow_hash, uint64_t enqueued_ns) {
  assert(handle < next_.size());
  const uint16_t index = sub_queue(flow_hash);
  Flow& flow = flows_[index];
  next_[handle] = kNone;
  bytes_[handle] = bytes;
  enqueued_ns_[handle] = enqueued_ns;
  if (flow.tail == kNone) {
    flow.head = handle;
  } else {
    next_[flow.tail] = handle;
  }
  flow.tail = handle;
  ++flow.count;
  flow.bytes += bytes;
  ++size_;
  queued_bytes_ += bytes;
  if (flow.state != State::idle) {
    if (flow.key != flow_hash) flow.shared = true;
  } else {
    if (flow.key != flow_hash) flow.codel = {};
    flow.shared = false;
    flow.key = flow_hash;
    flow.state = State::fresh;
    flow.deficit = kQuantum;
    append(fresh_, index);
  }
}

FairQueue::Entry FairQueue::peek() {
  // Each pass either returns or moves one flow (a turn's quantum, or an empty flow leaving
  // the new list / going idle): it ends, since some flow holds a packet and each turn pays
  // a quantum towards its debt.
  while (size_ != 0) {
    const bool from_fresh = fresh_.head != kNoFlow;
    List& list = from_fresh ? fresh_ : old_;
    const uint16_t index = list.head;
    Flow& flow = flows_[index];
    if (flow.deficit <= 0) {
      flow.deficit += kQuantum;
      flow.state = State::old;
      append(old_, pop_front(list));
      continue;
    }
    if (flow.count == 0) {
      pop_front(list);
      if (from_fresh && old_.head != kNoFlow) {
        flow.state = State::old;
        append(old_, index);
      } else {
        flow.state = State::idle;
      }
      continue;
    }
    return {flow.head, bytes_[flow.head]};
  }
  return {};
}

FairQueue::Entry FairQueue::take_head(Flow& flow) {
  const Entry e{flow.head, bytes_[flow.head]};
  flow.head = next_[e.handle];
  if (flow.head == kNone) flow.tail = kNone;
  --flow.count;
  flow.bytes -= e.bytes;
  --size_;
  queued_bytes_ -= e.bytes;
  return e;
}

FairQueue::List& FairQueue::serving() {
  return fresh_.head != kNoFlow ? fresh_ : old_;
}

bool FairQueue::codel_drops(const CodelSettings& settings, uint64_t now_ns) {
  Flow& flow = flows_[serving().head];
  assert(flow.count != 0 && flow.deficit > 0);
  const uint32_t head = flow.head;
  const uint64_t enqueued = enqueued_ns_[head];
  const uint64_t sojourn = now_ns > enqueued ? now_ns - enqueued : 0;
  const bool small_backlog = flow.bytes - bytes_[head] <= kQuantum;
  return dataplane::codel_drops(flow.codel, settings, now_ns, sojourn, small_backlog);
}

FairQueue::Entry FairQueue::drop_head() {
  Flow& flow = flows_[serving().head];
  assert(flow.count != 0);
  // Its flow stays on its list, possibly empty: peek() retires it in turn.
  return take_head(flow);
}

void FairQueue::pop() {
  List& list = serving();
  Flow& flow = flows_[list.head];
  assert(flow.count != 0 && flow.deficit > 0);
  flow.deficit -= take_head(flow).bytes;
  if (flow.count == 0 && flow.deficit > 0) {  // sparse: its next packet is new again
    pop_front(list);
    flow.state = State::idle;
  }
}

FairQueue::Entry FairQueue::drop_longest() {
  if (size_ == 0) return {};
  Flow* longest = &flows_[0];
  for (Flow& flow : flows_) {
    if (flow.bytes > longest->bytes) longest = &flow;
  }
  // Its flow stays on its list, possibly empty: peek() retires it in turn.
  return take_head(*longest);
}

}  // namespace openvpc::dataplane
