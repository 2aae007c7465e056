// nat_table.h — a NAT gateway's translations on one hyperplane node: address and port, stateful.
//
// Amazon's NAT gateway (../shared/REFERENCE.md): a flow from inside (an instance behind the
// gateway, "source") to the world ("destination") leaves with the gateway's private address and
// a source port of its own; the reply comes back to that (address, port) and is translated back;
// nothing unsolicited gets in. One NatTable per worker thread of a node holds the flows of every
// NAT gateway placed on the node. The caller (the node's worker) has already taken the packet
// out of its Geneve encapsulation and knows which gateway it is for; NatTable rewrites the inner
// IPv4 packet in place (dataplane/nat_rewrite.h) and says what to do with it.
//
//   translate_out: TCP, UDP, ICMP echo (the echo id stands for the port). A flow's first packet
//     (TCP SYN, any UDP datagram, an echo request) takes a port from the gateway's PortAllocator
//     for the slots this node owns (port_space.h: the port names the owner, so the reply reaches
//     it); at the 55,000-per-destination cap, or with the table full, the packet is dropped and
//     ErrorPortAllocation counts it. A TCP packet other than a SYN with no flow — the flow idled
//     out, or never was — gets `reset`: the caller answers the instance with an RST, as Amazon
//     does after its 350 s idle timeout.
//   translate_in: a reply to a known flow, or an ICMP error quoting one (translated through the
//     quote); anything else is unsolicited and dropped.
//
// Flows idle for longer than the timeout (350 s by default; a TCP flow closed by FIN from both
// sides lingers `closed_timeout`, one reset by RST goes at once) free their port; expire() does
// that a bounded number of flows at a time, and a packet that meets an idle flow retires it.
// Later IPv4 fragments carry no port and are refused here (`fragment`): the node translates them
// as their first fragment was (nat_fragments.h) and only counts them here (count_fragment).
//
// Replication (flow_replication.h, replicator.h): the flows a node creates and retires go to a
// journal the node drains after each batch and sends to the gateway's other shard nodes, which
// insert them as replicas (insert_replica: the port is claimed, the flow translates both ways
// like a local one, but is not counted in ActiveConnectionCount nor journaled again). When a
// node takes over a dead slot's range (set_gateways), the replicas in it become its own flows.
// The outside key includes the gateway: two gateways (in two VPCs) may share a private address.
//
// Memory is fixed at construction: a flow array with a free list and two open-addressing
// indexes (by inside tuple and by outside tuple, linear probing, backward-shift deletion) —
// written here rather than reusing dataplane::BucketTable because a NAT flow must never be
// evicted to make room: that would silently break a connection and leak its port. No
// allocation, lock or exception per packet; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hyperplane/flow_index.h"
#include "hyperplane/port_space.h"
#include "packet/parser.h"

