// nat_node_translator.h — a hyperplane node's packet work for its NAT gateways, batch by batch.
//
// Packets arrive on the underlay (outer IPv4 / UDP 6081 / Geneve / VPC option / inner IPv4,
// packet/geneve.h) and leave on it, re-encapsulated; NatTable (nat_table.h) translates the
// inner packet in place. The gateway is found by (VNI, destination ENI = the gateway's ENI).
//
//   from an instance's router (source ENI non-zero, no from-hyperplane flag): translate_out,
//     the flow remembering the outer source and the source ENI (where its replies go). A public
//     gateway sends the packet on to an edge node chosen by flow hash (edge_nodes[outer UDP
//     source port % n], as a router picks one for an internet gateway) with source ENI = the
//     gateway's ENI, destination ENI 0 and the from-hyperplane flag; the edge checks that the
//     inner source is a NAT address and the outer source one of the gateway's shard nodes.
//     A private gateway (connectivity type private) routes what it translated by its subnet's
//     local route: straight to the destination's host and interface (NodeConfig::destinations,
//     the VPC's interface addresses; none: no_destination), with source ENI = the gateway's ENI
//     and the from-hyperplane flag (the destination's router accepts that only from a live node
//     of the gateway). TCP without a flow gets an RST back to the instance (tcp_reset.h) —
//     except in the first kSyncSeconds after this node joined the gateway's shard, when a
//     peer's bulk sync of the flow may still be on its way (dropped as sync_pending).
//   from a destination's router to a private gateway (source ENI non-zero, no from-hyperplane
//     flag, the inner destination one of the gateway's addresses): the reply, sent here because
//     this node's slot owns its port (dataplane/nat_shard.h). Its sender must be the interface of
//     its inner source (the outer source and source ENI of that address's mapping; else
//     untrusted_sender); then as from an edge node.
//   from an edge node (source ENI 0, from-hyperplane flag, outer source one of edge_nodes):
//     translate_in, then encapsulated to the flow's inside underlay with destination ENI = its
//     inside ENI, source ENI 0 and the from-hyperplane flag (the router trusts that flag only
//     from hyperplane and edge nodes).
// A packet whose (VNI, destination ENI) is no NAT gateway's but a load balancer interface
// (the attached LbTranslator owns it: lb_translator.h) is handed to it in the same pass, after
// the one parse; its verdict is the LB translator's and its drops are counted there.
// IPv4 fragments, both ways: a first fragment is translated like any packet and remembered;
// a later one (no ports) gets its address rewritten as its first's was and the same outer
// header, to the same edge node or router (nat_fragments.h). The router sends all fragments of
// a datagram to one node (they share the first's flow action), the edge steers them to the node
// of their first fragment (edge/fragment_steering.h).
// Both ways, the gateway's subnet network ACL (NodeConfig::acls, node_acl.h) is checked twice:
// ingress as the packet arrives, egress as it leaves translated (nacl_*_denied drops).
// TSO super-frames (the option's GSO flag) are translated whole, their partial TCP checksum
// updated as such. Every packet leaves process() with a verdict (encapsulate or drop); drops
// are counted by NodeDrop. No allocation, lock, exception or system call per packet; not
// thread-safe (one per loop thread).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/packet_batch.h"
#include "hyperplane/lb_translator.h"
#include "hyperplane/nat_fragments.h"
#include "hyperplane/nat_table.h"
#include "hyperplane/node_acl.h"

