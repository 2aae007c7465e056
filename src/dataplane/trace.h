// trace.h — explains what the pipeline does with one packet, stage by stage (like ovn-trace).
//
// trace() parses the packet, runs the same admission and classification code as the
// pipeline with tracing on, applies the action to a private copy of the bytes and returns
// readable text: one line per stage naming the rule that decided, then the verdict:
//
//   packet: 10.0.1.5:40000 -> 10.0.2.7:22 tcp ttl 64 (98 bytes)
//   port: eni 101 (web) vpc 7 subnet 11
//   source-check: 10.0.1.5 belongs to eni 101
//   nacl-egress: subnet 11 network-acl 3 egress rule 100 allow all 0.0.0.0/0 -> allow
//   ...
//   verdict: deliver out eni 102
//
// It changes nothing: no flow is installed and no connection started. The free function sees
// no connection state (every packet is the first of its flow); Pipeline::trace() uses the
// worker's connection table.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dataplane/classifier.h"
#include "dataplane/compiled_program.h"
#include "dataplane/packet_batch.h"

namespace openvpc::dataplane {

std::string trace(const CompiledProgram& program, Port in_port, std::span<const uint8_t> bytes);

// `connections` must be a view for `program` (its slots are by program's local ENI index).
// A later fragment is shown as dropped: its fate is its first fragment's, which trace does
// not know.
std::string trace_with_connections(const CompiledProgram& program,
                                   const ConnectionView& connections, Port in_port,
                                   std::span<const uint8_t> bytes);

// "eni 7", "underlay", "gateway nat-gateway 3", "-".
std::string to_string(const Packet& packet_result);

}  // namespace openvpc::dataplane
