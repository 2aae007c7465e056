// NatNodeTranslator: real Geneve packets (packet/builder.h) from an instance's router and from
// an edge node through a hyperplane node's NAT, outer headers and every inner checksum checked
// from scratch.
#include "hyperplane/nat_node_translator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "dataplane/nat_shard.h"
#include "node_packets.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/ecn.h"
#include "packet/geneve.h"

namespace openvpc::hyperplane {
namespace {

using dataplane::Verdict;
using packet::IpAddress;

constexpr uint32_t kNode = 0x7f000c01;    // 127.0.12.1, this hyperplane node
constexpr uint32_t kRouter = 0x7f000101;  // 127.0.1.1, the instance's router
constexpr uint32_t kEdgeA = 0x7f000a01;   // 127.0.10.1
constexpr uint32_t kEdgeB = 0x7f000a02;   // 127.0.10.2
constexpr uint32_t kInside = 0x0a000a05;  // 10.0.10.5
constexpr uint32_t kNat = 0x0a000164;     // 10.0.1.100
constexpr uint32_t kRemote = 0xcb00710a;  // 203.0.113.10
constexpr uint32_t kVpc = 7;
constexpr uint32_t kInstanceEni = 21;
constexpr uint32_t kGatewayEni = 90;

using Buffer = testing::NodeBuffer;

std::vector<uint8_t> tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                         uint8_t flags) {
  return testing::node_tcp(src, sport, dst, dport, flags);
}

std::vector<uint8_t> udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
  return testing::node_udp(src, sport, dst, dport);
}

std::vector<uint8_t> geneve(std::span<const uint8_t> inner, uint32_t from, uint32_t source_eni,
                            uint32_t destination_eni, uint16_t flags, uint32_t vni = kVpc) {
  return testing::node_geneve(inner, from, kNode, vni, source_eni, destination_eni, flags);
}

std::vector<uint8_t> from_router(std::span<const uint8_t> inner) {
  return geneve(inner, kRouter, kInstanceEni, kGatewayEni, 0);
}

std::vector<uint8_t> from_edge(std::span<const uint8_t> inner, uint32_t edge = kEdgeA) {
  return geneve(inner, edge, 0, kGatewayEni, packet::kVpcFlagFromHyperplane);
}

// The encapsulated result's meta, after checking the outer headers and every inner checksum.
packet::PacketMeta sent(const Buffer& b, uint32_t to, uint32_t source_eni,
                        uint32_t destination_eni) {
  EXPECT_EQ(b.packet.verdict, Verdict::encapsulate);
  const packet::PacketMeta meta = packet::parse_ip(b.bytes());
  EXPECT_TRUE(meta.ok()) << int(meta.error);
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(b.packet.data, 20)) << "outer IPv4 checksum";
  const packet::GeneveInfo& g = meta.geneve;
  EXPECT_TRUE(g.present);
  EXPECT_EQ(g.outer_src.v4_host_order(), kNode);
  EXPECT_EQ(g.outer_dst.v4_host_order(), to);
  EXPECT_EQ(g.vni, kVpc);
  EXPECT_EQ(g.source_eni, source_eni);
  EXPECT_EQ(g.destination_eni, destination_eni);
  EXPECT_EQ(g.vpc_flags, packet::kVpcFlagFromHyperplane);
  const uint8_t* ip = b.packet.data + meta.l3_offset;
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(ip, meta.ipv4_ihl * 4u));
  const size_t l4_size = meta.l3_offset + meta.l3_size - meta.l4_offset;
  const uint8_t* l4 = b.packet.data + meta.l4_offset;
  if (meta.tuple.protocol == packet::kProtoIcmp) {  // no pseudo-header
    EXPECT_EQ(packet::checksum_fold(packet::checksum_partial(l4, l4_size)), 0);
  } else {
    EXPECT_EQ(packet::l4_checksum(meta.tuple.src, meta.tuple.dst, meta.tuple.protocol, l4, l4_size),
              0);
  }
  return meta;
}

