// IPv4 fragments through a hyperplane node's NAT gateway (nat_fragments.h): real Geneve packets
// (packet/builder.h) cut into fragments (packet::write_ipv4_fragment), out from an instance's
// router and back from an edge node; each fragment's addresses and outer header checked, and the
// reassembled datagram's L4 checksum checked from scratch.
#include "hyperplane/nat_fragments.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "hyperplane/nat_node_translator.h"
#include "node_packets.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/geneve.h"
#include "packet/headers.h"

namespace openvpc::hyperplane {
namespace {

using dataplane::Verdict;
using packet::IpAddress;

constexpr uint32_t kNode = 0x7f000c01;     // 127.0.12.1, this hyperplane node
constexpr uint32_t kRouter = 0x7f000101;   // 127.0.1.1, the instance's router
constexpr uint32_t kRouter2 = 0x7f000102;  // 127.0.1.2, another instance's router
constexpr uint32_t kEdgeA = 0x7f000a01;    // 127.0.10.1
constexpr uint32_t kEdgeB = 0x7f000a02;    // 127.0.10.2
constexpr uint32_t kEdgeC = 0x7f000a03;    // 127.0.10.3
constexpr uint32_t kInside = 0x0a000a05;   // 10.0.10.5
constexpr uint32_t kInside2 = 0x0a000a06;  // 10.0.10.6
constexpr uint32_t kNat = 0x0a000164;      // 10.0.1.100
constexpr uint32_t kRemote = 0xcb00710a;   // 203.0.113.10
constexpr uint32_t kVpc = 7;
constexpr uint32_t kInstanceEni = 21;
constexpr uint32_t kInstance2Eni = 22;
constexpr uint32_t kGatewayEni = 90;
constexpr size_t kPiece = 1480;  // fragment payload bytes, as a 1500-byte MTU cuts them

using Buffer = testing::NodeBuffer;

std::vector<uint8_t> payload(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = uint8_t(i * 13 + seed);
  return bytes;
}

std::vector<uint8_t> big_udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                             uint16_t id, uint8_t seed = 1) {
  packet::IpSpec ip{IpAddress::v4(src), IpAddress::v4(dst), 64, 0, false, id, 0, false};
  return packet::build_udp(ip, {sport, dport}, payload(3000, seed));
}

std::vector<uint8_t> big_echo(uint32_t src, uint32_t dst, bool request, uint16_t echo_id,
                              uint16_t id) {
  packet::IpSpec ip{IpAddress::v4(src), IpAddress::v4(dst), 64, 0, false, id, 0, false};
  return packet::build_icmp_echo(ip, {request, echo_id, 1}, payload(3000, 9));
}

// `ip` cut into fragments of kPiece payload bytes (3 for the 3,008-byte datagrams here).
std::vector<std::vector<uint8_t>> cut(const std::vector<uint8_t>& ip) {
  std::vector<std::vector<uint8_t>> out;
  const size_t size = ip.size() - 20;
  for (size_t offset = 0; offset < size; offset += kPiece) {
    std::vector<uint8_t> f(ip.size() + 60);
    f.resize(packet::write_ipv4_fragment(f.data(), f.size(), ip, offset,
                                         std::min(kPiece, size - offset)));
    out.push_back(f);
  }
  return out;
}

std::vector<uint8_t> geneve(std::span<const uint8_t> inner, uint32_t from, uint32_t source_eni,
                            uint32_t destination_eni, uint16_t flags) {
  return testing::node_geneve(inner, from, kNode, kVpc, source_eni, destination_eni, flags);
}

std::vector<uint8_t> from_router(std::span<const uint8_t> inner, uint32_t router = kRouter,
                                 uint32_t eni = kInstanceEni) {
  return geneve(inner, router, eni, kGatewayEni, 0);
}

std::vector<uint8_t> from_edge(std::span<const uint8_t> inner, uint32_t edge = kEdgeA) {
  return geneve(inner, edge, 0, kGatewayEni, packet::kVpcFlagFromHyperplane);
}

// The L4 message of fragments (inner IPv4 packets) put back together, each fragment's IPv4
// header checksum and offset checked.
std::vector<uint8_t> reassemble(std::vector<std::vector<uint8_t>> fragments) {
  std::sort(fragments.begin(), fragments.end(), [](const auto& a, const auto& b) {
    return packet::Ipv4View(a.data()).fragment_offset() <
           packet::Ipv4View(b.data()).fragment_offset();
  });
  std::vector<uint8_t> l4;
  for (size_t i = 0; i < fragments.size(); ++i) {
    const packet::Ipv4View v(fragments[i].data());
    EXPECT_TRUE(packet::ipv4_header_checksum_valid(fragments[i].data(), v.header_size())) << i;
    EXPECT_EQ(v.fragment_offset(), l4.size()) << i;
    EXPECT_EQ(v.more_fragments(), i + 1 < fragments.size()) << i;
    l4.insert(l4.end(), fragments[i].begin() + v.header_size(), fragments[i].end());
  }
  return l4;
}

class NatFragmentsTest : public ::testing::Test {
 protected:
  NatFragmentsTest() : table(64), translator(table) {
    NatGatewayConfig gw;
    gw.number = 3;
    gw.addresses = {kNat};
    gw.ranges = {slot_range(0, 2)};
    gw.cap_per_range = slot_cap(0, 2);
    table.set_gateways({gw});
    NodeConfig config;
    config.underlay_v4 = kNode;
    config.edge_nodes = {kEdgeA, kEdgeB, kEdgeC};
    NodeGateway gateway;  // by name: the struct grows
    gateway.number = 3;
    gateway.vni = kVpc;
    gateway.eni = kGatewayEni;
    config.gateways = {gateway};
    translator.set_config(config);
  }

