// raw_underlay_socket.h — sending full outer IPv4 packets so the per-flow UDP source port
// survives.
//
// DESIGN.md §2 wants the outer UDP source port to be a hash of the inner 5-tuple (entropy
// for ECMP and receive-side scaling); a bound UDP socket always sends from its own port. This
// socket is AF_INET/SOCK_RAW/IPPROTO_RAW: IP_HDRINCL is implied, and unlike a raw
// IPPROTO_UDP socket it receives nothing, so incoming underlay traffic is not cloned to it.
// Receiving stays on UnderlaySocket (bound to port 6081), which gets these packets like any
// other UDP datagram.
//
// Contract for send(): each Datagram's data holds a whole IPv4 packet — outer IPv4 + UDP +
// Geneve + inner — as the data plane built it; peer_address must be the IPv4 destination
// in it. The kernel fills in the IPv4 total length and header checksum (and the id and source
// address when they are 0); it does not touch the UDP header, so its checksum must be valid
// or 0 (allowed over IPv4). source_port/peer_port are not used: the header says it all.
// Needs CAP_NET_RAW. Threading and counters as UnderlaySocket.
#pragma once

#include <cstddef>
#include <span>

#include "common/result.h"
#include "io/underlay_socket.h"

namespace openvpc::io {

class RawUnderlaySocket {
 public:
  static Result<RawUnderlaySocket> open(int buffer_size = 4 << 20);

  RawUnderlaySocket(RawUnderlaySocket&& other) noexcept;
  RawUnderlaySocket& operator=(RawUnderlaySocket&& other) noexcept;
  RawUnderlaySocket(const RawUnderlaySocket&) = delete;
  RawUnderlaySocket& operator=(const RawUnderlaySocket&) = delete;
  ~RawUnderlaySocket();

  int fd() const { return fd_; }
  const UnderlaySocketStats& stats() const { return stats_; }

  // Sends whole IPv4 packets; same return and failure rules as UnderlaySocket::send.
  size_t send(std::span<const Datagram> packets);

 private:
  explicit RawUnderlaySocket(int fd) : fd_(fd) {}

  int fd_ = -1;
  UnderlaySocketStats stats_;
};

}  // namespace openvpc::io
