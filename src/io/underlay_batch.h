// underlay_batch.h — a fleet node's (edge, hyperplane) underlay I/O in batches.
//
// The UDP socket hands over Geneve datagrams without their outer headers, but the data plane
// parses whole IP packets (the outer source is the isolation rule's input). So
// receive_underlay_packets() receives into per-datagram buffers that keep room in front and
// writes the outer IPv4/UDP headers back there (the outer TOS included: its ECN field matters
// at decapsulation). Sending goes through the raw socket, whose per-message refusals
// (stats().send_errors) count as sent: send_underlay_all() goes on past them and stops only
// when the socket buffer is full.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "io/raw_underlay_socket.h"
#include "io/underlay_headers.h"
#include "io/underlay_socket.h"

namespace openvpc::io {

// Receives up to datagrams.size() datagrams; datagram i's buffer starts at
// storage + i * buffer_size and its IP packet at storage + i * buffer_size + headroom. Returns
// how many arrived; for each, datagrams[i].data - kUnderlayHeadersSize is the whole IP packet
// of datagrams[i].size + kUnderlayHeadersSize bytes, or datagrams[i].size is 0 when it would
// not fit one IPv4 packet (dropped).
size_t receive_underlay_packets(UnderlaySocket& socket, std::span<Datagram> datagrams,
                                uint8_t* storage, size_t buffer_size, size_t headroom,
                                uint32_t local_v4);

// Sends every datagram (whole IPv4 packets); returns how many were lost to a full buffer.
size_t send_underlay_all(RawUnderlaySocket& socket, std::span<const Datagram> datagrams);

}  // namespace openvpc::io
