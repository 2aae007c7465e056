// eni_allowance_test.cc — per-ENI allowances through the real Pipeline, with an advancing fake
// clock: packets per second and bandwidth out of and into an ENI deliver their allowance (give
// or take one burst) and count the excess on the ENI whose allowance it exceeded; a GSO
// super-frame costs its segments and its full length; unlimited passes everything; the
// link-local allowance limits what the router's own services get.
#include "dataplane/eni_allowance.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/pipeline.h"
#include "harness.h"
#include "packet/builder.h"
#include "packet/geneve.h"

namespace openvpc::dataplane::testing {
namespace {

using packet::kTcpAck;
using packet::kTcpSyn;
using D = DropReason;
using V = Verdict;

constexpr uint64_t kStartNs = uint64_t{1000} * 1'000'000'000;
constexpr uint64_t kMillisecond = 1'000'000;

PipelineConfig limited(uint32_t packets_per_second, uint32_t megabits_per_second) {
  PipelineConfig config{1024, 1024};
  config.allowance.packets_per_second = packets_per_second;
  config.allowance.megabits_per_second = megabits_per_second;
  return config;
}

// web1 -> the remote web server (encapsulated): what leaves web1.
Input outbound_udp(size_t payload_size = 4) {
  return {port_of(kWeb1),
          from_eni(kWeb1, udp_ip(kWeb1.ip, kRemoteWeb.ip, 40000, 9000, 64, payload_size))};
}
// The remote web server pings web1 (its security group lets ICMP in): what web1 is given.
Input inbound_ping() {
  return {Port::underlay(), geneve(kRemoteHost, kHost, 7, kRemoteWeb.id, kWeb1.id,
                                   ping_ip(kRemoteWeb.ip, kWeb1.ip, true, 77))};
}

struct Tally {
  uint64_t passed = 0;
  uint64_t passed_bytes = 0;
  uint64_t dropped = 0;
};

// Offers `per_millisecond` copies of input every millisecond for `milliseconds`.
Tally offer(World& world, const Input& input, size_t per_millisecond, uint64_t milliseconds,
            V passing, D reason) {
  Tally tally;
  const std::vector<Input> inputs(per_millisecond, input);
  for (uint64_t ms = 0; ms < milliseconds; ++ms) {
    Batch batch(inputs);
    world.pipeline.process(batch.packets, kStartNs + ms * kMillisecond);
    for (const Packet& p : batch.packets) {
      if (p.verdict == passing) {
        ++tally.passed;
        tally.passed_bytes += input.bytes.size();
      } else {
        EXPECT_EQ(p.verdict, V::drop);
        EXPECT_EQ(p.drop_reason, reason) << to_string(p.drop_reason);
        ++tally.dropped;
      }
    }
  }
  return tally;
}

// The bucket's burst for an allowance (eni_allowance.h): a fraction of a second, at least
// the minimum.
uint64_t burst(uint64_t rate, uint64_t minimum) {
  return std::max(rate / EniAllowances::kBurstDivisor, minimum);
}

uint64_t drops_of(const World& world, uint32_t eni, D reason) {
  const EniCounters* c = world.pipeline.eni_counters(eni);
  return c == nullptr ? 0 : c->drops[size_t(reason)];
}

TEST(EniAllowance, PacketsPerSecondOutDeliversTheAllowanceAndCountsTheRest) {
  World world(standard_program(), limited(1000, 0));
  // 10,000 packets/s offered for 2 s against 1,000 packets/s: 2,000 plus at most one burst.
  const Tally t = offer(world, outbound_udp(), 10, 2000, V::encapsulate, D::pps_allowance_exceeded);
  EXPECT_GE(t.passed, 2000u - 1);
  EXPECT_LE(t.passed, 2000u + burst(1000, EniAllowances::kMinimumBurstPackets) + 1);
  EXPECT_EQ(t.passed + t.dropped, 20000u);
  EXPECT_EQ(drops_of(world, kWeb1.id, D::pps_allowance_exceeded), t.dropped);
  EXPECT_EQ(world.pipeline.counters().drops[size_t(D::pps_allowance_exceeded)], t.dropped);
}

TEST(EniAllowance, PacketsPerSecondInCountsOnTheDestination) {
  World world(standard_program(), limited(500, 0));
  const Tally t = offer(world, inbound_ping(), 5, 2000, V::deliver, D::pps_allowance_exceeded);
  EXPECT_GE(t.passed, 1000u - 1);
  EXPECT_LE(t.passed, 1000u + burst(500, EniAllowances::kMinimumBurstPackets) + 1);
  EXPECT_EQ(drops_of(world, kWeb1.id, D::pps_allowance_exceeded), t.dropped);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb1.id)->tx_packets, t.passed);  // not delivered
}

