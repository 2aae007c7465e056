// lb_table.h — a network load balancer's flows on one hyperplane node: client <-> target.
//
// Elastic Load Balancing's network load balancer keeps a connection on the target it picked
// first. One LbTable per loop thread holds the flows of every load balancer placed on the node
// (its own, and peers' replicas, flow_replication.h ops 3 / 4). A flow is found two ways:
//   by its client side: (load balancer, protocol, client address/port, listener address/port),
//     the key of a client's packet to a listener;
//   by its target side: (load balancer, protocol, target address/port, client address/port),
//     the key of a target's reply.
// The table knows nothing of packets: the translator (lb_translator.h) parses, picks targets
// and rewrites; this file keeps the flows, their idle clocks, TCP close tracking, the
// per-load-balancer counters (Amazon's CloudWatch names, one descriptor) and the replication
// journal.
//
// Idle timeouts: TCP 350 s, UDP 120 s (Amazon's NLB), a TCP flow closed by FIN from both sides
// 10 s; one reset by RST goes at once (erase()). A replica flow is used like an own one as
// soon as traffic for it arrives (the router moved the client's slot to this node after its
// owner died): touch() makes it this node's own flow (counted, journaled, refreshed).
//
// Memory is fixed at construction: a flow array with a free list and two open-addressing
// indexes (linear probing, backward-shift deletion), as nat_table.h and for the same reason:
// a flow is never evicted to make room (that would move a live connection to another target).
// No allocation, lock or exception per packet; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hyperplane/flow_index.h"

namespace openvpc::hyperplane {

// Per load balancer metrics, named as Amazon's CloudWatch names them (AWS/NetworkELB). One
// descriptor: the order here is the order of the names in lb_table.cc.
enum class LbMetric : uint8_t {
  ActiveFlowCount,         // gauge: this node's own flows
  NewFlowCount,            // flows created here
  ProcessedBytes,          // inner IP bytes, both directions
  HealthyHostCount,        // gauge: set by the translator from the health input
  UnHealthyHostCount,      // gauge
  TCP_Client_Reset_Count,  // RSTs the clients sent
  TCP_Target_Reset_Count,  // RSTs the targets sent
  count_,
};
inline constexpr size_t kLbMetricCount = size_t(LbMetric::count_);
std::string_view to_string(LbMetric metric);
bool is_gauge(LbMetric metric);
// "openvpc_load_balancer_" + the name in snake case, "_total" after a counter's
// (ActiveFlowCount -> openvpc_load_balancer_active_flow_count, TCP_Client_Reset_Count ->
// openvpc_load_balancer_tcp_client_reset_count_total), labelled load_balancer.
std::string metric_family(LbMetric metric);

using LbCounters = std::array<uint64_t, kLbMetricCount>;

// A flow as the table holds it. Host order. Replication carries lb's number, protocol,
// tcp_state, the three (address, port) pairs, client_underlay and client_eni.
struct LbFlow {
  uint32_t client_address = 0;
  uint32_t target_address = 0;
  uint32_t listener_address = 0;
  uint16_t client_port = 0;
  uint16_t target_port = 0;
  uint16_t listener_port = 0;
  uint8_t protocol = 0;        // TCP or UDP
  uint8_t tcp_state = 0;       // LbTable::TcpState bits
  uint16_t lb = 0;             // local index (replication carries the load balancer's number)
  uint8_t replica = 0;         // 1: a peer's flow, not yet used here
  uint32_t last_seen = 0;      // seconds
  uint32_t replicated_at = 0;  // seconds: when this node last journaled it
  // Where the client lives: the outer source (router underlay) and source ENI of the packet
  // that created the flow; a reply is sent there.
  uint32_t client_underlay = 0;
  uint32_t client_eni = 0;
  // The last acknowledgment number each side sent (TCP): the sequence number an RST to that
  // side must carry to be accepted. Local only (not replicated).
  uint32_t client_ack = 0;
  uint32_t target_ack = 0;
  // The target's host and ENI when this node last forwarded to it (local only): where the
  // target's RST goes once the target has left the program.
  uint32_t target_underlay = 0;
  uint32_t target_eni = 0;
};

struct LbJournalEntry {
  LbFlow flow;
  uint32_t lb_number = 0;
  bool retired = false;
};

enum class LbReplicaResult : uint8_t {
  inserted,
  refreshed,
  erased,
  not_found,
  unknown_lb,
  conflict,  // a different flow holds one of its keys
  table_full,
  count_,
};
std::string_view to_string(LbReplicaResult result);

struct LbTimeouts {
  uint32_t tcp_seconds = 350;
  uint32_t udp_seconds = 120;
  uint32_t closed_seconds = 10;
};

class LbTable {
 public:
  static constexpr uint32_t kNone = FlowIndex::kNone;
  enum TcpState : uint8_t { kFinClient = 1, kFinTarget = 2 };

  LbTable(size_t max_flows, LbTimeouts timeouts = {}, size_t journal_capacity = 4096);

  // Replaces the load balancers by number (control path: allocates); index i is numbers[i].
  // Flows and counters follow their load balancer's number; flows of one that left go
  // (unjournaled: the peers drop theirs on their own program).
  void set_load_balancers(std::span<const uint32_t> numbers);
  size_t lb_count() const { return lbs_.size(); }
  uint32_t lb_number(uint16_t lb) const { return lbs_[lb].number; }

