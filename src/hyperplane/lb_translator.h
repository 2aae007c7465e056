// lb_translator.h — a hyperplane node's packet work for its network load balancers.
//
// Packets come in on the underlay Geneve-encapsulated (VNI = the load balancer's VPC,
// destination ENI = one of its interfaces, no from-hyperplane flag) and leave re-encapsulated
// with the flag (the target's router then sends that connection's replies back to this
// shard). A packet to an interface is, by its inner destination:
//   the interface's address and a listener's port (protocol matching: a TCP listener takes
//   TCP, UDP takes UDP, TCP_UDP both) — client -> load balancer: the flow (lb_table.h) by
//     (load balancer, protocol, client, listener), else a new one: a TCP SYN (other TCP gets an
//     RST back, except within kSyncSeconds of joining the shard: sync_pending) or any UDP
//     datagram; its target is picked by the listener's target group's Maglev table over its
//     selectable targets (healthy and not draining; none healthy: every non-draining one, fail
//     open; none: dropped as no_target), hashed on the 5-tuple (stickiness: the client
//     address). The destination is rewritten to the target (the client's address is kept) and
//     the packet sent to the target's underlay: source ENI = the interface, destination ENI =
//     the target's, flag from-hyperplane.
//   the interface's address otherwise — a health check's reply: handed to the ProbeSink (no
//     sink: dropped as no_prober).
//   anything else — target -> client reply: the flow by (load balancer, protocol, target,
//     client), whose target must still be in the program with that source ENI (else forged /
//     target_gone); the source is rewritten back to the listener and the packet sent to the
//     client's underlay and ENI the flow recorded.
// A flow whose target left the program (its deregistration delay ended) is reset by reap(): an
// RST from the listener to the client and one from the client to the target, then erased. A
// draining target keeps its flows. TSO super-frames are rewritten whole. No allocation, lock,
// exception or system call per packet (health changes rebuild a Maglev table: control rate);
// not thread-safe (one per loop thread).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/packet_batch.h"
#include "hyperplane/lb_table.h"
#include "hyperplane/maglev.h"
#include "packet/parser.h"

namespace openvpc::hyperplane {

// Why the load balancer path dropped a packet. One descriptor: names in lb_translator.cc.
enum class LbDrop : uint8_t {
  none,
  malformed,      // (process() only) no parse, no Geneve/VPC option, IPv6, bad GSO
  unknown_lb,     // (process() only) no interface of this node's load balancers
  bad_direction,  // the from-hyperplane flag, or no source ENI, not from a live edge node
  no_listener,    // from an edge node, for a port no listener serves
  unsupported,    // not TCP/UDP, or a fragment
  no_target,      // a new flow, and the target group has no non-draining target
  sync_pending,   // TCP without a flow just after joining the shard: no RST yet
  table_full,     // no room for a flow (or its target side key is taken)
  no_flow,        // a reply matching no flow
  forged,         // a flow's packet from another ENI than the flow's client or target
  target_gone,    // the flow's target left the program (reap() resets it)
  no_prober,      // a packet for the health prober, and none is attached
  encapsulation,  // no headroom, or too big
  count_,
};
inline constexpr size_t kLbDropCount = size_t(LbDrop::count_);
std::string_view to_string(LbDrop drop);

enum class LbEvent : uint8_t {
  to_target,          // client -> target forwarded
  to_client,          // target -> client forwarded
  reset_sent,         // an RST answered a client's TCP packet without a flow
  target_gone_reset,  // a flow reset because its target left (two RSTs)
  probe_reply,        // handed to the prober
  health_rebuild,     // a target group's Maglev table rebuilt for a health change
  count_,
};
inline constexpr size_t kLbEventCount = size_t(LbEvent::count_);
std::string_view to_string(LbEvent event);

struct LbNodeCounters {
  std::array<uint64_t, kLbDropCount> drops{};
  std::array<uint64_t, kLbEventCount> events{};
};

// The health prober's way in (hyperplane/health_prober.h implements it): packets to a load
// balancer interface's address on a port no listener serves are replies to its probes (it
// connects from the interface address). Called on the loop thread; the packet is dropped after
// (the prober sends what it needs on its own).
struct ProbeSink {
  virtual ~ProbeSink() = default;
  // `inner` is the inner IPv4 packet (meta's offsets are from the outer header: inner starts at
  // meta.l3_offset); lb_number / interface_eni say which load balancer interface it came to.
  virtual void on_probe_reply(const packet::PacketMeta& meta, std::span<const uint8_t> inner,
                              uint32_t lb_number, uint32_t interface_eni, uint32_t now) = 0;
};

// The compiled load balancers (node_program.h fills it; set_config takes it).
enum class LbProtocol : uint8_t { tcp, udp, tcp_udp };

struct LbTarget {
  uint32_t address = 0;
  uint16_t port = 0;
  uint32_t eni = 0;
  uint32_t underlay = 0;
  bool draining = false;
  bool healthy = true;  // the health input; initial counts as healthy
};

struct LbTargetGroup {
  uint32_t id = 0;
  bool stickiness = false;
  std::vector<LbTarget> targets;  // sorted by (address, port)
  // Maglev over the selectable targets: maglev.lookup(hash) indexes `selectable`, whose
  // entries index `targets`.
  std::vector<uint16_t> selectable;
  MaglevTable maglev;
};

struct LbListener {
  uint16_t port = 0;
  LbProtocol protocol = LbProtocol::tcp;
  uint16_t group = 0;  // index into NodeLoadBalancer::groups
};

struct LbInterface {
  uint32_t eni = 0;
  uint32_t address = 0;  // host order
};

// One load balancer as this node carries it; LbConfig::lbs[i] is LbTable index i.
struct NodeLoadBalancer {
  uint32_t number = 0;
  uint32_t vni = 0;
  uint32_t joined_at = 0;  // seconds (table clock): when this node joined its shard
  std::vector<LbInterface> interfaces;
  std::vector<LbListener> listeners;
  std::vector<LbTargetGroup> groups;  // sorted by id
};

struct LbConfig {
  uint32_t underlay_v4 = 0;
  std::vector<NodeLoadBalancer> lbs;
  // The live edge nodes, sorted: an internet-facing load balancer's clients come through them
  // (source ENI 0, the from-hyperplane flag), and its replies go back to the one that sent.
  std::vector<uint32_t> edge_nodes;
};

// Fills group.selectable and group.maglev from the targets' health and draining (control
// path: allocates). Returns whether the selectable set changed.
bool rebuild_selection(LbTargetGroup& group);

class LbTranslator {
 public:
  explicit LbTranslator(LbTable& table) : table_(table) {}