// Two local senders within their own outbound allowance, together over the receiver's inbound
// one: the receiver's drop, not theirs.
TEST(EniAllowance, InboundRefusalBetweenLocalEnisCountsOnTheReceiver) {
  World world(standard_program(), limited(500, 0));
  const Input from_web1{port_of(kWeb1), from_eni(kWeb1, ping_ip(kWeb1.ip, kWeb2.ip, true, 1))};
  const Input from_db{port_of(kDb), from_eni(kDb, ping_ip(kDb.ip, kWeb2.ip, true, 2))};
  uint64_t delivered = 0;
  uint64_t refused = 0;
  for (uint64_t ms = 0; ms < 2000; ++ms) {  // 300 packets/s from each, 600 in all
    std::vector<Input> inputs;
    if (ms % 10 < 3) inputs = {from_web1, from_db};
    Batch batch(inputs);
    world.pipeline.process(batch.packets, kStartNs + ms * kMillisecond);
    for (const Packet& p : batch.packets) {
      if (p.verdict == V::deliver) {
        ++delivered;
      } else {
        ASSERT_EQ(p.drop_reason, D::pps_allowance_exceeded);
        ++refused;
      }
    }
  }
  EXPECT_GE(delivered, 1000u - 1);
  EXPECT_LE(delivered, 1000u + burst(500, EniAllowances::kMinimumBurstPackets) + 1);
  EXPECT_EQ(drops_of(world, kWeb2.id, D::pps_allowance_exceeded), refused);
  EXPECT_EQ(drops_of(world, kWeb1.id, D::pps_allowance_exceeded), 0u);
  EXPECT_EQ(drops_of(world, kDb.id, D::pps_allowance_exceeded), 0u);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb2.id)->tx_packets, delivered);
}

TEST(EniAllowance, BandwidthOutDeliversTheAllowanceInBytes) {
  World world(standard_program(), limited(0, 8));  // 1,000,000 bytes/s
  const Input input = outbound_udp(1000);          // 1,042-byte frames
  const Tally t = offer(world, input, 4, 2000, V::encapsulate, D::bw_out_allowance_exceeded);
  // 4 MB/s offered for 2 s: 2 MB, plus at most the burst, minus at most one frame.
  EXPECT_GE(t.passed_bytes, 2'000'000u - input.bytes.size());
  EXPECT_LE(t.passed_bytes, 2'000'000u + burst(1'000'000, EniAllowances::kMinimumBurstBytes));
  EXPECT_GT(t.dropped, 0u);
  EXPECT_EQ(drops_of(world, kWeb1.id, D::bw_out_allowance_exceeded), t.dropped);
  EXPECT_EQ(drops_of(world, kWeb1.id, D::pps_allowance_exceeded), 0u);
}

TEST(EniAllowance, BandwidthInCountsOnTheDestination) {
  World world(standard_program(), limited(0, 1));  // 125,000 bytes/s
  const Input input = inbound_ping();
  const Tally t = offer(world, input, 20, 2000, V::deliver, D::bw_in_allowance_exceeded);
  // Delivered frames are the inner packet plus Ethernet; the offered ones the Geneve packet:
  // the allowance counts what the instance is given (to_eni: 14 + the IP packet).
  const uint64_t frame = to_eni(kWeb1, ping_ip(kRemoteWeb.ip, kWeb1.ip, true, 77)).size();
  EXPECT_GE(t.passed * frame, 250'000u - frame);
  EXPECT_LE(t.passed * frame, 250'000u + burst(125'000, EniAllowances::kMinimumBurstBytes));
  EXPECT_EQ(drops_of(world, kWeb1.id, D::bw_in_allowance_exceeded), t.dropped);
}

