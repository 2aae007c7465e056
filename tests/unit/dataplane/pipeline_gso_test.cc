// TCP super-frames (TSO/GSO, Packet::gso_size/gso_type) through the real Pipeline: a
// super-frame from an ENI is classified, tracked and encapsulated whole with its GSO size in
// the VPC option; the path MTU is checked against one segment, not the super-frame;
// connection tracking advances over the whole payload; from the underlay the option's GSO
// fields come back on the Packet; a GSO type that does not match the packet is dropped.
#include <gtest/gtest.h>

#include "dataplane/pipeline.h"
#include "harness.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/geneve.h"

namespace openvpc::dataplane::testing {
namespace {

using packet::kTcpAck;
using packet::kTcpSyn;
using D = DropReason;
using V = Verdict;

std::vector<uint8_t> out_segment(uint8_t flags, uint32_t seq, uint32_t ack, size_t size = 0) {
  return tcp_segment(kWeb1.ip, kRemoteWeb.ip, 40000, 5000, flags, seq, ack, size);
}
std::vector<uint8_t> in_segment(uint8_t flags, uint32_t seq, uint32_t ack, size_t size = 0) {
  return tcp_segment(kRemoteWeb.ip, kWeb1.ip, 5000, 40000, flags, seq, ack, size);
}
std::vector<uint8_t> remote(const std::vector<uint8_t>& ip, uint16_t flags = 0,
                            uint16_t gso_size = 0) {
  packet::GeneveEncap encap;
  encap.outer_src_v4 = kRemoteHost.v4_host_order();
  encap.outer_dst_v4 = kHost.v4_host_order();
  encap.src_port = 50000;
  encap.vni = 7;
  encap.source_eni = kRemoteWeb.id;
  encap.destination_eni = kWeb1.id;
  encap.vpc_flags = flags;
  encap.gso_size = gso_size;
  return packet::build_geneve(encap, ip);
}

// One packet through the pipeline with the given GSO fields; returns the batch.
Batch run_one(World& world, Input input, uint16_t gso_size = 0, uint8_t gso_type = kGsoNone) {
  Batch batch({input});
  batch.packets[0].gso_size = gso_size;
  batch.packets[0].gso_type = gso_type;
  world.pipeline.process(batch.packets, uint64_t{1000} * 1'000'000'000);
  return batch;
}

void handshake(World& world) {
  ASSERT_EQ(run_one(world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpSyn, 100, 0))})
                .packets[0]
                .verdict,
            V::encapsulate);
  ASSERT_EQ(run_one(world, {Port::underlay(), remote(in_segment(kTcpSyn | kTcpAck, 900, 101))})
                .packets[0]
                .verdict,
            V::deliver);
  ASSERT_EQ(run_one(world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpAck, 101, 901))})
                .packets[0]
                .verdict,
            V::encapsulate);
}

TEST(GsoPipeline, SuperFrameIsEncapsulatedWholeWithItsGsoSizeAndTracked) {
  World world(standard_program());
  handshake(world);
  const size_t payload = 30000;  // 21 segments of 1448 (the last shorter)
  Batch b =
      run_one(world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpAck, 101, 901, payload))},
              1448, kGsoTcpv4);
  const Packet& p = b.packets[0];
  ASSERT_EQ(p.verdict, V::encapsulate) << to_string(p.drop_reason);
  EXPECT_EQ(p.size, packet::kGeneveEncapSize + 40 + payload);  // not cut at the MTU of 9001
  const packet::PacketMeta meta = packet::parse_ip({p.data, p.size});
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.geneve.vpc_flags & packet::kVpcFlagsGso, packet::kVpcFlagGsoTcpv4);
  EXPECT_EQ(meta.geneve.gso_size, 1448);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb1.id)->rx_packets, 2u + 21u);  // 2 plain + 21
  // The tracker saw the whole payload: an ACK for all of it is in the window, and the next
  // segment follows on from its end.
  Batch ack = run_one(world, {Port::underlay(), remote(in_segment(kTcpAck, 901, 101 + payload))});
  EXPECT_EQ(ack.packets[0].verdict, V::deliver) << to_string(ack.packets[0].drop_reason);
  Batch next = run_one(
      world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpAck, 101 + payload, 901, 100))});
  EXPECT_EQ(next.packets[0].verdict, V::encapsulate) << to_string(next.packets[0].drop_reason);
}

TEST(GsoPipeline, PathMtuIsCheckedAgainstOneSegment) {
  World world(standard_program());
  handshake(world);
  // Headers 40 + 8961 = 9001: fits. 40 + 8962: does not, answered with ICMP (DF is set).
  Batch fits =
      run_one(world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpAck, 101, 901, 3 * 8961))},
              8961, kGsoTcpv4);
  EXPECT_EQ(fits.packets[0].verdict, V::encapsulate) << to_string(fits.packets[0].drop_reason);
  Batch too_big =
      run_one(world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpAck, 101, 901, 3 * 8962))},
              8962, kGsoTcpv4);
  EXPECT_EQ(too_big.packets[0].verdict, V::icmp_error);
  EXPECT_EQ(too_big.packets[0].drop_reason, D::mtu_exceeded);
  EXPECT_EQ(too_big.packets[0].gso_type, kGsoNone);  // the ICMP error is one plain packet
}

TEST(GsoPipeline, SuperFrameFromTheUnderlayKeepsItsGsoFields) {
  World world(standard_program());
  handshake(world);
  Batch b = run_one(world, {Port::underlay(), remote(in_segment(kTcpAck, 901, 101, 20000),
                                                     packet::kVpcFlagGsoTcpv4, 1448)});
  const Packet& p = b.packets[0];
  ASSERT_EQ(p.verdict, V::deliver) << to_string(p.drop_reason);
  EXPECT_EQ(p.out_port, port_of(kWeb1));
  EXPECT_EQ(p.size, 14u + 40u + 20000u);
  EXPECT_EQ(p.gso_type, kGsoTcpv4);
  EXPECT_EQ(p.gso_size, 1448);
}

TEST(GsoPipeline, GsoTypeThatDoesNotMatchThePacketIsDropped) {
  World world(standard_program());
  handshake(world);
  Batch v6 = run_one(world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpAck, 101, 901, 3000))},
                     1448, kGsoTcpv6);
  EXPECT_EQ(v6.packets[0].verdict, V::drop);
  EXPECT_EQ(v6.packets[0].drop_reason, D::malformed);
  Batch zero = run_one(
      world, {port_of(kWeb1), from_eni(kWeb1, out_segment(kTcpAck, 101, 901, 3000))}, 0, kGsoTcpv4);
  EXPECT_EQ(zero.packets[0].drop_reason, D::malformed);
  Batch udp =
      run_one(world, {Port::underlay(), remote(udp_ip(kRemoteWeb.ip, kWeb1.ip, 53, 4000, 64, 3000),
                                               packet::kVpcFlagGsoTcpv4, 1448)});
  EXPECT_EQ(udp.packets[0].drop_reason, D::malformed);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