  // Each input in a buffer, all in one batch.
  std::vector<Buffer> run(const std::vector<std::vector<uint8_t>>& inputs, uint32_t now = 10) {
    std::vector<Buffer> buffers;
    buffers.reserve(inputs.size());
    for (const auto& bytes : inputs) buffers.emplace_back(bytes);
    std::vector<dataplane::Packet> batch;
    for (const Buffer& b : buffers) batch.push_back(b.packet);
    translator.process(batch, now);
    for (size_t i = 0; i < batch.size(); ++i) buffers[i].packet = batch[i];
    return buffers;
  }
  // Every buffer encapsulated with one outer header (node -> `to`, same flow hash, ENIs);
  // returns their inner packets.
  static std::vector<std::vector<uint8_t>> sent_alike(const std::vector<Buffer>& buffers,
                                                      uint32_t to, uint32_t source_eni,
                                                      uint32_t destination_eni) {
    std::vector<std::vector<uint8_t>> inner;
    const uint16_t port = buffers.at(0).meta().geneve.outer_src_port;
    for (size_t i = 0; i < buffers.size(); ++i) {
      EXPECT_EQ(buffers[i].packet.verdict, Verdict::encapsulate) << i;
      const packet::PacketMeta m = buffers[i].meta();
      EXPECT_TRUE(m.ok()) << i;
      EXPECT_EQ(m.geneve.outer_src.v4_host_order(), kNode) << i;
      EXPECT_EQ(m.geneve.outer_dst.v4_host_order(), to) << i;
      EXPECT_EQ(m.geneve.outer_src_port, port) << i << ": the first fragment's flow hash";
      EXPECT_EQ(m.geneve.source_eni, source_eni) << i;
      EXPECT_EQ(m.geneve.destination_eni, destination_eni) << i;
      EXPECT_EQ(m.geneve.vpc_flags, packet::kVpcFlagFromHyperplane) << i;
      inner.push_back(buffers[i].inner());
    }
    return inner;
  }
  static std::vector<std::vector<uint8_t>> encapsulated(
      const std::vector<std::vector<uint8_t>>& fragments, uint32_t router = kRouter,
      uint32_t eni = kInstanceEni) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& f : fragments) out.push_back(from_router(f, router, eni));
    return out;
  }
  static std::vector<std::vector<uint8_t>> from_edge_all(
      const std::vector<std::vector<uint8_t>>& fragments, uint32_t edge = kEdgeA) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& f : fragments) out.push_back(from_edge(f, edge));
    return out;
  }
  uint64_t drops(NodeDrop d) const { return translator.counters().drops[size_t(d)]; }
  uint64_t events(NodeEvent e) const { return translator.counters().events[size_t(e)]; }
  uint64_t metric(NatMetric m) const { return table.counters(0)[size_t(m)]; }

  NatTable table;
  NatNodeTranslator translator;
};

