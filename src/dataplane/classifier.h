// classifier.h — the slow path: decides what to do with the first packet of a flow.
//
// Outbound from an ENI: source check -> local services -> NACL egress (leaving the subnet)
// -> SG egress -> longest-prefix route -> target -> for a local destination NACL ingress
// (crossing subnets) and SG ingress; an internet gateway target goes to an edge node (only
// from a private address with a public one), a NAT gateway target to one node of its
// hyperplane shard by flow hash (nat_shard.h), a load balancer's address (and a target's reply
// on a connection a load balancer brought in, whatever the route) to one node of its shard by
// client hash. Inbound from the underlay: the isolation rule (an edge node, a node of a NAT
// gateway of the VPC, or a node of a load balancer as its interface may send any inner source)
// -> NACL ingress (crossing subnets) -> SG ingress. The
// result is a FlowAction for the flow cache plus, per security-group stage the flow crossed, what
// the rules said; the pipeline's ConnectionStage then tracks or opens the connections (conntrack
// decides per packet).
//
// Pure with respect to its inputs: it reads the program and a read-only ConnectionView of
// the connection table and writes nothing but its result, so trace() runs the very same
// code. A security-group stage allows a packet its rules allow, or one of a live connection
// of that ENI; an ICMP error it allows iff the header it quotes is a connection of that ENI
// (the rules do not decide; icmp_error_no_connection otherwise). When `trace` is non-null
// every stage appends one line "stage: decision (the rule that decided)". Preconditions: the packet
// parsed without error, is IPv4 and not a non-first fragment, and (outbound) came from `eni` with
// its MAC; the pipeline's prefilter checks that first.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dataplane/compiled_program.h"
#include "dataplane/conntrack/conntrack_table.h"
#include "dataplane/flow_cache.h"

namespace openvpc::dataplane {

// What the classifier may know about connections: read-only, for one moment.
struct ConnectionView {
  const conntrack::ConntrackTable* table = nullptr;  // null: no connections (free trace())
  std::span<const uint16_t> slots;  // the table's ENI slot by the program's local ENI index
  uint32_t now = 0;
  uint32_t generation = 0;

  bool exists(int32_t local_index, const packet::PacketMeta& meta) const {
    if (table == nullptr || local_index < 0 || size_t(local_index) >= slots.size()) return false;
    return table->has_connection(slots[size_t(local_index)], meta, now, generation);
  }
  // The load balancer interface the live connection of this 5-tuple came through, or 0.
  uint32_t via(int32_t local_index, const packet::FiveTuple& tuple) const {
    if (table == nullptr || local_index < 0 || size_t(local_index) >= slots.size()) return 0;
    return table->via_of(slots[size_t(local_index)], tuple, now);
  }
};

// One security-group stage a flow crossed (the source ENI's egress, a local destination's
// ingress), as the connection stage needs it.
struct GroupStage {
  int32_t local_index = -1;  // the ENI whose groups decided; -1: stage not reached
  bool allowed_by_rules = false;
  bool untracked = false;  // the rules allow it as an untracked flow
  // Non-zero: the flow came in from a node of a network load balancer through its interface
  // with this ENI number; a connection it opens remembers that (conntrack Connection::via).
  uint32_t via = 0;
  // The reason to drop for: when the stage was not passed (local_index -1), or when only a
  // connection allowed it and that connection turns out to be gone.
  DropReason denied = DropReason::none;
};

struct Classification {
  FlowAction action;
  GroupStage groups[2];  // [0] first stage (egress, or ingress from the underlay), [1] ingress
};

class Classifier {
 public:
  Classifier(const CompiledProgram& program, const ConnectionView& connections, std::string* trace)
      : program_(program), connections_(connections), trace_(trace) {}

  Classification outbound(const LocalEni& eni, const packet::PacketMeta& meta);
  Classification inbound(const packet::PacketMeta& meta);

 private:
  GroupStage security_groups(const LocalEni& eni, program::Direction direction,
                             const packet::PacketMeta& meta);
  bool network_acl(const CompiledSubnet& subnet, program::Direction direction,
                   const packet::PacketMeta& meta);
  bool route_to_target(const LocalEni& source, const packet::PacketMeta& meta,
                       Classification& result);
  bool to_eni(const LocalEni& source, uint32_t target_eni, const packet::PacketMeta& meta,
              Classification& result);
  bool to_edge(const LocalEni& source, const packet::PacketMeta& meta, Classification& result);
  bool to_nat_gateway(const LocalEni& source, uint32_t gateway_id, const packet::PacketMeta& meta,
                      Classification& result);
  bool to_nat_address(const LocalEni& source, const CompiledNatGateway& gateway,
                      const packet::PacketMeta& meta, Classification& result);
  bool to_load_balancer(const LocalEni& source, uint32_t interface_eni,
                        const packet::IpAddress& client, uint16_t client_port,
                        const packet::PacketMeta& meta, Classification& result);
  void deliver_locally(const LocalEni& destination, const packet::PacketMeta& meta,
                       Classification& result);
  // DropReason::none when the packet passes; sets destination once it is known.
  DropReason isolation_rule(const packet::PacketMeta& meta, const LocalEni*& destination);
  Classification drop(DropReason reason);
  // Appends "stage: text" when tracing; make_text runs only then (no formatting otherwise).
  template <typename MakeText>
  void note(const char* stage, MakeText&& make_text) {
    if (trace_ != nullptr) trace_->append(stage).append(": ").append(make_text()).append("\n");
  }

  const CompiledProgram& program_;
  ConnectionView connections_;  // a copy: small, and safe to build from a temporary
  std::string* trace_;
};

}  // namespace openvpc::dataplane
