// dns_message.h — the resolver's answer to one DNS message, whichever transport carries it.
//
// answer_dns_message() reads one query (a UDP payload, or a TCP message without its 2-byte
// length prefix) and writes the response message, nothing else: the UDP (dns_reply.cc) and TCP
// (dns_tcp.cc) responders frame it. What it answers (REFERENCE.md "Addressing"): with
// enableDnsHostnames, "ip-a-b-c-d.<zone>" has an A record and a.b.c.d's reverse name a PTR
// record for every address of the VPC; a network load balancer's DNS name (its VPC's
// VpcServicesConfig::named_addresses, whatever enableDnsHostnames says) an A record for each
// of its addresses; any other name is NXDOMAIN (there is no upstream);
// another record type of an existing name is an empty NOERROR. A query that cannot be read
// past its header, or with other than one question: FORMERR; another opcode: NOTIMP.
// Size: over UDP at most dns_udp_size_without_edns bytes, or with an EDNS OPT record the
// client's size (512-4096); an answer that does not fit is left out and TC set, so the client
// asks again over TCP. Over TCP the limit is the output buffer (answers are far smaller).
// With EDNS the response carries an OPT record of its own (RFC 6891 §7).
// enableDnsSupport is the caller's to check (off: no answer at all). No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/services/service_state.h"

namespace openvpc::dataplane::services {

enum class DnsTransport : uint8_t { udp, tcp };

struct DnsMessageResult {
  size_t size = 0;  // 0: nothing to send, event says why
  ServicesEvent event = ServicesEvent::dns_dropped_no_header;
};

// Writes the response to query into out. No response (size 0) for a message shorter than a
// DNS header (dns_dropped_no_header), a response (dns_dropped_response) or when out is too
// small (dropped_reply_too_large). c.frame and c.meta are not read.
DnsMessageResult answer_dns_message(const ReplyContext& c, std::span<const uint8_t> query,
                                    std::span<uint8_t> out, DnsTransport transport);

}  // namespace openvpc::dataplane::services
