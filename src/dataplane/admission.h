// admission.h — the first checks every packet passes, before the flow cache.
//
// From an ENI: the port is one of this host's ENIs, the frame parsed, its source MAC is the
// ENI's, it carries no 802.1Q tag (no VLAN is configured on ENIs), ARP goes to the local
// services. From the underlay: a whole Geneve packet (only the underlay decapsulates). Then
// for both: IPv4 (IPv6 is not forwarded yet) with a correct header checksum (RFC 1812 5.2.2;
// of the inner packet from the underlay), and whether it is a later fragment. Pure: reads the
// program and the packet; with `trace` it appends one line per decision (trace_note.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dataplane/compiled_program.h"
#include "dataplane/packet_batch.h"
#include "dataplane/verdict.h"
#include "packet/parser.h"

namespace openvpc::dataplane {

struct Admission {
  DropReason drop = DropReason::none;
  bool local_services = false;  // ARP: straight to the local services stage
  bool later_fragment = false;  // an IPv4 fragment after the first: follows its first one
  int32_t eni_index = -1;       // the local ENI of the in port (ENI ports only)
};

// `bytes` is what `meta` was parsed from; `trace` may be null (the normal case).
Admission admit(const CompiledProgram& program, Port in_port, const packet::PacketMeta& meta,
                std::span<const uint8_t> bytes, std::string* trace);

}  // namespace openvpc::dataplane
