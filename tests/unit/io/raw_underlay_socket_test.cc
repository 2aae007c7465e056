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

}  // namespace
}  // namespace openvpc::io