  // Lookups: the flow's id, or kNone.
  uint32_t find_client(uint16_t lb, uint8_t protocol, uint32_t client_address, uint16_t client_port,
                       uint32_t listener_address, uint16_t listener_port) const;
  uint32_t find_target(uint16_t lb, uint8_t protocol, uint32_t target_address, uint16_t target_port,
                       uint32_t client_address, uint16_t client_port) const;
  // Batch prefetching (as NatTable's): the hash of a key — (lb, protocol, source address/port,
  // destination address/port) of a packet is its client-side key when it comes from the client
  // and its target-side key when it comes from the target — then its index slot, then the flow.
  static uint64_t hash_key(uint16_t lb, uint8_t protocol, uint32_t a, uint16_t a_port, uint32_t b,
                           uint16_t b_port);
  void prefetch_index(uint64_t hash, bool target) const {
    (target ? by_target_ : by_client_).prefetch(hash);
  }
  void prefetch_flow(uint64_t hash, bool target) const {
    const uint32_t id = (target ? by_target_ : by_client_).first(hash);
    if (id != kNone) __builtin_prefetch(&flows_[id]);
  }
  LbFlow& flow(uint32_t id) { return flows_[id]; }
  const LbFlow& flow(uint32_t id) const { return flows_[id]; }

  // A new own flow (flow.lb set); kNone when the table is full or a key is taken.
  uint32_t create(const LbFlow& flow, uint32_t now);
  // A packet of the flow: restarts its idle clock, adds bytes, tracks FIN (from_client says
  // which side sent it), and makes a replica this node's own. False when the flow had idled
  // out (it is retired then: the caller treats the packet as flowless).
  bool touch(uint32_t id, uint32_t now, uint32_t bytes, uint8_t tcp_flags, bool from_client);
  // Retires the flow (an RST crossed it, or its target left): journaled when it is own.
  void erase(uint32_t id);

  // Replication: a peer's flow of the load balancer numbered lb_number.
  LbReplicaResult insert_replica(uint32_t lb_number, const LbFlow& flow, uint32_t now);
  LbReplicaResult erase_replica(uint32_t lb_number, const LbFlow& flow);
  std::span<const LbJournalEntry> journal() const { return journal_; }
  void clear_journal() { journal_.clear(); }
  uint64_t journal_overflows() const { return journal_overflows_; }

  // Retires up to `budget` slots' idle flows (a sweep resuming where it stopped) and re-journals
  // own flows that saw traffic since last sent (at most every timeout / 4); calls
  // visit(id, flow) for every live flow it passes that it did not retire, so the caller can
  // reset flows whose target left. Returns the number retired.
  template <typename Visit>
  size_t expire(uint32_t now, size_t budget, Visit&& visit) {
    size_t retired = 0;
    for (; budget > 0 && !flows_.empty(); --budget) {
      if (sweep_ >= flows_.size()) sweep_ = 0;
      const uint32_t id = uint32_t(sweep_++);
      if (!live_[id]) continue;
      if (idle(flows_[id], now)) {
        retire(id);
        ++retired;
        continue;
      }
      refresh(id, now);
      visit(id, flows_[id]);
    }
    return retired;
  }
  size_t expire(uint32_t now, size_t budget) {
    return expire(now, budget, [](uint32_t, const LbFlow&) {});
  }
  // Visits up to `budget` slots of load balancer `lb` from *cursor on (bulk sync).
  template <typename Visit>
  bool scan(uint16_t lb, size_t* cursor, size_t budget, Visit&& visit) const {
    for (; budget > 0 && *cursor < flows_.size(); --budget, ++*cursor) {
      if (live_[*cursor] && flows_[*cursor].lb == lb) visit(flows_[*cursor]);
    }
    return *cursor < flows_.size();
  }

  size_t flows() const { return count_; }
  size_t replica_flows() const { return replicas_; }
  size_t capacity() const { return flows_.size(); }
  const LbCounters& counters(uint16_t lb) const { return lbs_[lb].counters; }
  LbCounters& counters(uint16_t lb) { return lbs_[lb].counters; }
  uint32_t timeout(const LbFlow& flow) const;

 private:
  struct Lb {
    uint32_t number = 0;
    LbCounters counters{};
  };
  static uint64_t client_hash(const LbFlow& f);
  static uint64_t target_hash(const LbFlow& f);
  static bool same_client(const LbFlow& a, const LbFlow& b);
  static bool same_target(const LbFlow& a, const LbFlow& b);
  uint32_t find(const LbFlow& probe, bool target) const;
  void index(uint32_t id);              // under both keys
  void unindex(uint32_t id);            // from both indexes
  uint32_t insert(const LbFlow& flow);  // kNone when full or a key is taken
  void retire(uint32_t id);
  void record(const LbFlow& flow, bool retired);
  void refresh(uint32_t id, uint32_t now);
  bool idle(const LbFlow& flow, uint32_t now) const { return now - flow.last_seen > timeout(flow); }
  std::optional<uint16_t> lb_by_number(uint32_t number) const;

  LbTimeouts timeouts_;
  std::vector<Lb> lbs_;
  std::vector<LbFlow> flows_;
  std::vector<uint8_t> live_;
  std::vector<uint32_t> free_;
  size_t count_ = 0;
  size_t replicas_ = 0;
  size_t sweep_ = 0;
  std::vector<LbJournalEntry> journal_;
  size_t journal_capacity_ = 0;
  uint64_t journal_overflows_ = 0;
  FlowIndex by_client_, by_target_;
};

}  // namespace openvpc::hyperplane