void expect_addresses(const std::vector<std::vector<uint8_t>>& inner, uint32_t src, uint32_t dst) {
  for (size_t i = 0; i < inner.size(); ++i) {
    const packet::Ipv4View v(inner[i].data());
    EXPECT_EQ(packet::load_be32(inner[i].data() + 12), src) << i;
    EXPECT_EQ(packet::load_be32(inner[i].data() + 16), dst) << i;
    EXPECT_EQ(v.id(), packet::Ipv4View(inner[0].data()).id()) << i;
  }
}

uint16_t udp_checksum(uint32_t src, uint32_t dst, const std::vector<uint8_t>& l4) {
  return packet::l4_checksum(IpAddress::v4(src), IpAddress::v4(dst), packet::kProtoUdp, l4.data(),
                             l4.size());
}

TEST_F(NatFragmentsTest, AThreeFragmentUdpDatagramOutAndItsThreeFragmentReplyIn) {
  const auto request = cut(big_udp(kInside, 5353, kRemote, 53, 0x1234));
  ASSERT_EQ(request.size(), 3u);
  const auto out = run(encapsulated(request));
  const uint32_t edge = out[0].meta().geneve.outer_dst.v4_host_order();
  const auto out_inner = sent_alike(out, edge, kGatewayEni, 0);
  expect_addresses(out_inner, kNat, kRemote);
  const std::vector<uint8_t> out_l4 = reassemble(out_inner);
  ASSERT_EQ(out_l4.size(), 3008u);
  EXPECT_EQ(udp_checksum(kNat, kRemote, out_l4), 0) << "the whole datagram's UDP checksum";
  const uint16_t nat_port = packet::load_be16(out_l4.data());
  EXPECT_TRUE(slot_range(0, 2).contains(nat_port));
  EXPECT_EQ(std::vector<uint8_t>(out_l4.begin() + 8, out_l4.end()), payload(3000, 1));

  // The reply, in reverse order of its later fragments, from another edge node.
  auto reply = cut(big_udp(kRemote, 53, kNat, nat_port, 0x4321, 5));
  std::swap(reply[1], reply[2]);
  const auto in = run(from_edge_all(reply, kEdgeB));
  const auto in_inner = sent_alike(in, kRouter, 0, kInstanceEni);
  expect_addresses(in_inner, kRemote, kInside);
  const std::vector<uint8_t> in_l4 = reassemble(in_inner);
  EXPECT_EQ(udp_checksum(kRemote, kInside, in_l4), 0);
  EXPECT_EQ(packet::load_be16(in_l4.data() + 2), 5353);
  EXPECT_EQ(std::vector<uint8_t>(in_l4.begin() + 8, in_l4.end()), payload(3000, 5));

  EXPECT_EQ(events(NodeEvent::translated_out), 3u);
  EXPECT_EQ(events(NodeEvent::translated_in), 3u);
  EXPECT_EQ(events(NodeEvent::fragments_translated), 4u);
  EXPECT_EQ(drops(NodeDrop::fragment), 0u);
  EXPECT_EQ(metric(NatMetric::PacketsOutToDestination), 3u);
  EXPECT_EQ(metric(NatMetric::PacketsOutToSource), 3u);
  EXPECT_EQ(metric(NatMetric::BytesOutToDestination), 1500u + 1500 + 68);  // IP sizes
  EXPECT_EQ(metric(NatMetric::PacketsDropCount), 0u);
  EXPECT_EQ(to_string(NodeEvent::fragments_translated), "fragments_translated");
}

