// underlay_socket.cc — UDP underlay socket with recvmmsg/sendmmsg (see underlay_socket.h).
#include "io/underlay_socket.h"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace openvpc::io {
namespace {

Error errno_error(const std::string& what, int error) {
  return make_error("io.underlay", what + ": " + std::strerror(error));
}

sockaddr_in to_sockaddr(uint32_t address, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(address);
  a.sin_port = htons(port);
  return a;
}

// Length of the run of datagrams starting at `first` that one GSO message can carry: same
// destination, same size (the last may be shorter, and then ends the run).
size_t gso_run(std::span<const Datagram> d, size_t first, size_t slices_left) {
  const Datagram& head = d[first];
  size_t n = 1;
  uint32_t bytes = head.size;
  while (first + n < d.size() && n < UnderlaySocket::kMaxGsoSegments && n < slices_left) {
    const Datagram& next = d[first + n];
    if (next.peer_address != head.peer_address || next.peer_port != head.peer_port ||
        next.size > head.size || bytes + next.size > UnderlaySocket::kMaxGsoBytes) {
      break;
    }
    bytes += next.size;
    ++n;
    if (next.size < head.size) break;
  }
  return n;
}

}  // namespace

void set_socket_buffers(int fd, int size) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
}

Result<UnderlaySocket> UnderlaySocket::open(const UnderlaySocketConfig& config) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return errno_error("socket(UDP)", errno);
  UnderlaySocket s(fd, config.port, config.gso);
  set_socket_buffers(fd, config.buffer_size);
  const int on = 1;
  if (config.gro && setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof on) < 0) {
    return errno_error("setsockopt(UDP_GRO)", errno);
  }
  // The outer TOS byte: a CE mark the underlay set must reach the inner packet (RFC 6040).
  if (setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof on) < 0) {
    return errno_error("setsockopt(IP_RECVTOS)", errno);
  }
  sockaddr_in local = to_sockaddr(config.address, config.port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
    return errno_error("bind " + std::string(text) + ":" + std::to_string(config.port), errno);
  }
  socklen_t size = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size);
  s.port_ = ntohs(local.sin_port);
  return s;
}

UnderlaySocket::UnderlaySocket(UnderlaySocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      port_(other.port_),
      gso_(other.gso_),
      stats_(other.stats_) {}

UnderlaySocket& UnderlaySocket::operator=(UnderlaySocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
    gso_ = other.gso_;
    stats_ = other.stats_;
  }
  return *this;
}

UnderlaySocket::~UnderlaySocket() {
  if (fd_ >= 0) close(fd_);
}

size_t UnderlaySocket::receive(std::span<Datagram> datagrams) {
  constexpr size_t kControlSize = CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(int));
  size_t filled = 0;
  while (filled < datagrams.size()) {
    const size_t n = std::min(datagrams.size() - filled, kMaxBatch);
    mmsghdr messages[kMaxBatch];
    iovec iov[kMaxBatch];
    sockaddr_in peers[kMaxBatch];
    alignas(cmsghdr) uint8_t control[kMaxBatch][kControlSize];
    for (size_t i = 0; i < n; ++i) {
      Datagram& d = datagrams[filled + i];
      iov[i] = {d.data, d.capacity};
      messages[i].msg_hdr = {&peers[i], sizeof peers[i], &iov[i], 1, control[i], kControlSize, 0};
      messages[i].msg_len = 0;
    }
    const int got = recvmmsg(fd_, messages, unsigned(n), MSG_DONTWAIT, nullptr);
    if (got <= 0) break;
    size_t kept = 0;
    for (int i = 0; i < got; ++i) {
      const msghdr& h = messages[i].msg_hdr;
      if (h.msg_flags & MSG_TRUNC) {
        ++stats_.receive_truncated;
        continue;
      }
      Datagram& d = datagrams[filled + kept];
      if (kept != size_t(i)) std::swap(d.data, datagrams[filled + i].data);  // keep buffers
      if (kept != size_t(i)) std::swap(d.capacity, datagrams[filled + i].capacity);
      d.size = messages[i].msg_len;
      d.peer_address = ntohl(peers[i].sin_addr.s_addr);
      d.peer_port = ntohs(peers[i].sin_port);
      d.source_port = d.peer_port;
      d.segment_size = 0;
      d.tos = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
        if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) {
          int segment = 0;
          std::memcpy(&segment, CMSG_DATA(c), sizeof segment);
          if (uint32_t(segment) < d.size) d.segment_size = uint16_t(segment);
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
          std::memcpy(&d.tos, CMSG_DATA(c), 1);
        }
      }
      stats_.received += d.segment_size ? (d.size + d.segment_size - 1) / d.segment_size : 1;
      ++kept;
    }
    filled += kept;
    if (size_t(got) < n) break;
  }
  return filled;
}

size_t UnderlaySocket::send(std::span<const Datagram> datagrams) {
  size_t sent = 0, consumed = 0;
  while (consumed < datagrams.size()) {
    const SendProgress p = send_chunk(datagrams.subspan(consumed));
    sent += p.sent;
    consumed += p.consumed;
    if (p.consumed == 0) break;
  }
  return sent;
}

// One sendmmsg: up to kMaxBatch messages, each one datagram or (GSO) a run of them.
UnderlaySocket::SendProgress UnderlaySocket::send_chunk(std::span<const Datagram> d) {
  constexpr size_t kControlSize = CMSG_SPACE(sizeof(uint16_t));
  mmsghdr messages[kMaxBatch];
  iovec iov[kMaxSendSlices];
  sockaddr_in peers[kMaxBatch];
  alignas(cmsghdr) uint8_t control[kMaxBatch][kControlSize];
  uint32_t per_message[kMaxBatch];
  size_t message_count = 0, slices = 0, first = 0;
  while (first < d.size() && message_count < kMaxBatch && slices < kMaxSendSlices) {
    const size_t run = gso_ ? gso_run(d, first, kMaxSendSlices - slices) : 1;
    for (size_t k = 0; k < run; ++k) iov[slices + k] = {d[first + k].data, d[first + k].size};
    peers[message_count] = to_sockaddr(d[first].peer_address, d[first].peer_port);
    msghdr& h = messages[message_count].msg_hdr;
    h = {&peers[message_count], sizeof(sockaddr_in), &iov[slices], run, nullptr, 0, 0};
    if (run > 1) {
      h.msg_control = control[message_count];
      h.msg_controllen = kControlSize;
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const uint16_t segment = uint16_t(d[first].size);
      std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
    }
    per_message[message_count++] = uint32_t(run);
    slices += run;
    first += run;
  }
  const int done = sendmmsg(fd_, messages, unsigned(message_count), MSG_DONTWAIT);
  if (done < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      ++stats_.send_would_block;
      return {0, 0};
    }
    // A message the kernel refuses (e.g. an unreachable destination) must not wedge the
    // batch: count it and skip it.
    stats_.send_errors += per_message[0];
    return {per_message[0], 0};
  }
  size_t datagrams = 0;
  for (int i = 0; i < done; ++i) datagrams += per_message[i];
  stats_.sent += datagrams;
  return {datagrams, datagrams};
}

}  // namespace openvpc::io
