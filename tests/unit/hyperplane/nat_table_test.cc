// NatTable: a NAT gateway's translations, checked on real packets (packet/builder.h) whose
// checksums are verified from scratch after every rewrite.
#include "hyperplane/nat_table.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "packet/builder.h"
#include "packet/checksum.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;

constexpr uint32_t kInside = 0x0a000a05;   // 10.0.10.5, an instance behind the gateway
constexpr uint32_t kInside2 = 0x0a000a06;  // 10.0.10.6
constexpr uint32_t kNat = 0x0a000164;      // 10.0.1.100, the gateway's private address
constexpr uint32_t kNat2 = 0x0a000165;     // 10.0.1.101, a secondary address
constexpr uint32_t kRemote = 0xcb00710a;   // 203.0.113.10

IpAddress v4(uint32_t a) {
  return IpAddress::v4(a);
}

struct Packet {
  std::vector<uint8_t> bytes;
  packet::PacketMeta meta;
};

Packet parsed(std::vector<uint8_t> bytes) {
  Packet p{std::move(bytes), {}};
  p.meta = packet::parse_ip(p.bytes);
  return p;
}

Packet tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags) {
  packet::TcpSpec spec;
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  spec.seq = 1000;
  const uint8_t payload[] = {'h', 'i'};
  return parsed(packet::build_tcp({.src = v4(src), .dst = v4(dst)}, spec, payload));
}

Packet udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
  const uint8_t payload[] = {1, 2, 3};
  return parsed(packet::build_udp({.src = v4(src), .dst = v4(dst)}, {sport, dport}, payload));
}

Packet echo(uint32_t src, uint32_t dst, bool request, uint16_t id) {
  return parsed(packet::build_icmp_echo({.src = v4(src), .dst = v4(dst)}, {request, id, 7}));
}

// Re-parses the rewritten bytes and checks every checksum from scratch.
packet::PacketMeta checked(const Packet& p) {
  const packet::PacketMeta meta = packet::parse_ip(p.bytes);
  EXPECT_TRUE(meta.ok());
  const uint8_t* ip = p.bytes.data() + meta.l3_offset;
  EXPECT_TRUE(packet::ipv4_header_checksum_valid(ip, meta.ipv4_ihl * 4u));
  const size_t l4_size = meta.l3_offset + meta.l3_size - meta.l4_offset;
  const uint8_t* l4 = p.bytes.data() + meta.l4_offset;
  if (meta.tuple.protocol == packet::kProtoIcmp) {
    EXPECT_EQ(packet::checksum_fold(packet::checksum_partial(l4, l4_size)), 0);
  } else {
    EXPECT_EQ(packet::l4_checksum(meta.tuple.src, meta.tuple.dst, meta.tuple.protocol, l4, l4_size),
              0);
  }
  return meta;
}

NatGatewayConfig gateway(uint32_t number, std::vector<uint32_t> addresses, int slot = 0,
                         int slots = 1) {
  NatGatewayConfig config;
  config.number = number;
  config.addresses = std::move(addresses);
  config.ranges = {slot_range(slot, slots)};
  config.cap_per_range = slot_cap(slot, slots);
  return config;
}

uint64_t metric(const NatTable& table, NatMetric m, uint16_t g = 0) {
  return table.counters(g)[size_t(m)];
}

TEST(NatTable, MetricNamesAreAmazons) {
  EXPECT_EQ(to_string(NatMetric::ErrorPortAllocation), "ErrorPortAllocation");
  EXPECT_EQ(to_string(NatMetric::PacketsOutToDestination), "PacketsOutToDestination");
  EXPECT_TRUE(is_gauge(NatMetric::ActiveConnectionCount));
  EXPECT_FALSE(is_gauge(NatMetric::IdleTimeoutCount));
  std::set<std::string_view> names;
  for (size_t i = 0; i < kNatMetricCount; ++i) names.insert(to_string(NatMetric(i)));
  EXPECT_EQ(names.size(), kNatMetricCount);
  EXPECT_EQ(names.count("?"), 0u);
}