TEST(EniAllowance, UnlimitedPassesEverything) {
  World world(standard_program());  // the default: no packets or bandwidth allowance
  const Tally out = offer(world, outbound_udp(1400), 64, 100, V::encapsulate, D::none);
  EXPECT_EQ(out.passed, 6400u);
  const Tally in = offer(world, inbound_ping(), 64, 100, V::deliver, D::none);
  EXPECT_EQ(in.passed, 6400u);
  for (const D reason : kAllowanceDropReasons) {
    EXPECT_EQ(world.pipeline.counters().drops[size_t(reason)], 0u) << to_string(reason);
  }
}

TEST(EniAllowance, OnlyLocalServicesArePolicedWhenUnlimited) {
  const EniAllowances unlimited(AllowanceSettings{});
  const EniAllowances limited_pps(AllowanceSettings{10, 0, 1024});
  for (size_t i = 0; i < kVerdictCount; ++i) {
    const V v = V(i);
    EXPECT_EQ(unlimited.polices(v), v == V::to_local_services) << to_string(v);
    const bool forwarded = v == V::deliver || v == V::encapsulate || v == V::to_gateway;
    EXPECT_EQ(limited_pps.polices(v), forwarded || v == V::to_local_services) << to_string(v);
  }
}

std::vector<uint8_t> out_segment(uint8_t flags, uint32_t seq, uint32_t ack, size_t size = 0) {
  return tcp_segment(kWeb1.ip, kRemoteWeb.ip, 40000, 5000, flags, seq, ack, size);
}
std::vector<uint8_t> in_segment(uint8_t flags, uint32_t seq, uint32_t ack) {
  return tcp_segment(kRemoteWeb.ip, kWeb1.ip, 5000, 40000, flags, seq, ack);
}

Packet run_super_frame(World& world, const Input& input, uint16_t gso_size) {
  Batch batch({input});
  batch.packets[0].gso_size = gso_size;
  batch.packets[0].gso_type = gso_size != 0 ? kGsoTcpv4 : kGsoNone;
  world.pipeline.process(batch.packets, kStartNs);
  return batch.packets[0];
}

// A super-frame of 30,000 bytes in 1,448-byte segments stands for 21 packets (as flow logs
// count it) and costs its whole length in bytes.
TEST(EniAllowance, SuperFrameCostsItsSegmentsAndItsLength) {
  World world(standard_program(), limited(256, 0));  // burst: 64 packets
  ASSERT_EQ(burst(256, EniAllowances::kMinimumBurstPackets), 64u);
  const Port web1 = port_of(kWeb1);
  const Input syn{web1, from_eni(kWeb1, out_segment(kTcpSyn, 100, 0))};
  ASSERT_EQ(run_super_frame(world, syn, 0).verdict, V::encapsulate);
  const Input syn_ack{Port::underlay(), geneve(kRemoteHost, kHost, 7, kRemoteWeb.id, kWeb1.id,
                                               in_segment(kTcpSyn | kTcpAck, 900, 101))};
  ASSERT_EQ(run_super_frame(world, syn_ack, 0).verdict, V::deliver);
  const Input ack{web1, from_eni(kWeb1, out_segment(kTcpAck, 101, 901))};
  ASSERT_EQ(run_super_frame(world, ack, 0).verdict, V::encapsulate);
  // 62 tokens left: two super-frames of 21 pass, a third finds 20.
  uint32_t seq = 101;
  for (int i = 0; i < 2; ++i) {
    const Input frame{web1, from_eni(kWeb1, out_segment(kTcpAck, seq, 901, 30000))};
    EXPECT_EQ(run_super_frame(world, frame, 1448).verdict, V::encapsulate) << i;
    seq += 30000;
  }
  const Input third{web1, from_eni(kWeb1, out_segment(kTcpAck, seq, 901, 30000))};
  const Packet dropped = run_super_frame(world, third, 1448);
  EXPECT_EQ(dropped.verdict, V::drop);
  EXPECT_EQ(dropped.drop_reason, D::pps_allowance_exceeded);
  const Input small{web1, from_eni(kWeb1, out_segment(kTcpAck, seq, 901, 1000))};
  EXPECT_EQ(run_super_frame(world, small, 0).verdict, V::encapsulate);

  // Bytes: 1 Mbit/s has a burst of 128 KiB (one 64 KB super-frame, twice): two super-frames
  // of 60 KB pass (sent again: the peer's window holds one), the third does not.
  World bytes_world(standard_program(), limited(0, 1));
  ASSERT_EQ(run_super_frame(bytes_world, syn, 0).verdict, V::encapsulate);
  ASSERT_EQ(run_super_frame(bytes_world, syn_ack, 0).verdict, V::deliver);
  ASSERT_EQ(run_super_frame(bytes_world, ack, 0).verdict, V::encapsulate);
  const Input big{web1, from_eni(kWeb1, out_segment(kTcpAck, 101, 901, 60000))};
  EXPECT_EQ(run_super_frame(bytes_world, big, 1448).verdict, V::encapsulate);
  EXPECT_EQ(run_super_frame(bytes_world, big, 1448).verdict, V::encapsulate);
  EXPECT_EQ(run_super_frame(bytes_world, big, 1448).drop_reason, D::bw_out_allowance_exceeded);
  EXPECT_EQ(run_super_frame(bytes_world, small, 0).verdict, V::encapsulate);  // 1 KB still fits
}

