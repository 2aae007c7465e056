// dns_tcp.h — DNS over TCP (RFC 7766) at the resolver's addresses, port 53, with no state
// per connection.
//
// Every reply is computed from the one segment it answers, the way SYN cookies work:
// - SYN -> SYN-ACK whose initial sequence number is a keyed hash of the 4-tuple and the
//   client's ISN (dns_tcp_initial_sequence), with an MSS option for the ENI's MTU;
// - a segment whose payload starts with one whole length-prefixed DNS message -> one segment
//   with ACK of that message and the answer (dns_message.h), +FIN when the client's FIN came
//   with it; our sequence number is the client's acknowledgement number, so a retransmitted
//   query gets the same answer at the same place and a client may send several queries, one
//   after another, on one connection;
// - FIN without data -> FIN-ACK; an ACK without data -> nothing;
// - RST -> nothing; anything else (a SYN-ACK, no ACK flag, a message split over segments or
//   with a bad length prefix, a DNS response, a message shorter than a DNS header) -> RST.
// Limits, on purpose: a query split over several segments is reset rather than reassembled
// (clients write the prefix and the message in one call; after a reset they retry); when
// one segment carries several messages only the first is answered and acknowledged (the
// client sends the rest again); the answer is cut to the ENI's MTU - 40 (answers are a few
// hundred bytes). Acknowledgement numbers are not checked against the cookie: the only sender
// on an ENI's port is its own instance (the source MAC is checked before this runs).
// No allocation, no exceptions; exactly one event per segment.
#pragma once

#include <cstdint>

#include "dataplane/services/service_state.h"
#include "packet/parser.h"

namespace openvpc::dataplane::services {

// The resolver's initial sequence number for a connection from the instance (tuple as the
// instance sent it).
uint32_t dns_tcp_initial_sequence(uint64_t key, const packet::FiveTuple& tuple,
                                  uint32_t client_isn);

// c.meta is a TCP segment from the ENI to a resolver address, port 53.
ReplyResult reply_dns_tcp(const ReplyContext& c);

}  // namespace openvpc::dataplane::services
