// trace_request.h — `openvpc trace`: a described packet, built and traced against a program.
//
// A TraceRequest names an ENI of this host (its name, "eni-...", or its number) and a packet
// in words: direction egress (the instance sends it on the ENI: an Ethernet frame from the
// ENI's MAC to the router's) or ingress (it arrives from the underlay for the ENI: the inner
// packet Geneve-encapsulated the way the router at the source's mapped host would send it),
// protocol tcp/udp/icmp, addresses, ports, ICMP type/code (echo request 8 / reply 0), TCP
// flags as letters (S, A, F, R, P, U; default S). Unset addresses default to the ENI's own:
// the source of an egress packet, the destination of an ingress one.
//
// trace_packet() builds the bytes (packet/builder.h) and returns dataplane::trace() text: one
// line per stage with the rule that decided, then the verdict. It sees no connection state
// (every packet is the first of its flow) and is safe from any thread on a shared program.
// Errors ("trace.invalid", "trace.unknown_eni") are for the caller to show; nothing throws.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "dataplane/compiled_program.h"

namespace openvpc::router {

struct TraceRequest {
  enum class Direction { egress, ingress };
  std::string eni;
  Direction direction = Direction::egress;
  std::string protocol = "tcp";  // tcp | udp | icmp
  std::string source, destination;
  uint16_t source_port = 40000;
  uint16_t destination_port = 0;
  uint8_t icmp_type = 8;
  uint8_t icmp_code = 0;
  std::string tcp_flags = "S";
};

// From the POST /trace JSON body: {"eni", "direction", "proto", "src", "dst", "sport", "dport",
// "icmp_type", "icmp_code", "tcp_flags"}; unknown keys are refused.
Result<TraceRequest> parse_trace_request(const std::string& json_body);

Result<std::string> trace_packet(const dataplane::CompiledProgram& program,
                                 const TraceRequest& request);

}  // namespace openvpc::router