class NatNodeTranslatorTest : public ::testing::Test {
 protected:
  NatNodeTranslatorTest() : table(64), translator(table) {
    NatGatewayConfig gw;
    gw.number = 3;
    gw.addresses = {kNat};
    gw.ranges = {slot_range(0, 2)};
    gw.cap_per_range = slot_cap(0, 2);
    table.set_gateways({gw});
    NodeConfig config;
    config.underlay_v4 = kNode;
    config.edge_nodes = {kEdgeA, kEdgeB};
    config.gateways = {{3, kVpc, kGatewayEni, true, 0, {}}};
    translator.set_config(config);
  }

  Buffer run(std::span<const uint8_t> bytes, uint32_t now = 10) {
    Buffer b(bytes);
    translator.process({&b.packet, 1}, now);
    return b;
  }
  uint64_t drops(NodeDrop d) const { return translator.counters().drops[size_t(d)]; }

  NatTable table;
  NatNodeTranslator translator;
};

TEST_F(NatNodeTranslatorTest, OutboundGoesToAnEdgeAndTheReplyBackToTheInstance) {
  const Buffer out = run(from_router(tcp(kInside, 40000, kRemote, 443, packet::kTcpSyn)));
  const uint32_t edge = packet::parse_ip(out.bytes()).geneve.outer_dst.v4_host_order();
  ASSERT_TRUE(edge == kEdgeA || edge == kEdgeB);
  const packet::PacketMeta m = sent(out, edge, kGatewayEni, 0);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kNat);
  EXPECT_EQ(m.tuple.dst.v4_host_order(), kRemote);
  const uint16_t nat_port = m.tuple.src_port;
  EXPECT_TRUE(slot_range(0, 2).contains(nat_port));
  // The edge's choice is the flow hash of the translated packet, as a router's to_edge.
  EXPECT_EQ(edge, (packet::flow_source_port(m.tuple) % 2) == 0 ? kEdgeA : kEdgeB);
  const auto flow = table.find_out(0, kInside, 40000, kRemote, 443, packet::kProtoTcp);
  ASSERT_TRUE(flow.has_value());
  EXPECT_EQ(flow->inside_underlay, kRouter);
  EXPECT_EQ(flow->inside_eni, kInstanceEni);

  const Buffer in =
      run(from_edge(tcp(kRemote, 443, kNat, nat_port, packet::kTcpSyn | packet::kTcpAck), kEdgeB));
  const packet::PacketMeta r = sent(in, kRouter, 0, kInstanceEni);
  EXPECT_EQ(r.tuple.src.v4_host_order(), kRemote);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(r.tuple.dst_port, 40000);
  EXPECT_EQ(translator.counters().events[size_t(NodeEvent::translated_out)], 1u);
  EXPECT_EQ(translator.counters().events[size_t(NodeEvent::translated_in)], 1u);
}

// RFC 6040 at the node: an outer CE mark reaches the inner header of an ECN-capable packet
// (and so the outer header of what the node sends on), and drops a Not-ECT one.
TEST_F(NatNodeTranslatorTest, AnUnderlayCeMarkReachesTheInnerHeaderOrDropsANotEctPacket) {
  auto ect = tcp(kInside, 40000, kRemote, 443, packet::kTcpSyn);
  packet::set_ip_ecn(ect.data(), packet::kEcnEct0);
  auto marked = from_router(ect);
  packet::set_ip_ecn(marked.data(), packet::kEcnCe);
  const Buffer out = run(marked);
  const packet::PacketMeta m =
      sent(out, packet::parse_ip(out.bytes()).geneve.outer_dst.v4_host_order(), kGatewayEni, 0);
  EXPECT_EQ(m.tos & packet::kEcnMask, packet::kEcnCe);
  EXPECT_EQ(m.geneve.outer_tos & packet::kEcnMask, packet::kEcnCe);
  auto not_ect = from_router(tcp(kInside, 40001, kRemote, 443, packet::kTcpSyn));
  packet::set_ip_ecn(not_ect.data(), packet::kEcnCe);
  EXPECT_EQ(run(not_ect).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::ecn_ce_not_ect), 1u);
  EXPECT_EQ(table.flows(), 1u);
}

TEST_F(NatNodeTranslatorTest, UdpOutAndBack) {
  const Buffer out = run(from_router(udp(kInside, 5353, kRemote, 53)));
  const packet::PacketMeta m =
      sent(out, packet::parse_ip(out.bytes()).geneve.outer_dst.v4_host_order(), kGatewayEni, 0);
  const Buffer in = run(from_edge(udp(kRemote, 53, kNat, m.tuple.src_port)));
  const packet::PacketMeta r = sent(in, kRouter, 0, kInstanceEni);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(r.tuple.dst_port, 5353);
}

