// tap_port_test.cc — a TAP as an instance's interface: created, moved into a namespace, and
// answered by the test (ARP + ICMP echo built by hand) the way the router's local services
// will; the virtio-net header checked in both directions.
#include "io/tap_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "io/netns.h"
#include "io/offload.h"
#include "io_test_util.h"
#include "test_packets.h"

namespace openvpc::io {
namespace {

using namespace std::chrono_literals;
using namespace openvpc::io::testing;

constexpr std::array<uint8_t, 6> kInstanceMac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
constexpr Mac kRouterMac{{0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe}};
constexpr uint32_t kGateway = 0x0a630001;   // 10.99.0.1: answered by the test
constexpr uint32_t kInstance = 0x0a630002;  // 10.99.0.2: the TAP inside the namespace

// Answers ARP for the gateway and ICMP echo to it; keeps UDP frames sent to it. Stops and
// joins on destruction, so a failing assertion cannot leave the thread running.
class Responder {
 public:
  explicit Responder(TapPort& tap) : tap_(tap), thread_([this] { loop(); }) {}
  ~Responder() {
    stop_ = true;
    thread_.join();
  }
  // Waits (bounded) for a UDP frame to the gateway; returns it with its virtio header.
  bool wait_for_udp(std::vector<uint8_t>& frame, VirtioNetHeader& vnet) {
    std::unique_lock lock(mutex_);
    if (!seen_.wait_for(lock, 10s, [&] { return !udp_.empty(); })) return false;
    frame = udp_.front().first;
    vnet = udp_.front().second;
    return true;
  }
  uint64_t replies() const { return replies_; }

 private:
  void loop() {
    std::vector<std::vector<uint8_t>> buffers(8, std::vector<uint8_t>(kMaxFrameSize));
    std::vector<Frame> frames(buffers.size());
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{tap_.fd(), POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      for (size_t i = 0; i < frames.size(); ++i)
        frames[i] = {buffers[i].data(), 0, kMaxFrameSize, {}};
      const size_t n = tap_.receive(frames);
      for (size_t i = 0; i < n; ++i) handle(frames[i]);
    }
  }
  void handle(Frame& in) {
    std::vector<uint8_t> f(in.data, in.data + in.size);
    if (f.size() >= 42 && get16(&f[12]) == 0x0806 && get16(&f[20]) == 1 &&
        get32(&f[38]) == kGateway) {
      reply(arp_reply(f));
    } else if (f.size() >= 42 && get16(&f[12]) == 0x0800 && get32(&f[30]) == kGateway) {
      if (f[23] == 1 && f[34] == 8) reply(echo_reply(f));
      if (f[23] == 17) {
        std::lock_guard lock(mutex_);
        udp_.emplace_back(f, in.vnet);
        seen_.notify_all();
      }
    }
  }
  void reply(std::vector<uint8_t> f) {
    Frame out{f.data(), uint32_t(f.size()), uint32_t(f.size()), {}};
    replies_ += tap_.send(std::span(&out, 1));
  }
  static std::vector<uint8_t> arp_reply(const std::vector<uint8_t>& request) {
    std::vector<uint8_t> f;
    const Mac requester{
        {request[22], request[23], request[24], request[25], request[26], request[27]}};
    append_ethernet(f, requester, kRouterMac, 0x0806);
    f.insert(f.end(), {0, 1, 8, 0, 6, 4, 0, 2});
    f.insert(f.end(), kRouterMac.b, kRouterMac.b + 6);
    f.resize(f.size() + 4);
    put32(f, 28, kGateway);
    f.insert(f.end(), request.begin() + 22, request.begin() + 32);  // requester MAC + IP
    return f;
  }
  static std::vector<uint8_t> echo_reply(std::vector<uint8_t> f) {
    std::memcpy(&f[0], &f[6], 6);
    std::memcpy(&f[6], kRouterMac.b, 6);
    put32(f, 30, get32(&f[26]));
    put32(f, 26, kGateway);
    put16(f, 24, 0);
    put16(f, 24, uint16_t(~ones_sum(&f[14], 20)));
    f[34] = 0;  // echo reply
    put16(f, 36, 0);
    put16(f, 36, uint16_t(~ones_sum(&f[34], f.size() - 34)));
    return f;
  }

