// classifier.h — the slow path: decides what to do with the first packet of a flow.
//
// Outbound from an ENI: source check -> local services -> NACL egress (leaving the subnet)
// -> SG egress -> longest-prefix route -> target -> for a local destination NACL ingress
// (crossing subnets) and SG ingress. Inbound from the underlay: the isolation rule ->
// NACL ingress (crossing subnets) -> SG ingress. The result is a FlowAction for the flow
// cache plus which connections to start (the pipeline starts them once the flow is allowed).
//
// Pure with respect to its inputs: it reads the program and the connection table and writes
// nothing but its result, so trace() runs the very same code. When `trace` is non-null every
// stage appends one line "stage: decision (the rule that decided)".
// Preconditions: the packet parsed without error, is IPv4 and not a non-first fragment, and
// (outbound) came from `eni` with its MAC; the pipeline's prefilter checks that first.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/compiled_program.h"
#include "dataplane/conntrack/connection_tracker.h"
#include "dataplane/flow_cache.h"

namespace openvpc::dataplane {

struct Classification {
  FlowAction action;
  uint32_t track_eni = 0;       // non-zero: start a connection for this ENI
  uint32_t track_peer_eni = 0;  // non-zero: and for this (local destination) ENI
  ConnectionRef existing;       // live connections that already allowed the flow
  ConnectionRef existing_peer;
};

class Classifier {
 public:
  Classifier(const CompiledProgram& program, const ConnectionTracker& tracker, uint32_t now,
             std::string* trace)
      : program_(program), tracker_(tracker), now_(now), trace_(trace) {}

  Classification outbound(const LocalEni& eni, const packet::PacketMeta& meta);
  Classification inbound(const packet::PacketMeta& meta);

 private:
  struct GroupCheck {
    bool allowed = false;
    bool track = false;
    ConnectionRef existing;
  };
  GroupCheck security_groups(const LocalEni& eni, program::Direction direction,
                             const packet::PacketMeta& meta);
  bool network_acl(const CompiledSubnet& subnet, program::Direction direction,
                   const packet::PacketMeta& meta);
  bool route_to_target(const LocalEni& source, const packet::PacketMeta& meta,
                       Classification& result);
  bool to_eni(const LocalEni& source, uint32_t target_eni, const packet::PacketMeta& meta,
              Classification& result);
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
  const ConnectionTracker& tracker_;
  uint32_t now_;
  std::string* trace_;
};

}  // namespace openvpc::dataplane