TEST_F(NatNodeTranslatorTest, EchoAndAnIcmpErrorFromOutside) {
  const auto request = packet::build_icmp_echo(
      {.src = IpAddress::v4(kInside), .dst = IpAddress::v4(kRemote)}, {true, 0x77, 1});
  const Buffer out = run(from_router(request));
  const packet::PacketMeta m =
      sent(out, packet::parse_ip(out.bytes()).geneve.outer_dst.v4_host_order(), kGatewayEni, 0);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kNat);
  const uint16_t nat_id = m.icmp.id;
  const auto reply = packet::build_icmp_echo(
      {.src = IpAddress::v4(kRemote), .dst = IpAddress::v4(kNat)}, {false, nat_id, 1});
  const packet::PacketMeta r = sent(run(from_edge(reply)), kRouter, 0, kInstanceEni);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(r.icmp.id, 0x77);

  // A UDP datagram out, then the remote's port unreachable about it (quoting the NAT side).
  Buffer udp_out = run(from_router(udp(kInside, 5353, kRemote, 53)));
  const auto sent_meta = packet::parse_ip(udp_out.bytes());
  const auto quoted = udp_out.bytes().subspan(sent_meta.geneve.inner_offset);
  std::vector<uint8_t> error(1500);
  error.resize(packet::write_icmp_error(error.data(), error.size(), IpAddress::v4(kRemote), 3, 3, 0,
                                        quoted));
  const Buffer back = run(from_edge(error));
  const packet::PacketMeta e = sent(back, kRouter, 0, kInstanceEni);
  EXPECT_EQ(e.tuple.dst.v4_host_order(), kInside);
  ASSERT_TRUE(e.icmp_inner.present);
  EXPECT_EQ(e.icmp_inner.tuple.src.v4_host_order(), kInside);  // the quote as the instance sent it
  EXPECT_EQ(e.icmp_inner.tuple.src_port, 5353);
}

// The folded, uncomplemented pseudo-header sum a TSO super-frame's TCP checksum field holds.
uint16_t pseudo_header_sum(std::span<const uint8_t> ip) {
  uint8_t header[12];
  std::memcpy(header, &ip[12], 8);
  header[8] = 0;
  header[9] = ip[9];
  packet::store_be16(header + 10, uint16_t(packet::load_be16(&ip[2]) - 20));
  return uint16_t(~packet::checksum_fold(packet::checksum_partial(header, 12)));
}

TEST_F(NatNodeTranslatorTest, TsoSuperFramesKeepAPartialChecksumAndTheirGso) {
  packet::TcpSpec spec;
  spec.src_port = 40000;
  spec.dst_port = 443;
  spec.flags = packet::kTcpSyn;
  auto syn =
      packet::build_tcp({.src = IpAddress::v4(kInside), .dst = IpAddress::v4(kRemote)}, spec, {});
  ASSERT_EQ(run(from_router(syn)).packet.verdict, Verdict::encapsulate);
  spec.flags = packet::kTcpAck;
  const std::vector<uint8_t> payload(3000, 0x42);
  auto big = packet::build_tcp({.src = IpAddress::v4(kInside), .dst = IpAddress::v4(kRemote)}, spec,
                               payload);
  packet::store_be16(&big[36], pseudo_header_sum(big));
  packet::GeneveEncap e;
  e.outer_src_v4 = kRouter;
  e.outer_dst_v4 = kNode;
  e.vni = kVpc;
  e.source_eni = kInstanceEni;
  e.destination_eni = kGatewayEni;
  e.vpc_flags = packet::kVpcFlagGsoTcpv4;
  e.gso_size = 1400;
  const Buffer b = run(packet::build_geneve(e, big));
  ASSERT_EQ(b.packet.verdict, Verdict::encapsulate);
  const packet::PacketMeta m = packet::parse_ip(b.bytes());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.geneve.vpc_flags, packet::kVpcFlagFromHyperplane | packet::kVpcFlagGsoTcpv4);
  EXPECT_EQ(m.geneve.gso_size, 1400);
  const auto ip = b.bytes().subspan(m.geneve.inner_offset);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kNat);
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(ip.data(), 20));
  EXPECT_EQ(packet::load_be16(&ip[36]), pseudo_header_sum(ip)) << "still partial, new address";
  // GSO on UDP is refused.
  e.vpc_flags = packet::kVpcFlagGsoTcpv4;
  EXPECT_EQ(run(packet::build_geneve(e, udp(kInside, 5353, kRemote, 53))).packet.verdict,
            Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::unsupported), 1u);
}

