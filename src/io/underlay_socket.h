// underlay_socket.h — the router's UDP socket on the underlay (Geneve, port 6081).
//
// One UDP socket bound to the host's underlay address, non-blocking, moving batches with
// recvmmsg/sendmmsg. A Datagram is the UDP *payload* — from the Geneve header on — plus the
// peer: the data plane builds full outer IPv4+UDP+Geneve headers (52 bytes); to send through
// this socket it hands over data + 28 and the outer destination.
//
// Limitation: a plain UDP socket cannot choose a per-flow UDP source port (the kernel always
// uses the bound one), so Datagram::source_port — the inner 5-tuple hash DESIGN.md §2 asks for
// — is ignored here; RawUnderlaySocket (raw_underlay_socket.h) sends full outer packets so it
// survives. Receiving stays on this socket either way.
//
// Optional offloads: GRO (UDP_GRO) lets one receive return several same-sized datagrams from
// one peer in one buffer (Datagram::segment_size > 0; split with for_each_segment), and GSO
// (UDP_SEGMENT) sends runs of consecutive same-size, same-destination datagrams as one
// message. Both are off by default; io-loopback-bench measures them.
//
// Threading: receive() and send() keep their scratch arrays on the stack, so one thread may
// receive while another sends; neither may be called from two threads at once (counters).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "common/result.h"

namespace openvpc::io {

struct Datagram {
  uint8_t* data = nullptr;
  uint32_t size = 0;          // payload bytes in data
  uint32_t capacity = 0;      // bytes available at data (receive)
  uint32_t peer_address = 0;  // IPv4, host order: the source on receive, destination on send
  uint16_t peer_port = 0;     // host order
  uint16_t source_port = 0;   // the outer source port the data plane chose (see above)
  uint16_t segment_size = 0;  // receive with GRO: data holds datagrams of this size (last shorter)
  uint8_t tos = 0;            // receive: the outer IPv4 TOS byte (IP_RECVTOS), ECN included
};

// Calls fn(data, size) for each datagram a GRO-coalesced Datagram holds (once when none).
template <typename F>
void for_each_segment(const Datagram& d, F&& fn) {
  if (d.segment_size == 0) return fn(static_cast<const uint8_t*>(d.data), d.size);
  for (uint32_t at = 0; at < d.size; at += d.segment_size) {
    fn(static_cast<const uint8_t*>(d.data + at), std::min<uint32_t>(d.segment_size, d.size - at));
  }
}

struct UnderlaySocketConfig {
  uint32_t address = 0;  // IPv4, host order (127.0.0.x in tests)
  uint16_t port = 6081;  // 0: an ephemeral port (tests)
  bool gro = false;
  bool gso = false;
  int buffer_size = 4 << 20;  // SO_RCVBUF/SO_SNDBUF request
};

struct UnderlaySocketStats {
  uint64_t received = 0;           // datagrams (GRO segments counted one by one)
  uint64_t sent = 0;               // datagrams
  uint64_t receive_truncated = 0;  // bigger than the buffer; dropped
  uint64_t send_errors = 0;        // datagrams refused for a reason other than a full buffer
  uint64_t send_would_block = 0;   // calls that stopped on a full socket buffer
};

class UnderlaySocket {
 public:
  static constexpr size_t kMaxBatch = 64;          // messages per system call
  static constexpr size_t kMaxSendSlices = 256;    // iovecs per sendmmsg (GSO gathers)
  static constexpr uint32_t kMaxGsoSegments = 64;  // UDP_SEGMENT limit (UDP_MAX_SEGMENTS)
  static constexpr uint32_t kMaxGsoBytes = 65000;  // payload bytes in one GSO message

  static Result<UnderlaySocket> open(const UnderlaySocketConfig& config);

  UnderlaySocket(UnderlaySocket&& other) noexcept;
  UnderlaySocket& operator=(UnderlaySocket&& other) noexcept;
  UnderlaySocket(const UnderlaySocket&) = delete;
  UnderlaySocket& operator=(const UnderlaySocket&) = delete;
  ~UnderlaySocket();

  int fd() const { return fd_; }
  uint16_t port() const { return port_; }  // the bound port, host order
  const UnderlaySocketStats& stats() const { return stats_; }

  // Fills up to datagrams.size() entries (data/capacity set by the caller) with waiting
  // datagrams and returns how many; never blocks.
  size_t receive(std::span<Datagram> datagrams);

  // Sends the datagrams in order and returns how many left. Stops at a full socket buffer
  // (the rest are the caller's to drop or retry); a datagram the kernel refuses for another
  // reason (e.g. no route) is counted in send_errors and skipped. Never blocks.
  size_t send(std::span<const Datagram> datagrams);

 private:
  UnderlaySocket(int fd, uint16_t port, bool gso) : fd_(fd), port_(port), gso_(gso) {}
  struct SendProgress {
    size_t consumed = 0;  // datagrams dealt with: sent, or refused and counted
    size_t sent = 0;
  };
  SendProgress send_chunk(std::span<const Datagram> datagrams);

  int fd_ = -1;
  uint16_t port_ = 0;
  bool gso_ = false;
  UnderlaySocketStats stats_;
};

// Best-effort socket buffer sizing, shared with RawUnderlaySocket: SO_*BUFFORCE where
// CAP_NET_ADMIN allows, else the sysctl-capped SO_*BUF.
void set_socket_buffers(int fd, int size);

}  // namespace openvpc::io