  // Control path (allocates): call after LbTable::set_load_balancers with the same order.
  // Targets keep the health they had (matched by load balancer, group id, address, port);
  // groups whose selectable set differs from the compiled one are rebuilt.
  void set_config(LbConfig config);
  const LbConfig& config() const { return config_; }
  void set_probe_sink(ProbeSink* sink) { probe_ = sink; }

  // The health input (the prober, on the loop thread): sets every matching target's state and
  // rebuilds its group's Maglev table when the selectable set changes. False when no target
  // matched.
  bool on_health(uint32_t target_group_id, uint32_t address, uint16_t port, bool healthy);

  // True when (vni, destination ENI) is one of this node's load balancer interfaces.
  bool owns(uint32_t vni, uint32_t eni) const;
  // One packet the NAT translator's classify parsed (Geneve, VPC option, IPv4, GSO taken)
  // whose (VNI, destination ENI) owns() says is ours: sets its verdict.
  void handle(dataplane::Packet& p, const packet::PacketMeta& meta, uint32_t now);
  // Batch prefetching (the NAT translator's pass): the packet's flow key hash in the index its
  // direction uses (*target), or 0; then prefetch_flow with it; then handle.
  uint64_t prefetch_index(const packet::PacketMeta& meta, bool* target) const;
  void prefetch_flow(uint64_t hash, bool target) const {
    if (hash != 0) table_.prefetch_flow(hash, target);
  }
  // Standalone (tests, bench): parses each packet and handles it; unknown interfaces drop.
  void process(dataplane::PacketBatch batch, uint32_t now);

  // Retires idle flows and resets flows whose target left, scanning up to `budget` flow slots:
  // each reset writes two RST packets into `out` (buffers with headroom, as received packets;
  // their verdict set to encapsulate). Returns how many packets of `out` were written.
  size_t reap(uint32_t now, size_t budget, std::span<dataplane::Packet> out);

  const LbNodeCounters& counters() const { return counters_; }

 private:
  const LbTarget* find_target(const NodeLoadBalancer& lb, uint32_t address, uint16_t port) const;
  // The load balancer index and interface of (VNI, destination ENI); nullptr when none.
  const LbInterface* find_interface(uint32_t vni, uint32_t eni, uint16_t* index) const;
  void to_target(dataplane::Packet& p, const packet::PacketMeta& meta, uint16_t lb,
                 const LbInterface& itf, const LbListener& listener, uint32_t now);
  void to_client(dataplane::Packet& p, const packet::PacketMeta& meta, uint16_t lb,
                 const LbInterface& itf, uint32_t now);
  void reset_client(dataplane::Packet& p, const packet::PacketMeta& meta,
                    const NodeLoadBalancer& lb);
  void send(dataplane::Packet& p, const packet::PacketMeta& meta, uint32_t to, uint32_t vni,
            uint32_t source_eni, uint32_t destination_eni);
  bool write_reset(dataplane::Packet& p, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                   uint32_t seq, uint32_t to, uint32_t vni, uint32_t source_eni,
                   uint32_t destination_eni);
  void update_host_counts(uint16_t lb);
  void drop(dataplane::Packet& p, LbDrop reason);

  LbTable& table_;
  LbConfig config_;
  ProbeSink* probe_ = nullptr;
  LbNodeCounters counters_;
};

}  // namespace openvpc::hyperplane