TEST_F(NatNodeTranslatorTest, TcpWithoutAFlowGetsAnRstAfterTheSyncWindow) {
  // Within kSyncSeconds of joining: dropped, since a peer's sync may still be coming.
  const Buffer early = run(from_router(tcp(kInside, 40001, kRemote, 443, packet::kTcpAck)), 1);
  EXPECT_EQ(early.packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::sync_pending), 1u);
  const Buffer late = run(from_router(tcp(kInside, 40001, kRemote, 443, packet::kTcpAck)), 10);
  const packet::PacketMeta r = sent(late, kRouter, 0, kInstanceEni);
  EXPECT_EQ(r.tuple.src.v4_host_order(), kRemote);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(r.tuple.dst_port, 40001);
  EXPECT_EQ(r.tcp.flags, packet::kTcpRst);  // the offender had ACK: seq = its ack, RST alone
  EXPECT_EQ(translator.counters().events[size_t(NodeEvent::reset_sent)], 1u);
}

TEST_F(NatNodeTranslatorTest, DropsAreCountedByReason) {
  const auto syn = tcp(kInside, 40000, kRemote, 443, packet::kTcpSyn);
  EXPECT_EQ(run(geneve(syn, kRouter, kInstanceEni, 999, 0)).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::unknown_gateway), 1u);
  EXPECT_EQ(run(geneve(syn, kRouter, kInstanceEni, kGatewayEni, 0, 8)).packet.verdict,
            Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::unknown_gateway), 2u);
  // From the edge's shape but not from an edge node.
  const Buffer out = run(from_router(syn));
  const uint16_t nat_port = packet::parse_ip(out.bytes()).tuple.src_port;
  const auto reply = tcp(kRemote, 443, kNat, nat_port, packet::kTcpAck);
  EXPECT_EQ(run(from_edge(reply, kRouter)).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::not_from_edge), 1u);
  // Neither shape: source ENI with the from-hyperplane flag.
  EXPECT_EQ(run(geneve(syn, kRouter, kInstanceEni, kGatewayEni, packet::kVpcFlagFromHyperplane))
                .packet.verdict,
            Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::bad_direction), 1u);
  // Unsolicited from the edge.
  EXPECT_EQ(run(from_edge(tcp(kRemote, 443, kNat, 2000, packet::kTcpAck))).packet.verdict,
            Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::unsolicited), 1u);
  // Not Geneve at all: a plain inner packet.
  EXPECT_EQ(run(syn).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::not_geneve), 1u);
  // Truncated.
  auto cut = from_router(syn);
  cut.resize(60);
  EXPECT_EQ(run(cut).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::malformed), 1u);
  for (size_t i = 0; i < kNodeDropCount; ++i) EXPECT_NE(to_string(NodeDrop(i)), "?");
}

TEST_F(NatNodeTranslatorTest, ABatchLongerThanAChunkIsTranslatedWhole) {
  std::vector<Buffer> buffers;
  for (uint16_t i = 0; i < 70; ++i) {
    buffers.emplace_back(i % 10 == 9 ? geneve(udp(kInside, 6000, kRemote, 53), kRouter, 1, 999, 0)
                                     : from_router(udp(kInside, uint16_t(6000 + i), kRemote, 53)));
  }
  std::vector<dataplane::Packet> batch;
  for (const Buffer& b : buffers) batch.push_back(b.packet);
  translator.process(batch, 10);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].verdict, i % 10 == 9 ? Verdict::drop : Verdict::encapsulate) << i;
  }
  EXPECT_EQ(table.flows(), 63u);
  EXPECT_EQ(drops(NodeDrop::unknown_gateway), 7u);
}