// Everything an ENI sends to the router's own services — DNS over UDP and TCP, ICMP echo to
// the subnet's router address, ARP — counts against one 1,024 packets/s allowance, limited or
// not otherwise.
TEST(EniAllowance, LinkLocalServicesGet1024PacketsPerSecond) {
  World world(standard_program());
  const Port web1 = port_of(kWeb1);
  const IpAddress resolver = address_literal("169.254.169.253");
  const Input udp{web1, from_eni(kWeb1, udp_ip(kWeb1.ip, resolver, 40000, 53))};
  const Input tcp{web1, from_eni(kWeb1, tcp_segment(kWeb1.ip, resolver, 40001, 53, kTcpSyn, 7, 0))};
  const Input echo{web1, from_eni(kWeb1, ping_ip(kWeb1.ip, address_literal("10.0.1.1"), true, 9))};
  std::vector<Input> inputs;
  for (int i = 0; i < 340; ++i) {
    inputs.push_back(udp);
    inputs.push_back(tcp);
    inputs.push_back(echo);
  }
  inputs.push_back(udp);
  inputs.push_back(tcp);
  inputs.push_back(echo);
  inputs.push_back({web1, packet::build_arp_request(kWeb1.mac, kWeb1.ip,
                                                    address_literal("10.0.1.1"))});  // 1,024
  const Batch first = run(world, inputs);
  for (const Packet& p : first.packets) ASSERT_EQ(p.verdict, V::to_local_services);
  const Batch over = run(world, {udp});
  EXPECT_EQ(over.packets[0].drop_reason, D::linklocal_allowance_exceeded);
  // 1,024 per second: one token every ~977 us.
  Batch early({udp});
  world.pipeline.process(early.packets, kStartNs + 900'000);
  EXPECT_EQ(early.packets[0].drop_reason, D::linklocal_allowance_exceeded);
  Batch later({tcp});
  world.pipeline.process(later.packets, kStartNs + 1'000'000);
  EXPECT_EQ(later.packets[0].verdict, V::to_local_services);
  EXPECT_EQ(drops_of(world, kWeb1.id, D::linklocal_allowance_exceeded), 2u);
  EXPECT_EQ(run(world, {echo}).packets[0].drop_reason, D::linklocal_allowance_exceeded);
  // Another ENI has its own allowance.
  const Input web2{port_of(kWeb2), from_eni(kWeb2, udp_ip(kWeb2.ip, resolver, 40000, 53))};
  EXPECT_EQ(run(world, {web2}).packets[0].verdict, V::to_local_services);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
