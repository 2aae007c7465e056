// underlay_socket_test.cc — UDP underlay round trips between 127.0.0.2 and 127.0.0.3 in
// batches of 64, with and without UDP GSO/GRO.
#include "io/underlay_socket.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <vector>

namespace openvpc::io {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kHostA = 0x7f000002;  // 127.0.0.2
constexpr uint32_t kHostB = 0x7f000003;  // 127.0.0.3

// Caller-owned buffers for a batch, the way the router holds them.
struct Batch {
  Batch(size_t count, uint32_t capacity) : buffers(count, std::vector<uint8_t>(capacity)) {
    for (auto& b : buffers) datagrams.push_back({b.data(), 0, capacity});
  }
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<Datagram> datagrams;
};

UnderlaySocket open_socket(uint32_t address, bool gso = false, bool gro = false) {
  Result<UnderlaySocket> s = UnderlaySocket::open({address, 0, gro, gso});
  EXPECT_TRUE(s) << s.error().message;
  return std::move(*s);
}

// Fills `batch` with `count` datagrams to `to`: datagram i has `size_of(i)` bytes of i.
template <typename SizeOf>
void fill(Batch& batch, size_t count, const UnderlaySocket& to, SizeOf size_of) {
  for (size_t i = 0; i < count; ++i) {
    Datagram& d = batch.datagrams[i];
    d.size = size_of(i);
    std::fill(d.data, d.data + d.size, uint8_t(i));
    d.peer_address = kHostB;
    d.peer_port = to.port();
  }
}

// Receives until `expected` datagrams (GRO segments counted) arrived or 10 s passed;
// returns the payloads in order.
std::vector<std::vector<uint8_t>> receive_all(UnderlaySocket& s, Batch& batch, size_t expected,
                                              uint32_t expect_from, uint16_t expect_port) {
  std::vector<std::vector<uint8_t>> got;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.size() < expected && std::chrono::steady_clock::now() < deadline) {
    pollfd p{s.fd(), POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    for (auto& d : batch.datagrams) d.capacity = uint32_t(batch.buffers[0].size());
    const size_t n = s.receive(batch.datagrams);
    for (size_t i = 0; i < n; ++i) {
      const Datagram& d = batch.datagrams[i];
      EXPECT_EQ(d.peer_address, expect_from);
      EXPECT_EQ(d.peer_port, expect_port);
      for_each_segment(d, [&](const uint8_t* p, uint32_t size) { got.emplace_back(p, p + size); });
    }
  }
  return got;
}

TEST(UnderlaySocket, RoundTripInBatchesOf64) {
  UnderlaySocket a = open_socket(kHostA);
  UnderlaySocket b = open_socket(kHostB);
  Batch out(64, 2048), in(64, 2048);
  fill(out, 64, b, [](size_t i) { return uint32_t(1 + i * 20); });
  ASSERT_EQ(a.send(out.datagrams), 64u);
  auto got = receive_all(b, in, 64, kHostA, a.port());
  ASSERT_EQ(got.size(), 64u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].size(), 1 + i * 20);
    EXPECT_EQ(got[i], std::vector<uint8_t>(1 + i * 20, uint8_t(i)));
  }
  // And back, to the source each datagram reported.
  for (auto& d : out.datagrams) {
    d.peer_address = kHostA;
    d.peer_port = a.port();
  }
  ASSERT_EQ(b.send(out.datagrams), 64u);
  EXPECT_EQ(receive_all(a, in, 64, kHostB, b.port()).size(), 64u);
  EXPECT_EQ(a.stats().sent, 64u);
  EXPECT_EQ(a.stats().received, 64u);
}

TEST(UnderlaySocket, GsoSendsRunsOfSameSizeDatagramsThatArriveSeparately) {
  UnderlaySocket a = open_socket(kHostA, /*gso=*/true);
  UnderlaySocket b = open_socket(kHostB);
  Batch out(64, 2048), in(64, 2048);
  // Two runs of 1400-byte datagrams (the second ends short) broken by a small one.
  fill(out, 64, b, [](size_t i) { return i == 20 ? 100u : i == 63 ? 700u : 1400u; });
  ASSERT_EQ(a.send(out.datagrams), 64u);
  auto got = receive_all(b, in, 64, kHostA, a.port());
  ASSERT_EQ(got.size(), 64u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], std::vector<uint8_t>(out.datagrams[i].size, uint8_t(i))) << i;
  }
}

TEST(UnderlaySocket, GroDeliversCoalescedSegmentsThatSplitBack) {
  UnderlaySocket a = open_socket(kHostA, /*gso=*/true);
  UnderlaySocket b = open_socket(kHostB, /*gso=*/false, /*gro=*/true);
  Batch out(40, 2048), in(8, 65536);
  fill(out, 40, b, [](size_t) { return 1000u; });
  ASSERT_EQ(a.send(out.datagrams), 40u);
  auto got = receive_all(b, in, 40, kHostA, a.port());
  ASSERT_EQ(got.size(), 40u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], std::vector<uint8_t>(1000, uint8_t(i))) << i;
  }
  EXPECT_EQ(b.stats().received, 40u);
}

TEST(UnderlaySocket, CountsAndDropsDatagramsLargerThanTheBuffer) {
  UnderlaySocket a = open_socket(kHostA);
  UnderlaySocket b = open_socket(kHostB);
  Batch out(2, 2048), in(4, 512);
  fill(out, 2, b, [](size_t i) { return i == 0 ? 1500u : 100u; });
  ASSERT_EQ(a.send(out.datagrams), 2u);
  auto got = receive_all(b, in, 1, kHostA, a.port());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), 100u);
  EXPECT_EQ(b.stats().receive_truncated, 1u);
}

TEST(UnderlaySocket, BindFailureIsAnError) {
  UnderlaySocket a = open_socket(kHostA);
  Result<UnderlaySocket> clash = UnderlaySocket::open({kHostA, a.port(), false, false});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("bind"), std::string::npos);
}

}  // namespace
}  // namespace openvpc::io