TEST_F(NatNodeTranslatorTest, APublicGatewayWithNoEdgeIsACountedDrop) {
  NodeConfig config = translator.config();
  config.edge_nodes.clear();
  translator.set_config(config);
  const auto syn = tcp(kInside, 40000, kRemote, 443, packet::kTcpSyn);
  EXPECT_EQ(run(from_router(syn)).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::no_edge_node), 1u);
  EXPECT_EQ(table.flows(), 0u);
}

// A private gateway: translated packets go straight to the destination's host and interface
// (its VPC's mappings), as the gateway's ENI; the destination's reply comes from its router to
// the gateway's address and goes back to the instance. Forged replies and destinations outside
// the VPC's interfaces are counted drops.
class PrivateNatNodeTest : public NatNodeTranslatorTest {
 protected:
  static constexpr uint32_t kServer = 0x0a000305;      // 10.0.3.5
  static constexpr uint32_t kServerHost = 0x7f000102;  // 127.0.1.2
  static constexpr uint32_t kServerEni = 33;
  PrivateNatNodeTest() {
    NodeConfig config = translator.config();
    config.edge_nodes.clear();  // a private gateway needs no edge
    config.gateways[0].is_public = false;
    config.gateways[0].addresses = {kNat};
    config.destinations = {{kVpc, kInside, kRouter, kInstanceEni},
                           {kVpc, kServer, kServerHost, kServerEni}};
    std::sort(config.destinations.begin(), config.destinations.end(),
              [](const auto& a, const auto& b) { return a.key() < b.key(); });
    translator.set_config(config);
  }
  std::vector<uint8_t> from_server(std::span<const uint8_t> inner, uint32_t host = kServerHost,
                                   uint32_t eni = kServerEni) {
    return geneve(inner, host, eni, kGatewayEni, 0);
  }
};

TEST_F(PrivateNatNodeTest, TranslatedToTheDestinationsHostAndTheReplyBack) {
  const Buffer out = run(from_router(tcp(kInside, 40000, kServer, 80, packet::kTcpSyn)));
  const packet::PacketMeta m = sent(out, kServerHost, kGatewayEni, kServerEni);
  EXPECT_EQ(m.tuple.src.v4_host_order(), kNat);
  EXPECT_EQ(m.tuple.dst.v4_host_order(), kServer);
  const uint16_t nat_port = m.tuple.src_port;
  EXPECT_EQ(dataplane::nat_port_slot(nat_port, 2), 0);  // this node's slot owns the port

  const Buffer in =
      run(from_server(tcp(kServer, 80, kNat, nat_port, packet::kTcpSyn | packet::kTcpAck)));
  const packet::PacketMeta r = sent(in, kRouter, 0, kInstanceEni);
  EXPECT_EQ(r.tuple.src.v4_host_order(), kServer);
  EXPECT_EQ(r.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(r.tuple.dst_port, 40000);
  EXPECT_EQ(translator.counters().events[size_t(NodeEvent::translated_out)], 1u);
  EXPECT_EQ(translator.counters().events[size_t(NodeEvent::translated_in)], 1u);

  // A reply whose outer source or source ENI is not its inner source's: refused.
  const auto reply = tcp(kServer, 80, kNat, nat_port, packet::kTcpAck);
  EXPECT_EQ(run(from_server(reply, kRouter)).packet.verdict, Verdict::drop);
  EXPECT_EQ(run(from_server(reply, kServerHost, kInstanceEni)).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::untrusted_sender), 2u);
  // Unsolicited: from the right sender but matching no flow.
  EXPECT_EQ(run(from_server(tcp(kServer, 81, kNat, nat_port, packet::kTcpAck))).packet.verdict,
            Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::unsolicited), 1u);
}

TEST_F(PrivateNatNodeTest, NoInterfaceAtTheDestinationIsACountedDropWithoutAFlow) {
  EXPECT_EQ(run(from_router(udp(kInside, 5353, kRemote, 53))).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::no_destination), 1u);
  EXPECT_EQ(table.flows(), 0u);
  const Buffer out = run(from_router(udp(kInside, 5353, kServer, 53)));
  sent(out, kServerHost, kGatewayEni, kServerEni);
  EXPECT_EQ(table.flows(), 1u);
}

}  // namespace
}  // namespace openvpc::hyperplane