TEST_F(NatFragmentsTest, ABigEchoOutAndItsReplyIn) {
  const auto request = cut(big_echo(kInside, kRemote, true, 0x77, 0x0101));
  ASSERT_EQ(request.size(), 3u);
  const auto out = run(encapsulated(request));
  const auto out_inner =
      sent_alike(out, out[0].meta().geneve.outer_dst.v4_host_order(), kGatewayEni, 0);
  expect_addresses(out_inner, kNat, kRemote);
  const std::vector<uint8_t> out_icmp = reassemble(out_inner);
  EXPECT_EQ(packet::checksum_fold(packet::checksum_partial(out_icmp.data(), out_icmp.size())), 0);
  const uint16_t nat_id = packet::load_be16(out_icmp.data() + 4);

  const auto in = run(from_edge_all(cut(big_echo(kRemote, kNat, false, nat_id, 0x0202))));
  const auto in_inner = sent_alike(in, kRouter, 0, kInstanceEni);
  expect_addresses(in_inner, kRemote, kInside);
  const std::vector<uint8_t> in_icmp = reassemble(in_inner);
  EXPECT_EQ(packet::checksum_fold(packet::checksum_partial(in_icmp.data(), in_icmp.size())), 0);
  EXPECT_EQ(packet::load_be16(in_icmp.data() + 4), 0x77);
  EXPECT_EQ(events(NodeEvent::fragments_translated), 4u);
}

TEST_F(NatFragmentsTest, ALaterFragmentWithoutItsFirstIsACountedDrop) {
  const auto request = cut(big_udp(kInside, 5353, kRemote, 53, 0x1234));
  const auto out = run({from_router(request[1]), from_router(request[2])});
  for (const Buffer& b : out) EXPECT_EQ(b.packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::fragment), 2u);
  EXPECT_EQ(metric(NatMetric::PacketsDropCount), 2u);
  // From outside too: a reply's later fragment for a datagram whose first never came.
  const auto reply = cut(big_udp(kRemote, 53, kNat, 2000, 0x4321));
  EXPECT_EQ(run({from_edge(reply[2])})[0].packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::fragment), 3u);
  EXPECT_EQ(events(NodeEvent::fragments_translated), 0u);
  // Its first fragment comes later: it goes (the node holds nothing; the later ones are lost).
  EXPECT_EQ(run({from_router(request[0])})[0].packet.verdict, Verdict::encapsulate);
}

TEST_F(NatFragmentsTest, LaterFragmentsExpireWithTheirEntry) {
  const auto request = cut(big_udp(kInside, 5353, kRemote, 53, 0x1234));
  ASSERT_EQ(run({from_router(request[0])}, 10)[0].packet.verdict, Verdict::encapsulate);
  EXPECT_EQ(run({from_router(request[1])}, 14)[0].packet.verdict, Verdict::encapsulate);
  EXPECT_EQ(run({from_router(request[2])}, 15)[0].packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::fragment), 1u);
}

