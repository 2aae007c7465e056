// raw_underlay_socket.cc — full outer IPv4 packets through IPPROTO_RAW (see header).
#include "io/raw_underlay_socket.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace openvpc::io {

Result<RawUnderlaySocket> RawUnderlaySocket::open(int buffer_size) {
  const int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) {
    return make_error("io.underlay", std::string("socket(SOCK_RAW): ") + std::strerror(errno));
  }
  set_socket_buffers(fd, buffer_size);
  return RawUnderlaySocket(fd);
}

RawUnderlaySocket::RawUnderlaySocket(RawUnderlaySocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), stats_(other.stats_) {}

RawUnderlaySocket& RawUnderlaySocket::operator=(RawUnderlaySocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    stats_ = other.stats_;
  }
  return *this;
}

RawUnderlaySocket::~RawUnderlaySocket() {
  if (fd_ >= 0) close(fd_);
}

size_t RawUnderlaySocket::send(std::span<const Datagram> packets) {
  constexpr size_t kBatch = UnderlaySocket::kMaxBatch;
  size_t sent = 0, consumed = 0;
  while (consumed < packets.size()) {
    const size_t n = std::min(packets.size() - consumed, kBatch);
    mmsghdr messages[kBatch];
    iovec iov[kBatch];
    sockaddr_in peers[kBatch];
    for (size_t i = 0; i < n; ++i) {
      const Datagram& d = packets[consumed + i];
      iov[i] = {d.data, d.size};
      peers[i] = sockaddr_in{};
      peers[i].sin_family = AF_INET;
      peers[i].sin_addr.s_addr = htonl(d.peer_address);
      messages[i].msg_hdr = {&peers[i], sizeof peers[i], &iov[i], 1, nullptr, 0, 0};
    }
    const int done = sendmmsg(fd_, messages, unsigned(n), MSG_DONTWAIT);
    if (done < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        ++stats_.send_would_block;
        break;
      }
      ++stats_.send_errors;  // e.g. a malformed header (EINVAL): skip that packet
      ++consumed;
      continue;
    }
    sent += size_t(done);
    consumed += size_t(done);
    stats_.sent += uint64_t(done);
  }
  return sent;
}

}  // namespace openvpc::io