namespace openvpc::hyperplane {

// Per NAT gateway metrics, named as Amazon's CloudWatch names them. One descriptor: the order
// here is the order of kNatMetricNames.
enum class NatMetric : uint8_t {
  ActiveConnectionCount,  // gauge: flows in the table
  ConnectionAttemptCount,
  ConnectionEstablishedCount,
  ErrorPortAllocation,
  IdleTimeoutCount,
  PacketsDropCount,
  BytesInFromSource,
  BytesInFromDestination,
  BytesOutToSource,
  BytesOutToDestination,
  PacketsInFromSource,
  PacketsInFromDestination,
  PacketsOutToSource,
  PacketsOutToDestination,
  count_,
};
inline constexpr size_t kNatMetricCount = size_t(NatMetric::count_);
std::string_view to_string(NatMetric metric);
bool is_gauge(NatMetric metric);
// The Prometheus family a metric is shown as, on a node and summed by the controller:
// "openvpc_nat_gateway_" + the name in snake case, "_total" after a counter's
// (ActiveConnectionCount -> openvpc_nat_gateway_active_connection_count, ErrorPortAllocation ->
// openvpc_nat_gateway_error_port_allocation_total), labelled nat_gateway_id.
std::string metric_family(NatMetric metric);

using NatGatewayCounters = std::array<uint64_t, kNatMetricCount>;

// What happened to one packet.
enum class NatVerdict : uint8_t {
  translated,       // rewritten in place: forward it
  reset,            // TCP without a flow from inside: answer the instance with an RST
  port_allocation,  // dropped: no port left for this destination (ErrorPortAllocation)
  table_full,       // dropped: no room for another flow
  unsolicited,      // dropped: from outside, matching no flow
  untranslatable,   // dropped: not IPv4 TCP/UDP/ICMP echo (or an ICMP error without a flow)
  fragment,         // dropped: a later fragment (no port to translate)
  unknown_gateway,  // dropped: the gateway index names no gateway of this table
};
std::string_view to_string(NatVerdict verdict);

// One NAT gateway as this node carries it.
struct NatGatewayConfig {
  uint32_t number = 0;              // the gateway's program number: its identity across updates
  std::vector<uint32_t> addresses;  // host order; the primary first (EC2: up to 8)
  std::vector<PortRange> ranges;    // the port ranges of the shard slots this node owns
  uint32_t cap_per_range = kMaxConnectionsPerDestination;  // slot_cap() of each owned slot
};

struct NatTimeouts {
  uint32_t idle_seconds = 350;   // Amazon's NAT gateway idle timeout
  uint32_t closed_seconds = 10;  // after FIN from both sides
};

// A flow as the table holds it (and as replication carries it). Host order.
struct NatFlow {
  uint32_t inside_address = 0;
  uint32_t remote_address = 0;
  uint32_t nat_address = 0;
  uint16_t inside_port = 0;  // echo id for ICMP
  uint16_t remote_port = 0;  // 0 for ICMP
  uint16_t nat_port = 0;
  uint8_t protocol = 0;
  uint8_t tcp_state = 0;   // internal (NatTable::TcpState)
  uint16_t gateway = 0;    // local index (replication carries the gateway's number instead)
  uint8_t replica = 0;     // 1: its port is in a range another node owns (a peer's flow)
  uint32_t last_seen = 0;  // seconds
  // Where the inside lives: the outer source (router underlay) and source ENI of the packet
  // that created the flow, so a reply is sent back without any VPC mapping.
  uint32_t inside_underlay = 0;
  uint32_t inside_eni = 0;
  uint32_t replicated_at = 0;  // seconds: when the owner last sent it to its peers
};

// A flow created or retired by this node's own traffic, for replication to the shard.
struct NatJournalEntry {
  NatFlow flow;
  uint32_t gateway_number = 0;
  bool retired = false;  // false: created, or refreshed (it saw traffic since last sent)
};

// What insert_replica / erase_replica did.
enum class ReplicaResult : uint8_t {
  inserted,
  refreshed,  // already there: its idle clock restarts
  erased,
  not_found,        // erase of a flow the table does not hold
  unknown_gateway,  // no gateway of that number on this node
  foreign_address,  // the NAT address is not the gateway's
  port_conflict,    // the (NAT address, port, destination) is in use by another flow
  table_full,
  count_,
};
inline constexpr size_t kReplicaResultCount = size_t(ReplicaResult::count_);
std::string_view to_string(ReplicaResult result);

class NatTable {
 public:
  // journal_capacity: created/retired flows held until the caller drains the journal (a
  // full journal drops the entry and counts it in journal_overflows()).
  NatTable(size_t max_flows, NatTimeouts timeouts = {}, size_t journal_capacity = 4096);

  // Replaces the gateways (control path: allocates); gateway i of translate_out is
  // gateways[i]. A flow keeps its port and its gateway's counters follow it (matched by
  // number) while its gateway still has its NAT address; a flow whose port is in a range this
  // node no longer owns stays as a replica (the range's new owner is sent it); other flows
  // are dropped.
  void set_gateways(std::vector<NatGatewayConfig> gateways);
  size_t gateway_count() const { return gateways_.size(); }

  // `packet` is the inner IPv4 packet's buffer and `meta` its parse (offsets from its start).
  // A flow created here records inside_underlay / inside_eni (where replies go).
  // partial_l4_checksum: a TSO super-frame whose TCP checksum field holds the pseudo-header sum
  // (nat_rewrite.h updates it as such).
  NatVerdict translate_out(std::span<uint8_t> packet, const packet::PacketMeta& meta,
                           uint16_t gateway, uint32_t now, uint32_t inside_underlay = 0,
                           uint32_t inside_eni = 0, bool partial_l4_checksum = false);
  // A reply to gateway `gateway`; `translated`, when given, receives the flow it matched.
  NatVerdict translate_in(std::span<uint8_t> packet, const packet::PacketMeta& meta,
                          uint16_t gateway, uint32_t now, NatFlow* translated = nullptr,
                          bool partial_l4_checksum = false);

  // A later fragment the caller translated as its datagram's first fragment was
  // (nat_fragments.h): counted in gateway `gateway`'s metrics as that fragment was.
  void count_fragment(uint16_t gateway, bool from_outside, uint32_t size);

