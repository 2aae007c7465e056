// trace.h — explains what the pipeline does with one packet, stage by stage (like ovn-trace).
//
// The trace is a record of the real Pipeline::process() of the packet (process_traced(): each
// stage writes its line through trace_note.h as it decides), not a second, shorter pipeline:
// admission, the flow cache, the classifier's rules, connection tracking and the allowance,
// fragments, GSO and the path MTU all speak, then the verdict:
//
//   packet: 10.0.1.5:40000 -> 10.0.2.7:22 tcp ttl 64 (98 bytes)
//   port: eni 101 (web) vpc 7 subnet 11
//   flow-cache: miss: classify
//   source-check: 10.0.1.5 belongs to eni 101
//   nacl-egress: subnet 11 network-acl 3 egress rule 100 allow all 0.0.0.0/0 -> allow
//   ...
//   conntrack: eni 101: new connection opened (tracked)
//   verdict: deliver out eni 102
//
// trace() runs it on a scratch pipeline over `program` (no flows, no connections: every
// packet is the first of its flow; a SYN-ACK is an invalid new TCP packet there, as in a
// worker that never saw the SYN), so it changes nothing and is safe from any thread.
// Pipeline::process_traced() traces against a pipeline's own state (tests, tools).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dataplane/compiled_program.h"
#include "dataplane/packet_batch.h"
#include "dataplane/pipeline.h"

namespace openvpc::dataplane {

// `bytes`: an Ethernet frame for an ENI port, an outer IPv4 packet for the underlay.
std::string trace(const CompiledProgram& program, Port in_port, std::span<const uint8_t> bytes);

// The scratch pipeline trace() runs: tables for one packet, and room for all it can release
// (a 64 KiB packet cut to a 1500-byte path MTU is 45 fragments), so its verdict is a worker's.
PipelineConfig scratch_pipeline_config(const CompiledProgram& program);

// The first line of a trace: "packet: 10.0.1.5:40000 -> 10.0.2.7:22 tcp ttl 64 (98 bytes)".
std::string describe_packet(Port in_port, std::span<const uint8_t> bytes);

// "eni 7", "underlay", "gateway nat-gateway 3", "-".
std::string to_string(const Packet& packet_result);

}  // namespace openvpc::dataplane
