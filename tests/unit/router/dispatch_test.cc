#include "router/dispatch.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>

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

// A UDP datagram's first fragment (ports), its later ones (none), the flow's whole datagrams
// and the replies from the underlay: one worker, for every flow and worker count. The same
// for a TCP segment's fragments (its unfragmented packets keep their own, port-keyed worker).
TEST(Dispatch, FragmentsMeetTheirDatagramAndFlowOnOneWorker) {
  const std::vector<uint8_t> payload(64, 7);
  for (uint32_t workers = 2; workers <= 8; ++workers) {
    for (uint16_t port = 30000; port < 30050; ++port) {
      packet::IpSpec first{v4(10, 0, 1, 5), v4(10, 0, 2, 7)};
      first.id = port;
      first.more_fragments = true;
      packet::IpSpec later = first;
      later.fragment_offset = 1480;
      later.more_fragments = false;
      const auto udp_first =
          packet::with_ethernet({}, packet::build_udp(first, {port, 53}, payload));
      const auto udp_later =
          packet::with_ethernet({}, packet::build_ip(later, packet::kProtoUdp, payload));
      const uint32_t worker = worker_for_frame(udp_first, workers);
      ASSERT_EQ(worker_for_frame(udp_later, workers), worker) << port << " " << workers;
      ASSERT_EQ(worker_for_frame(frame_a_to_b(port, packet::kProtoUdp), workers), worker);
      ASSERT_EQ(worker_for_underlay(underlay_b_to_a(port, packet::kProtoUdp), workers), worker);
      const auto tcp_first =
          packet::with_ethernet({}, packet::build_tcp(first, {port, 80}, payload));
      const auto tcp_later =
          packet::with_ethernet({}, packet::build_ip(later, packet::kProtoTcp, payload));
      ASSERT_EQ(worker_for_frame(tcp_first, workers), worker_for_frame(tcp_later, workers));
    }
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
  Inbox inbox(2, 2, 256, 64);  // producers 0 and 1, two slots each
  const std::vector<uint8_t> a(100, 0xaa), b(50, 0xbb), c(10, 0xcc);
  EXPECT_TRUE(inbox.push(0, a, dataplane::Port::eni(1)));
  EXPECT_TRUE(inbox.push(0, b, dataplane::Port::underlay()));
  EXPECT_FALSE(inbox.push(0, c, dataplane::Port::eni(1))) << "producer 0's slots taken";
  EXPECT_TRUE(inbox.push(1, c, dataplane::Port::eni(3))) << "producer 1 has its own";
  EXPECT_FALSE(inbox.push(2, c, dataplane::Port::eni(1))) << "no such producer";
  EXPECT_FALSE(Inbox(1, 1, 128, 64).push(0, a, dataplane::Port::eni(1))) << "bigger than a slot";
  std::vector<Inbox::Entry> entries;
  inbox.take(entries);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].size, 100);
  EXPECT_EQ(entries[0].in_port, dataplane::Port::eni(1));
  EXPECT_EQ(inbox.slot_data(entries[0].slot)[99], 0xaa);
  EXPECT_EQ(entries[1].in_port, dataplane::Port::underlay());
  EXPECT_EQ(inbox.slot_data(entries[1].slot)[0], 0xbb);
  EXPECT_EQ(entries[2].in_port, dataplane::Port::eni(3));
  EXPECT_EQ(inbox.slot_data(entries[2].slot)[9], 0xcc);
  EXPECT_EQ(inbox.headroom(), 64);
  EXPECT_FALSE(inbox.push(0, c, dataplane::Port::eni(2))) << "taken is not released";
  inbox.release();
  EXPECT_TRUE(inbox.push(0, c, dataplane::Port::eni(2)));
  inbox.take(entries);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].in_port, dataplane::Port::eni(2));
  inbox.release();
}