TEST(NatTable, TcpFlowOutAndBack) {
  NatTable table(64);
  table.set_gateways({gateway(7, {kNat})});
  Packet syn = tcp(kInside, 40000, kRemote, 80, packet::kTcpSyn);
  ASSERT_EQ(table.translate_out(syn.bytes, syn.meta, 0, 100), NatVerdict::translated);
  const packet::PacketMeta out = checked(syn);
  EXPECT_EQ(out.tuple.src.v4_host_order(), kNat);
  EXPECT_EQ(out.tuple.dst.v4_host_order(), kRemote);
  const uint16_t nat_port = out.tuple.src_port;
  EXPECT_GE(nat_port, kFirstNatPort);

  Packet synack = tcp(kRemote, 80, kNat, nat_port, packet::kTcpSyn | packet::kTcpAck);
  ASSERT_EQ(table.translate_in(synack.bytes, synack.meta, 0, 101), NatVerdict::translated);
  const packet::PacketMeta in = checked(synack);
  EXPECT_EQ(in.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(in.tuple.dst_port, 40000);
  EXPECT_EQ(in.tuple.src.v4_host_order(), kRemote);

  // The same flow keeps its port.
  Packet ack = tcp(kInside, 40000, kRemote, 80, packet::kTcpAck);
  ASSERT_EQ(table.translate_out(ack.bytes, ack.meta, 0, 102), NatVerdict::translated);
  EXPECT_EQ(checked(ack).tuple.src_port, nat_port);

  EXPECT_EQ(metric(table, NatMetric::ActiveConnectionCount), 1u);
  EXPECT_EQ(metric(table, NatMetric::ConnectionAttemptCount), 1u);
  EXPECT_EQ(metric(table, NatMetric::ConnectionEstablishedCount), 1u);
  EXPECT_EQ(metric(table, NatMetric::PacketsOutToDestination), 2u);
  EXPECT_EQ(metric(table, NatMetric::PacketsInFromDestination), 1u);
  EXPECT_EQ(metric(table, NatMetric::PacketsOutToSource), 1u);
  EXPECT_EQ(metric(table, NatMetric::BytesOutToDestination), 2u * syn.meta.l3_size);
}

TEST(NatTable, UnsolicitedInboundIsDropped) {
  NatTable table(16);
  table.set_gateways({gateway(7, {kNat})});
  Packet in = tcp(kRemote, 80, kNat, 2000, packet::kTcpSyn);
  EXPECT_EQ(table.translate_in(in.bytes, in.meta, 0, 1), NatVerdict::unsolicited);
  Packet stray = udp(kRemote, 53, kNat, 3000);
  EXPECT_EQ(table.translate_in(stray.bytes, stray.meta, 0, 1), NatVerdict::unsolicited);
  // A reply from another remote port than the flow's is not the flow's reply.
  Packet out = udp(kInside, 5000, kRemote, 53);
  ASSERT_EQ(table.translate_out(out.bytes, out.meta, 0, 1), NatVerdict::translated);
  Packet other = udp(kRemote, 54, kNat, checked(out).tuple.src_port);
  EXPECT_EQ(table.translate_in(other.bytes, other.meta, 0, 1), NatVerdict::unsolicited);
}

TEST(NatTable, TcpWithoutAFlowFromInsideIsReset) {
  NatTable table(16);
  table.set_gateways({gateway(7, {kNat})});
  Packet ack = tcp(kInside, 40000, kRemote, 80, packet::kTcpAck);
  EXPECT_EQ(table.translate_out(ack.bytes, ack.meta, 0, 1), NatVerdict::reset);
  Packet rst = tcp(kInside, 40000, kRemote, 80, packet::kTcpRst);
  EXPECT_EQ(table.translate_out(rst.bytes, rst.meta, 0, 1), NatVerdict::unsolicited);
  EXPECT_EQ(table.flows(), 0u);
  EXPECT_EQ(metric(table, NatMetric::PacketsDropCount), 2u);
}

TEST(NatTable, IdleFlowsTimeOutAndThenGetAnRst) {
  NatTable table(16, {.idle_seconds = 5, .closed_seconds = 1});
  table.set_gateways({gateway(7, {kNat})});
  Packet syn = tcp(kInside, 40000, kRemote, 80, packet::kTcpSyn);
  ASSERT_EQ(table.translate_out(syn.bytes, syn.meta, 0, 100), NatVerdict::translated);
  Packet ack = tcp(kInside, 40000, kRemote, 80, packet::kTcpAck);
  ASSERT_EQ(table.translate_out(ack.bytes, ack.meta, 0, 105), NatVerdict::translated);
  EXPECT_EQ(table.expire(110, 100), 0u);  // 5 s idle: not yet past
  EXPECT_EQ(table.expire(111, 100), 1u);
  EXPECT_EQ(metric(table, NatMetric::IdleTimeoutCount), 1u);
  EXPECT_EQ(metric(table, NatMetric::ActiveConnectionCount), 0u);
  Packet late = tcp(kInside, 40000, kRemote, 80, packet::kTcpAck);
  EXPECT_EQ(table.translate_out(late.bytes, late.meta, 0, 112), NatVerdict::reset);

  // A packet that meets an idle flow retires it without a sweep.
  Packet u = udp(kInside, 5000, kRemote, 53);
  ASSERT_EQ(table.translate_out(u.bytes, u.meta, 0, 200), NatVerdict::translated);
  Packet reply = udp(kRemote, 53, kNat, checked(u).tuple.src_port);
  EXPECT_EQ(table.translate_in(reply.bytes, reply.meta, 0, 206), NatVerdict::unsolicited);
  EXPECT_EQ(table.flows(), 0u);
  EXPECT_EQ(metric(table, NatMetric::IdleTimeoutCount), 2u);
}

TEST(NatTable, ClosedAndResetFlowsFreeTheirPorts) {
  NatTable table(16, {.idle_seconds = 350, .closed_seconds = 2});
  table.set_gateways({gateway(7, {kNat})});
  Packet syn = tcp(kInside, 40000, kRemote, 80, packet::kTcpSyn);
  ASSERT_EQ(table.translate_out(syn.bytes, syn.meta, 0, 10), NatVerdict::translated);
  const uint16_t port = checked(syn).tuple.src_port;
  Packet fin_in = tcp(kInside, 40000, kRemote, 80, packet::kTcpFin | packet::kTcpAck);
  ASSERT_EQ(table.translate_out(fin_in.bytes, fin_in.meta, 0, 11), NatVerdict::translated);
  Packet fin_out = tcp(kRemote, 80, kNat, port, packet::kTcpFin | packet::kTcpAck);
  ASSERT_EQ(table.translate_in(fin_out.bytes, fin_out.meta, 0, 11), NatVerdict::translated);
  EXPECT_EQ(table.expire(12, 16), 0u);
  EXPECT_EQ(table.expire(14, 16), 1u);  // closed: 2 s, not 350

  Packet syn2 = tcp(kInside, 40001, kRemote, 80, packet::kTcpSyn);
  ASSERT_EQ(table.translate_out(syn2.bytes, syn2.meta, 0, 20), NatVerdict::translated);
  Packet rst = tcp(kRemote, 80, kNat, checked(syn2).tuple.src_port, packet::kTcpRst);
  ASSERT_EQ(table.translate_in(rst.bytes, rst.meta, 0, 21), NatVerdict::translated);
  EXPECT_EQ(checked(rst).tuple.dst_port, 40001);
  EXPECT_EQ(table.flows(), 0u);
}

TEST(NatTable, IcmpEchoUsesTheIdAsItsPort) {
  NatTable table(16);
  table.set_gateways({gateway(7, {kNat})});
  Packet request = echo(kInside, kRemote, true, 0x1234);
  ASSERT_EQ(table.translate_out(request.bytes, request.meta, 0, 1), NatVerdict::translated);
  const packet::PacketMeta out = checked(request);
  EXPECT_EQ(out.tuple.src.v4_host_order(), kNat);
  const uint16_t id = out.icmp.id;
  EXPECT_GE(id, kFirstNatPort);
  Packet reply = echo(kRemote, kNat, false, id);
  ASSERT_EQ(table.translate_in(reply.bytes, reply.meta, 0, 1), NatVerdict::translated);
  const packet::PacketMeta in = checked(reply);
  EXPECT_EQ(in.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(in.icmp.id, 0x1234);
  // An echo request from outside is not a reply to anything.
  Packet ping_in = echo(kRemote, kNat, true, id);
  EXPECT_EQ(table.translate_in(ping_in.bytes, ping_in.meta, 0, 1), NatVerdict::untranslatable);
  // Id 0 could not be written back on the reply.
  Packet zero = echo(kInside, kRemote, true, 0);
  EXPECT_EQ(table.translate_out(zero.bytes, zero.meta, 0, 1), NatVerdict::untranslatable);
}

TEST(NatTable, IcmpErrorFromOutsideIsTranslatedThroughItsQuote) {
  NatTable table(16);
  table.set_gateways({gateway(7, {kNat})});
  Packet out = udp(kInside, 5000, kRemote, 33434);
  ASSERT_EQ(table.translate_out(out.bytes, out.meta, 0, 1), NatVerdict::translated);
  const uint16_t nat_port = checked(out).tuple.src_port;
  // The remote answers port unreachable, quoting the translated datagram.
  std::vector<uint8_t> error(128);
  const size_t size =
      packet::write_icmp_error(error.data(), error.size(), v4(kRemote), 3, 3, 0, out.bytes);
  ASSERT_GT(size, 0u);
  error.resize(size);
  Packet e = parsed(error);
  ASSERT_EQ(table.translate_in(e.bytes, e.meta, 0, 2), NatVerdict::translated);
  const packet::PacketMeta in = checked(e);
  EXPECT_EQ(in.tuple.dst.v4_host_order(), kInside);
  ASSERT_TRUE(in.icmp_inner.present);
  EXPECT_EQ(in.icmp_inner.tuple.src.v4_host_order(), kInside);
  EXPECT_EQ(in.icmp_inner.tuple.src_port, 5000);
  EXPECT_EQ(in.icmp_inner.tuple.dst_port, 33434);
  EXPECT_NE(nat_port, 5000);
  // An error quoting a flow that does not exist is dropped.
  Packet unknown = udp(kNat, 4444, kRemote, 33434);
  const size_t size2 =
      packet::write_icmp_error(error.data(), 128, v4(kRemote), 3, 3, 0, unknown.bytes);
  error.resize(size2);
  Packet e2 = parsed(error);
  EXPECT_EQ(table.translate_in(e2.bytes, e2.meta, 0, 2), NatVerdict::unsolicited);
}

TEST(NatTable, PortsPerDestinationStopAtTheSlotCap) {
  // One slot of three: its share of the 55,000 per destination; then ErrorPortAllocation.
  NatTable table(20000);
  table.set_gateways({gateway(7, {kNat}, 1, 3)});
  const uint32_t cap = slot_cap(1, 3);
  const PortRange range = slot_range(1, 3);
  std::set<uint16_t> ports;
  uint32_t translated = 0, refused = 0;
  for (uint32_t i = 0; i < cap + 10; ++i) {
    Packet syn =
        tcp(kInside + (i >> 15), uint16_t(1024 + (i & 0x7fff)), kRemote, 443, packet::kTcpSyn);
    const NatVerdict v = table.translate_out(syn.bytes, syn.meta, 0, 1);
    if (v == NatVerdict::translated) {
      ++translated;
      const uint16_t port = packet::parse_ip(syn.bytes).tuple.src_port;
      EXPECT_TRUE(range.contains(port));
      ports.insert(port);
    } else {
      EXPECT_EQ(v, NatVerdict::port_allocation);
      ++refused;
    }
  }
  EXPECT_EQ(translated, cap);
  EXPECT_EQ(ports.size(), cap);  // never a port twice for one destination
  EXPECT_EQ(refused, 10u);
  EXPECT_EQ(metric(table, NatMetric::ErrorPortAllocation), 10u);
  // Another destination port is another budget.
  Packet other = tcp(kInside, 1024, kRemote, 444, packet::kTcpSyn);
  EXPECT_EQ(table.translate_out(other.bytes, other.meta, 0, 1), NatVerdict::translated);
}

TEST(NatTable, SecondaryAddressesTakeOverWhenThePrimaryIsFull) {
  NatTable table(64);
  NatGatewayConfig config = gateway(7, {kNat, kNat2});
  config.cap_per_range = 4;
  table.set_gateways({config});
  std::set<uint32_t> used;
  for (uint16_t i = 0; i < 8; ++i) {
    Packet syn = tcp(kInside, uint16_t(2000 + i), kRemote, 80, packet::kTcpSyn);
    ASSERT_EQ(table.translate_out(syn.bytes, syn.meta, 0, 1), NatVerdict::translated);
    used.insert(checked(syn).tuple.src.v4_host_order());
  }
  EXPECT_EQ(used, (std::set<uint32_t>{kNat, kNat2}));
  Packet ninth = tcp(kInside, 3000, kRemote, 80, packet::kTcpSyn);
  EXPECT_EQ(table.translate_out(ninth.bytes, ninth.meta, 0, 1), NatVerdict::port_allocation);
}

TEST(NatTable, TableFullIsADropNotAnEviction) {
  NatTable table(2);
  table.set_gateways({gateway(7, {kNat})});
  for (uint16_t i = 0; i < 2; ++i) {
    Packet u = udp(kInside, uint16_t(5000 + i), kRemote, 53);
    ASSERT_EQ(table.translate_out(u.bytes, u.meta, 0, 1), NatVerdict::translated);
  }
  Packet third = udp(kInside, 5002, kRemote, 53);
  EXPECT_EQ(table.translate_out(third.bytes, third.meta, 0, 1), NatVerdict::table_full);
  EXPECT_TRUE(table.find_out(0, kInside, 5000, kRemote, 53, packet::kProtoUdp).has_value());
  EXPECT_TRUE(table.find_out(0, kInside, 5001, kRemote, 53, packet::kProtoUdp).has_value());
}

TEST(NatTable, GatewaysUpdateKeepsFlowsWhoseRangeTheNodeStillOwns) {
  NatTable table(64);
  table.set_gateways({gateway(7, {kNat}, 0, 3), gateway(9, {kNat2}, 0, 3)});
  Packet a = udp(kInside, 5000, kRemote, 53);
  ASSERT_EQ(table.translate_out(a.bytes, a.meta, 0, 1), NatVerdict::translated);
  Packet b = udp(kInside2, 5000, kRemote, 53);
  ASSERT_EQ(table.translate_out(b.bytes, b.meta, 1, 1), NatVerdict::translated);
  const uint16_t port_b = checked(b).tuple.src_port;
  // Gateway 7 is gone; gateway 9 moves to index 0 and this node also takes over slot 1.
  NatGatewayConfig nine = gateway(9, {kNat2}, 0, 3);
  nine.ranges.push_back(slot_range(1, 3));
  table.set_gateways({nine});
  EXPECT_EQ(table.flows(), 1u);
  EXPECT_EQ(metric(table, NatMetric::ActiveConnectionCount, 0), 1u);
  EXPECT_EQ(metric(table, NatMetric::PacketsOutToDestination, 0), 1u);  // counters follow
  Packet reply = udp(kRemote, 53, kNat2, port_b);
  ASSERT_EQ(table.translate_in(reply.bytes, reply.meta, 0, 2), NatVerdict::translated);
  EXPECT_EQ(checked(reply).tuple.dst.v4_host_order(), kInside2);
  Packet old = udp(kRemote, 53, kNat, checked(a).tuple.src_port);
  EXPECT_EQ(table.translate_in(old.bytes, old.meta, 0, 2), NatVerdict::unsolicited);
  // The node lost the slot of a flow: the flow stays as a replica (its new owner is sent it),
  // no longer counted as this node's connection, and still translates.
  table.set_gateways({gateway(9, {kNat2}, 2, 3)});
  EXPECT_EQ(table.flows(), 1u);
  EXPECT_EQ(table.replica_flows(), 1u);
  EXPECT_EQ(metric(table, NatMetric::ActiveConnectionCount, 0), 0u);
  Packet again = udp(kRemote, 53, kNat2, port_b);
  EXPECT_EQ(table.translate_in(again.bytes, again.meta, 0, 3), NatVerdict::translated);
  // Its gateway leaves the node: the flow goes.
  table.set_gateways({gateway(7, {kNat}, 2, 3)});
  EXPECT_EQ(table.flows(), 0u);
  EXPECT_EQ(table.replica_flows(), 0u);
}

TEST(NatTable, LaterFragmentsAndUnknownGatewaysAreRefused) {
  NatTable table(16);
  table.set_gateways({gateway(7, {kNat})});
  const uint8_t payload[16] = {};
  Packet fragment = parsed(packet::build_ip(
      {.src = v4(kInside), .dst = v4(kRemote), .fragment_offset = 16}, packet::kProtoUdp, payload));
  EXPECT_EQ(table.translate_out(fragment.bytes, fragment.meta, 0, 1), NatVerdict::fragment);
  Packet u = udp(kInside, 5000, kRemote, 53);
  EXPECT_EQ(table.translate_out(u.bytes, u.meta, 3, 1), NatVerdict::unknown_gateway);
}

}  // namespace
}  // namespace openvpc::hyperplane

namespace openvpc::hyperplane {
namespace {

TEST(NatTable, PrefetchHashesOnlyWhatTranslateWouldLookUp) {
  NatTable table(16);
  table.set_gateways({gateway(7, {kNat})});
  Packet out = udp(kInside, 5000, kRemote, 53);
  const uint64_t hash = table.prefetch_index(out.meta, false);
  EXPECT_NE(hash, 0u);
  table.prefetch_flow(hash, false);  // no flow yet: harmless
  ASSERT_EQ(table.translate_out(out.bytes, out.meta, 0, 1), NatVerdict::translated);
  Packet reply = udp(kRemote, 53, kNat, checked(out).tuple.src_port);
  const uint64_t in_hash = table.prefetch_index(reply.meta, true);
  EXPECT_NE(in_hash, 0u);
  table.prefetch_flow(in_hash, true);
  EXPECT_EQ(table.translate_in(reply.bytes, reply.meta, 0, 1), NatVerdict::translated);
  Packet ping_in = echo(kRemote, kNat, true, 99);  // translate refuses it: no hash
  EXPECT_EQ(table.prefetch_index(ping_in.meta, true), 0u);
}

}  // namespace
}  // namespace openvpc::hyperplane
