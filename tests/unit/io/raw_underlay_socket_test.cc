// raw_underlay_socket_test.cc — full outer IPv4+UDP packets from 127.0.0.2 with per-flow
// source ports, received by an UnderlaySocket on 127.0.0.3 that sees each port.
#include "io/raw_underlay_socket.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <vector>

#include "io_test_util.h"
#include "test_packets.h"

namespace openvpc::io {
namespace {

using namespace std::chrono_literals;
using namespace openvpc::io::testing;

constexpr uint32_t kHostA = 0x7f000002;
constexpr uint32_t kHostB = 0x7f000003;

// Outer IPv4 + UDP + payload, UDP checksum computed (or 0 when `zero_checksum`).
std::vector<uint8_t> outer_packet(uint16_t source_port, uint16_t destination_port,
                                  size_t payload_size, bool zero_checksum) {
  std::vector<uint8_t> p;
  append_ipv4(p, kHostA, kHostB, 17, uint16_t(8 + payload_size), 0);
  p.resize(28);
  put16(p, 20, source_port);
  put16(p, 22, destination_port);
  put16(p, 24, uint16_t(8 + payload_size));
  for (size_t i = 0; i < payload_size; ++i) p.push_back(uint8_t(source_port + i));
  if (!zero_checksum) {
    const uint16_t sum =
        ~ones_sum(&p[20], p.size() - 20, pseudo_sum(p.data(), 17, uint32_t(p.size() - 20)));
    put16(p, 26, sum == 0 ? 0xffff : sum);
  }
  return p;
}

TEST(RawUnderlaySocket, PerFlowSourcePortsSurvive) {
  OPENVPC_REQUIRE_ROOT();
  Result<RawUnderlaySocket> raw = RawUnderlaySocket::open();
  ASSERT_TRUE(raw) << raw.error().message;
  Result<UnderlaySocket> b = UnderlaySocket::open({kHostB, 0, false, false});
  ASSERT_TRUE(b) << b.error().message;
  constexpr size_t kCount = 16;
  std::vector<std::vector<uint8_t>> packets;
  std::vector<Datagram> out;
  for (size_t i = 0; i < kCount; ++i) {
    packets.push_back(outer_packet(uint16_t(50000 + i * 7), b->port(), 60 + i, i % 2 == 1));
  }
  for (auto& p : packets) out.push_back({p.data(), uint32_t(p.size()), 0, kHostB, 0, 0, 0});
  ASSERT_EQ(raw->send(out), kCount);

  std::vector<std::vector<uint8_t>> buffers(kCount, std::vector<uint8_t>(2048));
  std::vector<Datagram> in;
  for (auto& buffer : buffers) in.push_back({buffer.data(), 0, 2048});
  size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got < kCount && std::chrono::steady_clock::now() < deadline) {
    pollfd p{b->fd(), POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const size_t n = b->receive(std::span(in).subspan(got));
    for (size_t i = got; i < got + n; ++i) {
      EXPECT_EQ(in[i].peer_address, kHostA);
      EXPECT_EQ(in[i].source_port, 50000 + i * 7) << "the per-flow port, not a bound one";
      ASSERT_EQ(in[i].size, 60 + i);
      EXPECT_EQ(0, memcmp(in[i].data, &packets[i][28], in[i].size));
    }
    got += n;
  }
  EXPECT_EQ(got, kCount);
}

// A full send buffer answers at once: send() takes what fits and reports the rest as would
// block, so a router worker can count the drop instead of waiting (Worker::flush). The buffer
// fills for real: the socket lives in a namespace whose only route leaves through a veth with a
// token-bucket qdisc at 8 kbit/s (and a static neighbour, so nothing waits on ARP), which holds
// every queued packet, and its share of the socket's send buffer, far longer than the test runs.
TEST(RawUnderlaySocket, AFullSendBufferRefusesWithoutWaiting) {
  OPENVPC_REQUIRE_ROOT();
  Result<NetworkNamespace> ns = NetworkNamespace::create(namespace_name("full"));
  ASSERT_TRUE(ns) << ns.error().message;
  const std::string device = device_name('q'), peer = device_name('r');
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {"/usr/sbin/ip", "link", "add", device, "type", "veth", "peer", "name", peer},
           {"/usr/sbin/ip", "addr", "add", "10.99.0.1/24", "dev", device},
           {"/usr/sbin/ip", "link", "set", device, "up"},
           {"/usr/sbin/ip", "link", "set", peer, "up"},
           {"/usr/sbin/ip", "neigh", "add", "10.99.0.2", "lladdr", "02:00:00:00:00:02", "dev",
            device},
           {"/usr/sbin/tc", "qdisc", "add", "dev", device, "root", "tbf", "rate", "8kbit", "burst",
            "1600", "limit", "10000000"}}) {
    Result<int> status = ns->run_program(argv, 10s);
    ASSERT_TRUE(status) << status.error().message;
    ASSERT_EQ(*status, 0) << argv[0] << " " << argv[1] << " " << argv[2];
  }
  // Opened inside the namespace; 64 KB of send buffer (the router's is 4 MB).
  Result<RawUnderlaySocket> raw = ns->run([] { return RawUnderlaySocket::open(64 << 10); });
  ASSERT_TRUE(raw) << raw.error().message;
  constexpr uint32_t kPeer = 0x0a630002;  // 10.99.0.2, behind the dummy
  std::vector<uint8_t> packet = outer_packet(50000, 6081, 1000, false);
  put16(packet, 12, 0x0a63);  // source 10.99.0.1, destination 10.99.0.2
  put16(packet, 14, 0x0001);
  put16(packet, 16, 0x0a63);
  put16(packet, 18, 0x0002);
  constexpr size_t kCount = 1000;  // 1 MB: sixteen times the buffer
  std::vector<Datagram> out(kCount, Datagram{packet.data(), uint32_t(packet.size()), 0, kPeer});
  const size_t sent = raw->send(out);
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, kCount / 4) << "the buffer holds ~60 of these packets, not " << sent;
  EXPECT_EQ(raw->stats().send_would_block, 1u) << "one refusal ends the batch";
  EXPECT_EQ(raw->stats().send_errors, 0u);
  // Still full: the next batch is refused whole, again without waiting for room.
  EXPECT_EQ(raw->send(std::span(out).first(8)), 0u);
  EXPECT_EQ(raw->stats().send_would_block, 2u);
  EXPECT_EQ(raw->stats().sent, sent);
}

}  // namespace
}  // namespace openvpc::io