// A super-frame takes a large slot and keeps its place among its ring's small packets; with
// its ring's large slots in use push() refuses (the worker then cuts), small packets still go.
TEST(Inbox, SuperFramesCrossWholeInOrderInLargeSlots) {
  Inbox inbox(2, 8, 256, 64, 2, 64 + 65535);  // two large slots per producer
  const std::vector<uint8_t> small(100, 0x11), big(60000, 0x22), biggest(65535, 0x33);
  const Inbox::Offload tso{1448, 1};
  EXPECT_TRUE(inbox.push(0, small, dataplane::Port::eni(1)));
  EXPECT_TRUE(inbox.push(0, big, dataplane::Port::eni(1), tso));
  EXPECT_TRUE(inbox.push(0, small, dataplane::Port::eni(1)));
  EXPECT_TRUE(inbox.push(0, biggest, dataplane::Port::underlay()));
  EXPECT_FALSE(inbox.push(0, big, dataplane::Port::eni(1), tso)) << "both large slots in use";
  EXPECT_TRUE(inbox.push(0, small, dataplane::Port::eni(1))) << "small slots are still free";
  EXPECT_TRUE(inbox.push(1, big, dataplane::Port::eni(2), tso)) << "producer 1 has its own";
  EXPECT_FALSE(inbox.push(0, std::vector<uint8_t>(65536), dataplane::Port::eni(1)));
  EXPECT_FALSE(Inbox(1, 4, 256, 64).push(0, big, dataplane::Port::eni(1))) << "no large slots";

  std::vector<Inbox::Entry> entries;
  inbox.take(entries);
  ASSERT_EQ(entries.size(), 6u);
  const uint16_t sizes[] = {100, 60000, 100, 65535, 100, 60000};
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].size, sizes[i]) << i;
  EXPECT_FALSE(entries[0].large);
  EXPECT_TRUE(entries[1].large);
  EXPECT_EQ(entries[1].offload.gso_size, 1448);
  EXPECT_EQ(entries[1].offload.gso_type, 1);
  EXPECT_EQ(entries[2].offload.gso_size, 0);
  EXPECT_EQ(inbox.data(entries[1])[59999], 0x22);
  EXPECT_EQ(inbox.data(entries[3])[65534], 0x33);
  EXPECT_EQ(inbox.data(entries[2])[99], 0x11);
  EXPECT_EQ(inbox.capacity(entries[3]), 65535);
  EXPECT_EQ(inbox.capacity(entries[0]), 256 - 64);
  // Two super-frames in flight at once never share a slot.
  EXPECT_NE(inbox.data(entries[1]), inbox.data(entries[3]));
  EXPECT_NE(inbox.data(entries[1]), inbox.data(entries[5]));
  EXPECT_FALSE(inbox.push(0, big, dataplane::Port::eni(1), tso)) << "taken is not released";
  inbox.release();
  EXPECT_TRUE(inbox.push(0, big, dataplane::Port::eni(1), tso));
  EXPECT_TRUE(inbox.push(0, biggest, dataplane::Port::eni(1), tso));
  EXPECT_FALSE(inbox.push(0, big, dataplane::Port::eni(1), tso));
  inbox.take(entries);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(inbox.data(entries[0])[0], 0x22);
  EXPECT_EQ(inbox.data(entries[1])[0], 0x33);
  inbox.release();
}

// The owner is woken when a ring goes from empty to not empty, and again after release() when
// a producer pushed between take() and release() (it saw the ring as not empty: no wake).
TEST(Inbox, NothingPushedIsLeftAsleep) {
  Inbox inbox(1, 4, 128, 0);
  const std::vector<uint8_t> a(10, 1);
  std::vector<Inbox::Entry> entries;
  auto woken = [&] {
    pollfd readable{inbox.event_fd(), POLLIN, 0};
    return ::poll(&readable, 1, 0) == 1;
  };
  EXPECT_FALSE(woken());
  ASSERT_TRUE(inbox.push(0, a, dataplane::Port::eni(1)));
  EXPECT_TRUE(woken());
  inbox.take(entries);
  EXPECT_FALSE(woken());
  ASSERT_TRUE(inbox.push(0, a, dataplane::Port::eni(2)));  // ring not empty: no wake
  EXPECT_FALSE(woken());
  inbox.release();
  EXPECT_TRUE(woken());
  inbox.take(entries);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].in_port, dataplane::Port::eni(2));
  inbox.release();
  EXPECT_FALSE(woken());
}

// Two producer threads and the owner at once, the owner sleeping on the eventfd between
// takes: every packet arrives once, each producer's in the order it pushed them, and no
// wake-up is lost (the clang CI build runs it under ASan).
TEST(Inbox, ProducersAndOwnerRunConcurrently) {
  constexpr uint32_t kPerProducer = 5000;
  Inbox inbox(2, 64, 64, 0, 4, 256);  // every 7th packet is larger than a slot
  std::atomic<bool> go{false};
  auto produce = [&](uint32_t producer) {
    while (!go.load()) {
    }
    for (uint32_t i = 0; i < kPerProducer;) {
      uint8_t bytes[200] = {};
      std::memcpy(bytes, &i, 4);
      bytes[199] = uint8_t(i);
      const size_t size = i % 7 == 0 ? sizeof bytes : 4;
      if (inbox.push(producer, {bytes, size}, dataplane::Port::eni(producer))) ++i;
    }
  };
  std::thread first(produce, 0), second(produce, 1);
  go.store(true);
  uint32_t next[2] = {0, 0};
  std::vector<Inbox::Entry> entries;
  while (next[0] < kPerProducer || next[1] < kPerProducer) {
    // As a worker does: sleep until woken. A lost wake-up leaves both sides waiting (the
    // producers spin on a full ring): 10 s without one is that, not slowness.
    pollfd readable{inbox.event_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&readable, 1, 10000), 1) << "lost wake-up at " << next[0] << "/" << next[1];
    inbox.take(entries);
    for (const Inbox::Entry& entry : entries) {
      const uint32_t producer = entry.in_port.id;
      uint32_t value = 0;
      std::memcpy(&value, inbox.data(entry), 4);
      ASSERT_EQ(value, next[producer]) << producer;
      ASSERT_EQ(entry.large, value % 7 == 0) << value;
      if (entry.large) {
        ASSERT_EQ(inbox.data(entry)[199], uint8_t(value)) << value;
      }
      ++next[producer];
    }
    inbox.release();
  }
  first.join();
  second.join();
  EXPECT_EQ(next[0], kPerProducer);
  EXPECT_EQ(next[1], kPerProducer);
}

}  // namespace
}  // namespace openvpc::router