  // Replication (flow_replication.h): a peer's flow of the gateway numbered `gateway_number`
  // (flow.gateway ignored) becomes a replica here, claiming its port, translating both ways
  // like a local flow; erase_replica removes it (matched by its outside tuple).
  ReplicaResult insert_replica(uint32_t gateway_number, const NatFlow& flow, uint32_t now);
  ReplicaResult erase_replica(uint32_t gateway_number, const NatFlow& flow);
  // Flows this node created (or refreshed: expire() re-journals a flow that saw traffic since
  // it was last journaled, at most every idle_timeout/4) or retired, since clear_journal().
  std::span<const NatJournalEntry> journal() const { return journal_; }
  void clear_journal() { journal_.clear(); }
  uint64_t journal_overflows() const { return journal_overflows_; }
  // Visits up to `budget` flow slots of gateway index `gateway` from *cursor on, calling
  // visit(flow) for each live flow; advances *cursor; returns false once the end is reached.
  template <typename Visit>
  bool scan(uint16_t gateway, size_t* cursor, size_t budget, Visit&& visit) const {
    for (; budget > 0 && *cursor < flows_.size(); --budget, ++*cursor) {
      if (live_flags_[*cursor] && flows_[*cursor].gateway == gateway) visit(flows_[*cursor]);
    }
    return *cursor < flows_.size();
  }
  uint32_t gateway_number(uint16_t gateway) const { return gateways_[gateway].config.number; }

  // Prefetching for a batch (the router's flow cache does the same): prefetch_index() for
  // every packet, then prefetch_flow() with the hashes it returned, then translate — the index
  // slot and then the flow are in cache when translate reads them. prefetch_index() returns 0
  // for a packet translate would refuse anyway (pass that 0 on; prefetch_flow is harmless).
  uint64_t prefetch_index(const packet::PacketMeta& meta, bool outside, uint16_t gateway = 0) const;
  void prefetch_flow(uint64_t hash, bool outside) const;

  // Retires up to `budget` flows idle past their timeout (a sweep that resumes where it
  // stopped); returns how many it retired.
  size_t expire(uint32_t now, size_t budget);

  size_t flows() const { return live_; }
  size_t replica_flows() const { return replicas_; }
  const NatGatewayCounters& counters(uint16_t gateway) const { return gateways_[gateway].counters; }
  // The flow translating (gateway, inside tuple), for tests and replication.
  std::optional<NatFlow> find_out(uint16_t gateway, uint32_t inside_address, uint16_t inside_port,
                                  uint32_t remote_address, uint16_t remote_port,
                                  uint8_t protocol) const;

  enum TcpState : uint8_t { kSynSent = 0, kEstablished = 1, kFinInside = 2, kFinOutside = 4 };

 private:
  static constexpr uint32_t kNone = FlowIndex::kNone;
  struct Gateway {
    NatGatewayConfig config;
    std::vector<PortAllocator> allocators;  // one per owned range
    std::vector<PortAllocator> replica;     // the whole port space: other nodes' flows
    NatGatewayCounters counters{};
  };
  // The lookup key of a packet from inside / from outside; false when it has none.
  static bool probe_out(const packet::PacketMeta& meta, uint16_t gateway, NatFlow& probe);
  static bool probe_in(const packet::PacketMeta& meta, NatFlow& probe);
  std::optional<uint16_t> gateway_by_number(uint32_t number) const;
  // Claims the flow's port in its gateway (owned range, else the replica space); sets replica.
  bool claim_port(Gateway& gateway, NatFlow& flow);
  void release_port(Gateway& gateway, const NatFlow& flow);
  uint32_t insert(const NatFlow& flow);  // takes a free slot (caller checked one exists)
  void record(const NatFlow& flow, bool retired);
  static uint64_t out_hash(const NatFlow& f);
  static uint64_t in_hash(const NatFlow& f);
  uint32_t find(const NatFlow& probe, bool outside) const;
  void index(uint32_t flow);    // under both keys
  void unindex(uint32_t flow);  // from both indexes
  std::optional<uint32_t> new_flow(NatFlow& flow, Gateway& gateway, uint32_t hint);
  void retire(uint32_t flow, bool idle);
  bool idle(const NatFlow& flow, uint32_t now) const;
  void track_tcp(NatFlow& flow, uint8_t flags, bool from_inside, Gateway& gateway);
  NatVerdict drop(Gateway* gateway, NatVerdict verdict);

  NatTimeouts timeouts_;
  std::vector<Gateway> gateways_;
  std::vector<NatFlow> flows_;
  std::vector<uint8_t> live_flags_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
  size_t replicas_ = 0;
  std::vector<NatJournalEntry> journal_;  // reserved at construction: never grows past it
  size_t journal_capacity_ = 0;
  uint64_t journal_overflows_ = 0;
  size_t sweep_ = 0;
  FlowIndex by_inside_, by_outside_;
};

}  // namespace openvpc::hyperplane