namespace openvpc::hyperplane {

// Seconds after joining a gateway's shard during which a TCP packet without a flow is dropped
// rather than reset (the peers' bulk sync may not have arrived yet).
inline constexpr uint32_t kSyncSeconds = 3;

// Why the node dropped a packet. One descriptor: names in nat_node_translator.cc.
enum class NodeDrop : uint8_t {
  none,
  malformed,         // the outer or inner packet does not parse
  not_geneve,        // no Geneve header, or no VPC option
  unsupported,       // inner IPv6, or a GSO super-frame that is not TCP over IPv4
  unknown_gateway,   // no NAT gateway of this node has that (VNI, ENI)
  bad_direction,     // neither from an instance nor from the edge (flags / ENIs)
  not_from_edge,     // edge-shaped, but the outer source is no edge node
  no_destination,    // a private gateway: no interface of its VPC has the destination address
  untrusted_sender,  // a private gateway's reply not from the interface of its inner source
  no_edge_node,      // a public gateway with no edge node up
  sync_pending,      // TCP without a flow just after joining the shard: no RST yet
  port_allocation,   // the NatVerdict drops, by their names (nat_table.h): no port left
  table_full,        //   (ErrorPortAllocation), no room for a flow,
  unsolicited,       //   from outside matching no flow,
  untranslatable,    //   not TCP/UDP/ICMP echo (or an error without a flow),
  fragment,          //   a later fragment whose first one this node did not translate
  no_inside,         // a flow without an inside underlay (cannot happen for a local flow)
  encapsulation,     // no headroom, or too big
  ecn_ce_not_ect,    // the underlay marked CE on a Not-ECT packet (RFC 6040: dataplane/actions.h)
  // The gateway's subnet network ACL (node_acl.h): ingress from the instance or from the
  // internet; egress toward the internet or toward the instance.
  nacl_ingress_denied,
  nacl_egress_denied,
  count_,
};
inline constexpr size_t kNodeDropCount = size_t(NodeDrop::count_);
std::string_view to_string(NodeDrop drop);

// What the node counts besides drops. One descriptor.
enum class NodeEvent : uint8_t {
  translated_out,        // instance -> edge (public) or destination (private)
  translated_in,         // edge or destination -> instance
  reset_sent,            // an RST answered an instance's TCP packet without a flow
  fragments_translated,  // later fragments translated as their first (also in translated_*)
  count_,
};
inline constexpr size_t kNodeEventCount = size_t(NodeEvent::count_);
std::string_view to_string(NodeEvent event);

struct NodeCounters {
  std::array<uint64_t, kNodeDropCount> drops{};
  std::array<uint64_t, kNodeEventCount> events{};
};

// One NAT gateway as the translator sees it; gateways[i] is NatTable gateway i.
struct NodeGateway {
  uint32_t number = 0;
  uint32_t vni = 0;
  uint32_t eni = 0;
  bool is_public = true;
  uint32_t joined_at = 0;           // seconds (NatTable clock): when this node joined its shard
  std::vector<uint32_t> addresses;  // host order (a private gateway's replies are sent to them)
};

// An interface address of a private gateway's VPC and where it lives: what the gateway sends
// translated packets to and whom it accepts replies from. Host order.
struct NodeDestination {
  uint32_t vni = 0;
  uint32_t address = 0;
  uint32_t underlay = 0;
  uint32_t eni = 0;
  uint64_t key() const { return uint64_t{vni} << 32 | address; }
};

struct NodeConfig {
  uint32_t underlay_v4 = 0;          // this node: outer source of what it sends
  std::vector<uint32_t> edge_nodes;  // sorted
  std::vector<NodeGateway> gateways;
  std::vector<NodeDestination> destinations;  // sorted by key(), unique
  // The destination with that key, or nullptr (binary search: no allocation).
  const NodeDestination* find_destination(uint32_t vni, uint32_t address) const;
  // The gateways' subnet network ACLs, indexed as gateways; a gateway past the end has none.
  std::vector<GatewayAcl> acls;
};

class NatNodeTranslator {
 public:
  explicit NatNodeTranslator(NatTable& table) : table_(table) {}

  // Control path (allocates): call with the matching NatTable::set_gateways.
  void set_config(NodeConfig config) { config_ = std::move(config); }
  const NodeConfig& config() const { return config_; }
  // The load balancers' translator, given the packets for their interfaces (nullptr: none).
  void set_lb(LbTranslator* lb) { lb_ = lb; }

  // Each packet starts at its outer IPv4 header (Packet::data), with headroom for a new
  // encapsulation; `now` is the NatTable clock in seconds.
  void process(dataplane::PacketBatch batch, uint32_t now);

  const NodeCounters& counters() const { return counters_; }

 private:
  enum class Direction : uint8_t { none, out, in, lb };  // none: already dropped; lb: lb_'s
  static constexpr size_t kChunk = 32;
  struct Work {
    Direction direction = Direction::none;
    uint16_t gateway = 0;
    uint64_t hash = 0;
    bool lb_target = false;  // lb: the flow key is the target-side one
  };
  Direction classify(dataplane::Packet& p, packet::PacketMeta& meta, uint16_t& gateway);
  Direction dropped(dataplane::Packet& p, NodeDrop reason);
  void outbound(dataplane::Packet& p, const packet::PacketMeta& meta, uint16_t gateway,
                uint32_t now);
  void inbound(dataplane::Packet& p, const packet::PacketMeta& meta, uint16_t gateway,
               uint32_t now);
  bool trusted_reply(const packet::PacketMeta& meta, const NodeGateway& gateway) const;
  const GatewayAcl& acl_of(uint16_t gateway) const;
  NodeDrop acl_outbound(uint16_t gateway, const packet::PacketMeta& meta) const;
  bool acl_allows_to_instance(uint16_t gateway, const dataplane::Packet& p,
                              const packet::PacketMeta& meta) const;
  void reset(dataplane::Packet& p, const packet::PacketMeta& meta, uint16_t gateway);
  // Fragments (nat_fragments.h): a translated first fragment sent to `to` / `eni` is
  // remembered; a later one follows it (or is dropped as NodeDrop::fragment).
  void remember_first(const dataplane::Packet& p, const packet::PacketMeta& meta, uint16_t gateway,
                      NatFragments::Direction direction, uint32_t to, uint32_t eni, uint32_t now);
  void later_fragment(dataplane::Packet& p, const packet::PacketMeta& meta, uint16_t gateway,
                      NatFragments::Direction direction, uint32_t now);
  void send(dataplane::Packet& p, const packet::PacketMeta& meta, uint32_t to, uint32_t vni,
            uint32_t source_eni, uint32_t destination_eni);
  void drop(dataplane::Packet& p, NodeDrop reason);
  void drop(dataplane::Packet& p, NatVerdict verdict);

  NatTable& table_;
  LbTranslator* lb_ = nullptr;
  NodeConfig config_;
  NodeCounters counters_;
  NatFragments fragments_;                          // where first fragments went: fixed size
  std::array<packet::PacketMeta, kChunk> metas_{};  // per chunk: no allocation per packet
  std::array<Work, kChunk> work_{};
};

}  // namespace openvpc::hyperplane
