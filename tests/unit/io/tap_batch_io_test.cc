// tap_batch_io_test.cc — batches of TAP reads and writes through io_uring, against a real TAP
// in a namespace: frames come out in the order the instance sent them, few system calls carry
// many frames, a refused frame is counted and does not stop the others.
#include "io/tap_batch_io.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "io/netns.h"
#include "io/tap_port.h"
#include "io_test_util.h"
#include "test_packets.h"

namespace openvpc::io {
namespace {

using namespace std::chrono_literals;
using namespace openvpc::io::testing;

constexpr std::array<uint8_t, 6> kInstanceMac = {0x02, 0x00, 0x5e, 0x10, 0x01, 0x02};
constexpr Mac kGatewayMac{{0x02, 0x00, 0x5e, 0x10, 0x01, 0xfe}};
constexpr uint32_t kGateway = 0x0a640001;   // 10.100.0.1: the test's side of the TAP
constexpr uint32_t kInstance = 0x0a640002;  // 10.100.0.2: the TAP inside the namespace
constexpr uint16_t kInstancePort = 7000;
constexpr uint16_t kGatewayPort = 9;

// An instance (io_test_util.h) with a UDP socket bound to kInstance:kInstancePort inside, and
// a permanent neighbour entry for the gateway (no ARP to answer).
struct Instance {
  TapInstance side;
  int socket = -1;
  explicit Instance(TapInstance s, int fd) : side(std::move(s)), socket(fd) {}
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance() {
    if (socket >= 0) close(socket);
  }
  TapPort& tap() { return side.tap; }
};

Result<std::unique_ptr<Instance>> make_instance(char suffix) {
  Result<TapInstance> side =
      make_tap_instance(std::string(1, suffix) + "batch", kInstanceMac, kInstance);
  if (!side) return side.error();
  Result<int> neighbour =
      side->ns.run_program({"/usr/sbin/ip", "neigh", "replace", "10.100.0.1", "lladdr",
                            "02:00:5e:10:01:fe", "dev", side->tap.name(), "nud", "permanent"},
                           10s);
  if (!neighbour || *neighbour != 0) return make_error("test", "ip neigh replace");
  Result<int> fd = side->ns.run([]() -> Result<int> {
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{AF_INET, htons(kInstancePort), {htonl(kInstance)}, {}};
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
      return make_error("test", "udp socket");
    }
    return s;
  });
  if (!fd) return fd.error();
  return std::make_unique<Instance>(std::move(*side), *fd);
}

// The sequence number a UDP frame to the gateway carries, or -1 for any other frame (the
// kernel's own IPv6 router solicitations and the like).
int sequence_of(const Frame& frame) {
  const uint8_t* f = frame.data;
  if (frame.size < 46 || get16(f + 12) != 0x0800 || f[23] != 17 || get32(f + 30) != kGateway ||
      get16(f + 36) != kGatewayPort) {
    return -1;
  }
  return int(get32(f + 42));
}

// A UDP frame from the gateway to the instance carrying `sequence`, checksum complete.
std::vector<uint8_t> frame_to_instance(uint32_t sequence) {
  std::vector<uint8_t> out;
  append_ethernet(out,
                  Mac{{kInstanceMac[0], kInstanceMac[1], kInstanceMac[2], kInstanceMac[3],
                       kInstanceMac[4], kInstanceMac[5]}},
                  kGatewayMac, 0x0800);
  append_ipv4(out, kGateway, kInstance, 17, 8 + 4);
  out.resize(46);
  put16(out, 34, kGatewayPort);
  put16(out, 36, kInstancePort);
  put16(out, 38, 8 + 4);
  put32(out, 42, sequence);
  put16(out, 40, 0);  // no UDP checksum (IPv4 allows it)
  return out;
}

TEST(TapBatchIo, ReceivesTheInstancesFramesInOrderInFewSystemCalls) {
  OPENVPC_REQUIRE_ROOT();
  Result<TapBatchIo> io = TapBatchIo::create();
  if (!io) GTEST_SKIP() << "no io_uring here: " << io.error().message;
  Result<std::unique_ptr<Instance>> instance = make_instance('r');
  ASSERT_TRUE(instance) << instance.error().message;
  constexpr uint32_t kSent = 40;
  for (uint32_t i = 0; i < kSent; ++i) {
    const uint32_t sequence = htonl(i);
    sockaddr_in gateway{AF_INET, htons(kGatewayPort), {htonl(kGateway)}, {}};
    ASSERT_EQ(sendto((*instance)->socket, &sequence, sizeof sequence, 0,
                     reinterpret_cast<sockaddr*>(&gateway), sizeof gateway),
              ssize_t(sizeof sequence));
  }
  std::vector<std::vector<uint8_t>> buffers(64, std::vector<uint8_t>(kMaxFrameSize));
  std::vector<Frame> frames(buffers.size());
  std::vector<int> sequences;
  uint64_t calls = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sequences.size() < kSent && std::chrono::steady_clock::now() < deadline) {
    pollfd p{(*instance)->tap().fd(), POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    for (size_t i = 0; i < frames.size(); ++i) {
      frames[i] = {buffers[i].data(), 0, uint32_t(buffers[i].size()), {}};
    }
    const size_t got = io->receive((*instance)->tap().fd(), frames);
    ++calls;
    for (size_t i = 0; i < got; ++i) {
      if (const int sequence = sequence_of(frames[i]); sequence >= 0) sequences.push_back(sequence);
    }
  }
  ASSERT_EQ(sequences.size(), size_t{kSent});
  for (uint32_t i = 0; i < kSent; ++i) EXPECT_EQ(sequences[i], int(i)) << "in order";
  EXPECT_EQ(io->stats().receive_errors, 0u);
  // Rounds of 4, 8, 16, 32: a few system calls per receive(), not one per frame.
  EXPECT_LE(io->stats().submits, calls * 5);
  EXPECT_LT(io->stats().submits, uint64_t{kSent} / 2);
}

TEST(TapBatchIo, SendsEveryFrameAndSkipsARefusedOne) {
  OPENVPC_REQUIRE_ROOT();
  Result<TapBatchIo> io = TapBatchIo::create();
  if (!io) GTEST_SKIP() << "no io_uring here: " << io.error().message;
  Result<std::unique_ptr<Instance>> instance = make_instance('s');
  ASSERT_TRUE(instance) << instance.error().message;
  // 300 frames (more than one system call carries) in two writes to the same TAP; frame 100
  // has a GSO type the kernel does not know, so the TAP refuses it.
  constexpr uint32_t kFrames = 300;
  constexpr uint32_t kRefused = 100;
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<Frame> frames;
  for (uint32_t i = 0; i < kFrames; ++i) payloads.push_back(frame_to_instance(i));
  for (auto& p : payloads) frames.push_back({p.data(), uint32_t(p.size()), uint32_t(p.size()), {}});
  frames[kRefused].vnet.gso_type = 0x42;
  frames[kRefused].vnet.gso_size = 100;
  const int fd = (*instance)->tap().fd();
  std::vector<TapWrite> writes = {{fd, std::span(frames).first(150), 0},
                                  {fd, std::span(frames).subspan(150), 0}};
  io->send(writes);
  EXPECT_EQ(writes[0].sent, 149u);
  EXPECT_EQ(writes[1].sent, 150u);
  EXPECT_EQ(io->stats().send_errors, 1u);
  EXPECT_GE(io->stats().submits, 3u) << "300 frames need three rings' worth";
  EXPECT_LE(io->stats().submits, 6u);

  std::vector<uint32_t> received;
  while (received.size() < kFrames - 1) {
    pollfd p{(*instance)->socket, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) break;
    uint32_t sequence = 0;
    if (recv((*instance)->socket, &sequence, sizeof sequence, 0) != ssize_t(sizeof sequence)) break;
    received.push_back(ntohl(sequence));
  }
  ASSERT_EQ(received.size(), size_t{kFrames - 1});
  for (uint32_t i = 0, expected = 0; i < received.size(); ++i, ++expected) {
    if (expected == kRefused) ++expected;
    EXPECT_EQ(received[i], expected);
  }
}

}  // namespace
}  // namespace openvpc::io