TEST_F(NatFragmentsTest, TwoDatagramsDoNotMix) {
  // Two instances behind the gateway, each with a datagram out.
  const auto a_out = run(encapsulated(cut(big_udp(kInside, 5353, kRemote, 53, 100))));
  const auto b_out =
      run(encapsulated(cut(big_udp(kInside2, 5353, kRemote, 53, 100)), kRouter2, kInstance2Eni));
  const uint16_t port_a = packet::load_be16(a_out[0].inner().data() + 20);
  const uint16_t port_b = packet::load_be16(b_out[0].inner().data() + 20);
  ASSERT_NE(port_a, port_b);
  // The replies come from one remote to one NAT address, told apart by the IP id only;
  // interleaved.
  const auto a = cut(big_udp(kRemote, 53, kNat, port_a, 700, 3));
  const auto b = cut(big_udp(kRemote, 53, kNat, port_b, 701, 4));
  const auto in = run(from_edge_all({a[0], b[0], b[1], a[1], a[2], b[2]}));
  const std::vector<Buffer> to_a = {in[0], in[3], in[4]};
  const std::vector<Buffer> to_b = {in[1], in[2], in[5]};
  const auto a_inner = sent_alike(to_a, kRouter, 0, kInstanceEni);
  const auto b_inner = sent_alike(to_b, kRouter2, 0, kInstance2Eni);
  expect_addresses(a_inner, kRemote, kInside);
  expect_addresses(b_inner, kRemote, kInside2);
  EXPECT_EQ(udp_checksum(kRemote, kInside, reassemble(a_inner)), 0);
  EXPECT_EQ(udp_checksum(kRemote, kInside2, reassemble(b_inner)), 0);
  // A third id of the same addresses is neither of them.
  const auto c = cut(big_udp(kRemote, 53, kNat, port_a, 702));
  EXPECT_EQ(run({from_edge(c[1])})[0].packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(NodeDrop::fragment), 1u);
}

// The table alone: a full bucket gives its oldest entry to a new datagram; the same datagram
// again replaces its entry.
TEST(NatFragmentTable, OldestGivesWayAndCountsExpire) {
  NatFragments fragments(4, 5);  // one bucket of four ways
  packet::PacketMeta meta;
  meta.tuple.src = IpAddress::v4(kInside);
  meta.tuple.dst = IpAddress::v4(kRemote);
  meta.tuple.protocol = packet::kProtoUdp;
  meta.fragment.is_fragment = true;
  meta.fragment.offset = 0;
  meta.fragment.more_fragments = true;
  for (uint16_t id = 1; id <= 5; ++id) {
    meta.fragment.id = id;
    fragments.remember(NatFragments::Direction::out, 3, meta, {kNat, kEdgeA, 0, id}, 10 + id);
  }
  EXPECT_EQ(fragments.capacity(), 4u);
  EXPECT_EQ(fragments.count(15), 4u);
  // A later fragment's lookup: id 1 (the oldest) is gone, 2..5 are there.
  auto bytes = cut(big_udp(kInside, 5353, kRemote, 53, 1))[1];
  packet::PacketMeta m = packet::parse_ip(bytes);
  ASSERT_TRUE(NatFragments::is_later_fragment(m));
  EXPECT_EQ(fragments.translate(NatFragments::Direction::out, 3, bytes, m, 15), nullptr);
  for (uint16_t id = 2; id <= 5; ++id) {
    auto other = cut(big_udp(kInside, 5353, kRemote, 53, id))[1];
    m = packet::parse_ip(other);
    const NatFragmentRoute* route =
        fragments.translate(NatFragments::Direction::out, 3, other, m, 15);
    ASSERT_NE(route, nullptr) << id;
    EXPECT_EQ(route->outer_port, id);
    EXPECT_EQ(packet::load_be32(other.data() + 12), kNat);
    // Another gateway or the other direction does not find it.
    EXPECT_EQ(fragments.translate(NatFragments::Direction::out, 4, other, m, 15), nullptr);
    EXPECT_EQ(fragments.translate(NatFragments::Direction::in, 3, other, m, 15), nullptr);
  }
  EXPECT_EQ(fragments.count(12 + 5), 3u);  // id 2 came at 12: 5 seconds later it is gone
}

}  // namespace
}  // namespace openvpc::hyperplane
