#include "router/dispatch.h"

#include <gtest/gtest.h>

#include <set>

#include "packet/builder.h"
#include "test_programs.h"

namespace openvpc::router {
namespace {

using testing::v4;

std::vector<uint8_t> frame_a_to_b(uint16_t port, uint8_t protocol) {
  packet::IpSpec ip{v4(10, 0, 1, 5), v4(10, 0, 2, 7)};
  auto inner = protocol == packet::kProtoTcp ? packet::build_tcp(ip, {port, 80})
                                             : packet::build_udp(ip, {port, 53});
  return packet::with_ethernet({}, inner);
}

// The reply B -> A as it arrives from the underlay: outer IPv4 / UDP / Geneve / inner.
std::vector<uint8_t> underlay_b_to_a(uint16_t port, uint8_t protocol) {
  packet::IpSpec ip{v4(10, 0, 2, 7), v4(10, 0, 1, 5)};
  auto inner = protocol == packet::kProtoTcp ? packet::build_tcp(ip, {80, port})
                                             : packet::build_udp(ip, {53, port});
  packet::GeneveEncap encap;
  encap.outer_src_v4 = 0x7f000003;
  encap.outer_dst_v4 = 0x7f000002;
  encap.src_port = 40000;
  encap.vni = 7;
  encap.source_eni = 201;
  encap.destination_eni = 101;
  return packet::build_geneve(encap, inner);
}

TEST(Dispatch, BothDirectionsOfAFlowReachTheSameWorker) {
  for (uint32_t workers = 1; workers <= 8; ++workers) {
    std::set<uint32_t> used;
    for (uint16_t port = 30000; port < 30200; ++port) {
      for (uint8_t protocol : {packet::kProtoTcp, packet::kProtoUdp}) {
        const uint32_t out = worker_for_frame(frame_a_to_b(port, protocol), workers);
        const uint32_t back = worker_for_underlay(underlay_b_to_a(port, protocol), workers);
        ASSERT_EQ(out, back) << "port " << port << " workers " << workers;
        ASSERT_LT(out, workers);
        used.insert(out);
      }
    }
    EXPECT_EQ(used.size(), workers) << "200 flows should spread over every worker";
  }
}

TEST(Dispatch, UnparsableAndNonIpGoToWorkerZero) {
  const std::vector<uint8_t> runt = {1, 2, 3};
  EXPECT_EQ(worker_for_frame(runt, 4), 0u);
  EXPECT_EQ(worker_for_underlay(runt, 4), 0u);
  auto arp = packet::build_arp_request({}, v4(10, 0, 1, 5), v4(10, 0, 1, 1));
  EXPECT_EQ(worker_for_frame(arp, 4), 0u);
}

TEST(Inbox, HandsOverCopiesAndRefusesWhenFull) {
  Inbox inbox(2, 256, 64);
  const std::vector<uint8_t> a(100, 0xaa), b(50, 0xbb), c(10, 0xcc);
  EXPECT_TRUE(inbox.push(a, dataplane::Port::eni(1)));
  EXPECT_TRUE(inbox.push(b, dataplane::Port::underlay()));
  EXPECT_FALSE(inbox.push(c, dataplane::Port::eni(1))) << "both slots taken";
  EXPECT_FALSE(Inbox(1, 128, 64).push(a, dataplane::Port::eni(1))) << "bigger than a slot";
  std::vector<Inbox::Entry> entries;
  inbox.take(entries);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].size, 100);
  EXPECT_EQ(entries[0].in_port, dataplane::Port::eni(1));
  EXPECT_EQ(inbox.slot_data(entries[0].slot)[99], 0xaa);
  EXPECT_EQ(entries[1].in_port, dataplane::Port::underlay());
  EXPECT_EQ(inbox.slot_data(entries[1].slot)[0], 0xbb);
  EXPECT_EQ(inbox.headroom(), 64);
  inbox.release(entries);
  EXPECT_TRUE(inbox.push(c, dataplane::Port::eni(2)));
}

}  // namespace
}  // namespace openvpc::router
