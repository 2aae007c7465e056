// node_peers.h — what the hyperplane node tests on loopback share (nat_node_test.cc,
// lb_node_test.cc): a bounded wait, a UDP socket on ADDRESS:6081 playing a router, an edge node
// or a target's host, the outer headers put back on what it received, and a TCP segment.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/geneve.h"
#include "packet/parser.h"

namespace openvpc::hyperplane::testing {

// Waits (at most 5 s: a bound for a loaded machine, not a measurement) until done() holds.
inline bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 250; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A UDP socket on ADDRESS:6081 playing a router or an edge node.
class Peer {
 public:
  Peer(uint32_t address, uint32_t vni)
      : fd_(::socket(AF_INET, SOCK_DGRAM, 0)), address_(address), vni_(vni) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(packet::kGenevePort);
    local.sin_addr.s_addr = htonl(address);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0;
  }
  ~Peer() { ::close(fd_); }
  bool bound() const { return bound_; }

  // Sends `inner` in Geneve to `node` as this peer would.
  void send(uint32_t node, std::span<const uint8_t> inner, uint32_t source_eni,
            uint32_t destination_eni, uint16_t flags, uint16_t gso_size = 0) const {
    packet::GeneveEncap e;
    e.outer_src_v4 = address_;
    e.outer_dst_v4 = node;
    e.src_port = packet::kGenevePort;
    e.vni = vni_;
    e.source_eni = source_eni;
    e.destination_eni = destination_eni;
    e.vpc_flags = flags;
    e.gso_size = gso_size;
    const std::vector<uint8_t> whole = packet::build_geneve(e, inner);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(packet::kGenevePort);
    to.sin_addr.s_addr = htonl(node);
    ::sendto(fd_, whole.data() + 28, whole.size() - 28, 0, reinterpret_cast<sockaddr*>(&to),
             sizeof to);
  }

  // The next packet (outer headers rebuilt from the sender), parsed; nullopt after 5 s.
  std::optional<std::pair<std::vector<uint8_t>, uint32_t>> receive() const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return std::nullopt;
    std::vector<uint8_t> payload(65536);
    sockaddr_in from{};
    socklen_t size = sizeof from;
    const ssize_t n = ::recvfrom(fd_, payload.data(), payload.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &size);
    if (n <= 0) return std::nullopt;
    payload.resize(size_t(n));
    return std::pair{payload, ntohl(from.sin_addr.s_addr)};
  }

 private:
  int fd_;
  uint32_t address_;
  uint32_t vni_;
  bool bound_ = false;
};

// The Geneve payload as a full outer packet from `from` (what parse_ip wants).
inline packet::PacketMeta parse_from(std::vector<uint8_t>& geneve, uint32_t from, uint32_t to) {
  packet::GeneveEncap e;
  e.outer_src_v4 = from;
  e.outer_dst_v4 = to;
  std::vector<uint8_t> whole = packet::build_geneve(e, {});
  whole.resize(28);
  whole.insert(whole.end(), geneve.begin(), geneve.end());
  packet::store_be16(&whole[2], uint16_t(whole.size()));
  packet::store_be16(&whole[24], uint16_t(whole.size() - 20));
  geneve = whole;
  return packet::parse_ip(geneve);
}

inline std::vector<uint8_t> tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                uint8_t flags) {
  packet::TcpSpec spec;
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  spec.seq = 1000;
  spec.ack = 5;
  const uint8_t payload[] = {'h', 'p', 'n'};
  return packet::build_tcp({.src = packet::IpAddress::v4(src), .dst = packet::IpAddress::v4(dst)},
                           spec, payload);
}

}  // namespace openvpc::hyperplane::testing