  TapPort& tap_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> replies_{0};
  std::mutex mutex_;
  std::condition_variable seen_;
  std::vector<std::pair<std::vector<uint8_t>, VirtioNetHeader>> udp_;
  std::thread thread_;
};

// An instance: a namespace holding a TAP with an address, and the test answering for it.
Result<TapInstance> make_instance(const std::string& suffix) {
  return make_tap_instance(suffix, kInstanceMac, kInstance);
}

// Inside the namespace: one ICMP echo to the gateway over a raw socket, as ping does.
Result<int> echo_from_inside() {
  const int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) return make_error("test", "raw socket");
  std::vector<uint8_t> request(8 + 32, 0x5a);
  request[0] = 8;
  request[1] = 0;
  put16(request, 2, 0);
  put16(request, 4, 0x4242);
  put16(request, 6, 1);
  put16(request, 2, uint16_t(~ones_sum(request.data(), request.size())));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(kGateway);
  sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  int replies = 0;
  uint8_t answer[1500];
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (replies == 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t got = recv(fd, answer, sizeof answer, 0);
    const size_t ihl = (answer[0] & 0x0f) * 4u;
    if (got >= ssize_t(ihl + 8) && answer[ihl] == 0 && get16(answer + ihl + 4) == 0x4242) ++replies;
  }
  close(fd);
  return replies;
}

TEST(TapPort, CreateSetsMtuMacAndUp) {
  OPENVPC_REQUIRE_ROOT();
  Result<TapPort> tap = TapPort::create({device_name('c'), 9001, kInstanceMac, true});
  ASSERT_TRUE(tap) << tap.error().message;
  EXPECT_EQ(tap->name(), device_name('c'));
  EXPECT_EQ(tap->mac(), kInstanceMac);
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, tap->name().c_str(), IFNAMSIZ - 1);
  ASSERT_EQ(ioctl(s, SIOCGIFMTU, &ifr), 0);
  EXPECT_EQ(ifr.ifr_mtu, 9001);
  ASSERT_EQ(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
  EXPECT_EQ(0, std::memcmp(ifr.ifr_hwaddr.sa_data, kInstanceMac.data(), 6));
  ASSERT_EQ(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
  EXPECT_TRUE(ifr.ifr_flags & IFF_UP);
  close(s);
  const std::string name = tap->name();
  { TapPort gone = std::move(*tap); }
  EXPECT_EQ(if_nametoindex(name.c_str()), 0u) << "the device goes with the descriptor";
}

TEST(TapPort, RejectsATooLongName) {
  EXPECT_FALSE(TapPort::create({"a-name-far-too-long-for-linux", 1500, {}, true}));
}

TEST(TapPort, PingFromInsideTheNamespaceIsAnsweredThroughTheTap) {
  OPENVPC_REQUIRE_ROOT();
  Result<TapInstance> instance = make_instance("ping");
  ASSERT_TRUE(instance) << instance.error().message;
  Responder responder(instance->tap);
  Result<int> replies = instance->ns.run(echo_from_inside);
  ASSERT_TRUE(replies) << replies.error().message;
  EXPECT_EQ(*replies, 1);
  for (const char* ping : {"/usr/bin/ping", "/bin/ping"}) {
    if (access(ping, X_OK) != 0) continue;  // iputils-ping is optional on the machine
    Result<int> status = instance->ns.run_program({ping, "-c1", "-W5", "10.99.0.1"}, 20s);
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_EQ(*status, 0) << ping;
    break;
  }
  EXPECT_GE(responder.replies(), 2u) << "at least one ARP reply and one echo reply";
}

TEST(TapPort, ReceivesPartialChecksumsAndSendsThem) {
  OPENVPC_REQUIRE_ROOT();
  Result<TapInstance> instance = make_instance("csum");
  ASSERT_TRUE(instance) << instance.error().message;
  Responder responder(instance->tap);
  // A UDP socket inside the namespace: it sends to the gateway, and later receives.
  Result<int> fd = instance->ns.run([]() -> Result<int> {
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{AF_INET, htons(7000), {htonl(kInstance)}, {}};
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
      return make_error("test", "udp socket");
    }
    return s;
  });
  ASSERT_TRUE(fd) << fd.error().message;
  const char text[] = "checksum me, please";
  sockaddr_in gateway{AF_INET, htons(9), {htonl(kGateway)}, {}};
  ASSERT_GT(
      sendto(*fd, text, sizeof text, 0, reinterpret_cast<sockaddr*>(&gateway), sizeof gateway), 0);
  std::vector<uint8_t> frame;
  VirtioNetHeader vnet;
  ASSERT_TRUE(responder.wait_for_udp(frame, vnet));
  EXPECT_TRUE(vnet.flags & kVirtioNeedsChecksum) << "TUN_F_CSUM leaves it to us";
  EXPECT_EQ(vnet.csum_start, 34);
  EXPECT_EQ(vnet.csum_offset, 6);
  ASSERT_EQ(complete_checksum(frame, vnet), OffloadError::none);
  EXPECT_TRUE(l4_checksum_ok(&frame[14], 17, &frame[34], uint32_t(frame.size() - 34)));

  // The other way: a UDP frame whose checksum only holds the pseudo-header sum, flagged.
  std::vector<uint8_t> out;
  append_ethernet(out,
                  Mac{{kInstanceMac[0], kInstanceMac[1], kInstanceMac[2], kInstanceMac[3],
                       kInstanceMac[4], kInstanceMac[5]}},
                  kRouterMac, 0x0800);
  append_ipv4(out, kGateway, kInstance, 17, uint16_t(8 + sizeof text));
  out.resize(42);
  put16(out, 34, 9);
  put16(out, 36, 7000);
  put16(out, 38, uint16_t(8 + sizeof text));
  out.insert(out.end(), text, text + sizeof text);
  put16(out, 40, ones_sum(nullptr, 0, pseudo_sum(&out[14], 17, uint32_t(8 + sizeof text))));
  Frame partial{out.data(), uint32_t(out.size()), uint32_t(out.size()), {}};
  partial.vnet.flags = kVirtioNeedsChecksum;
  partial.vnet.csum_start = 34;
  partial.vnet.csum_offset = 6;
  ASSERT_EQ(instance->tap.send(std::span(&partial, 1)), 1u);
  pollfd p{*fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1) << "the datagram reached the socket inside";
  char got[64] = {};
  EXPECT_EQ(recv(*fd, got, sizeof got, 0), ssize_t(sizeof text));
  EXPECT_STREQ(got, text);
  close(*fd);
}

}  // namespace
}  // namespace openvpc::io
