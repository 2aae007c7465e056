// EdgeTranslator and a NAT gateway's elastic IP: packets from outside (and hairpins) go to the
// shard node owning their port, packets from the underlay are accepted only from live shard
// nodes sending as the gateway's ENI. Ports are picked from hyperplane::slot_range, the split
// the nodes allocate from.
#include <gtest/gtest.h>

#include <vector>

#include "edge/edge_translator.h"
#include "edge_packets.h"
#include "hyperplane/port_space.h"
#include "packet/parser.h"

namespace openvpc::edge {
namespace {

using dataplane::DropReason;
using dataplane::PortKind;
using dataplane::Verdict;
using namespace testing;

constexpr dataplane::Port kOutside{PortKind::gateway, 0};
const dataplane::Port kUnderlay = dataplane::Port::underlay();

std::vector<uint8_t> tcp_ports(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  packet::IpSpec ip{v4(src), v4(dst), 64, 0, true, 0x1234, 0, false};
  packet::TcpSpec t;
  t.src_port = sport;
  t.dst_port = dport;
  t.seq = 1000;
  t.flags = packet::kTcpAck;
  const uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  return packet::build_tcp(ip, t, payload);
}

std::vector<uint8_t> udp_ports(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                               uint16_t ip_id = 0x4321, size_t payload_size = 12) {
  packet::IpSpec ip{v4(src), v4(dst), 64, 0, false, ip_id, 0, false};
  const std::vector<uint8_t> payload(payload_size, 0x5a);
  return packet::build_udp(ip, {sport, dport}, payload);
}

// Bytes [offset, offset + length) of whole's payload as an IPv4 fragment.
std::vector<uint8_t> fragment(const std::vector<uint8_t>& whole, size_t offset, size_t length) {
  std::vector<uint8_t> out(whole.size() + 20);
  out.resize(packet::write_ipv4_fragment(out.data(), out.size(), whole, offset, length));
  EXPECT_GT(out.size(), 0u);
  return out;
}

std::vector<uint8_t> echo_id(uint32_t src, uint32_t dst, bool request, uint16_t id) {
  packet::IpSpec ip{v4(src), v4(dst), 64, 0, false, 9, 0, false};
  const uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  return packet::build_icmp_echo(ip, {request, id, 1}, payload);
}

// A port of `slot` of a 3-slot shard: its range's first, middle or last.
uint16_t port_of_slot(int slot, int which = 1) {
  const hyperplane::PortRange r = hyperplane::slot_range(slot, 3);
  return uint16_t(which == 0   ? r.first
                  : which == 2 ? r.first + r.count - 1
                               : r.first + r.count / 2);
}

class EdgeNatGatewayTest : public ::testing::Test {
 protected:
  EdgeNatGatewayTest() : translator(edge_config()) { use_nodes({kNode1, kNode2, kNode3}); }

  void use_nodes(const std::vector<uint32_t>& nodes) {
    program::Program p = edge_program();
    with_nat_gateway(p, nodes);
    auto table = compile_edge_table(p);
    ASSERT_TRUE(table.ok()) << table.error().message;
    translator.set_table(*table);
  }
  Buffer run(std::span<const uint8_t> bytes, dataplane::Port port) {
    Buffer b(bytes, port);
    translator.process({&b.packet, 1});
    return b;
  }
  void learn_gateway() {
    const auto arp = packet::build_arp_request(kGatewayMac, v4(kOutsideGateway), v4(kOutsideEdge));
    ASSERT_EQ(run(arp, kOutside).packet.verdict, Verdict::deliver);
  }
  uint64_t drops(DropReason r) const { return translator.counters().drops[size_t(r)]; }

  // The node an encapsulated result goes to (0 when it is not encapsulated), after checking
  // the tunnel fields toward the NAT gateway: VNI 7, destination ENI 60, source ENI 0, the
  // "from an edge node" flag. `inner` receives the inner packet.
  uint32_t node_of(const Buffer& b, std::vector<uint8_t>* inner = nullptr) {
    if (b.packet.verdict != Verdict::encapsulate) {
      ADD_FAILURE() << "verdict " << to_string(b.packet.verdict) << " "
                    << to_string(b.packet.drop_reason);
      return 0;
    }
    const auto meta = packet::parse_ip(b.bytes());
    EXPECT_TRUE(meta.ok());
    EXPECT_EQ(meta.geneve.outer_src.v4_host_order(), kEdge);
    EXPECT_EQ(meta.geneve.vni, 7u);
    EXPECT_EQ(meta.geneve.source_eni, 0u);
    EXPECT_EQ(meta.geneve.destination_eni, kNatEni);
    EXPECT_TRUE(meta.geneve.vpc_flags & packet::kVpcFlagFromHyperplane);
    const auto ip = b.bytes().subspan(meta.geneve.inner_offset);
    if (inner != nullptr) inner->assign(ip.begin(), ip.end());
    return meta.geneve.outer_dst.v4_host_order();
  }

  EdgeTranslator translator;
};

uint32_t dst_of(std::span<const uint8_t> ip) {
  return packet::load_be32(&ip[16]);
}
uint32_t src_of(std::span<const uint8_t> ip) {
  return packet::load_be32(&ip[12]);
}

TEST_F(EdgeNatGatewayTest, TcpAndUdpGoToTheNodeOwningTheDestinationPort) {
  const uint32_t nodes[] = {kNode1, kNode2, kNode3};
  for (int slot = 0; slot < 3; ++slot) {
    for (int which = 0; which < 3; ++which) {
      const uint16_t port = port_of_slot(slot, which);
      SCOPED_TRACE("slot " + std::to_string(slot) + " port " + std::to_string(port));
      std::vector<uint8_t> inner;
      EXPECT_EQ(node_of(run(from_outside(tcp_ports(kOutsideHost, kNatPublic, 443, port)), kOutside),
                        &inner),
                nodes[slot]);
      EXPECT_EQ(dst_of(inner), kNatPrivate);
      EXPECT_EQ(src_of(inner), kOutsideHost);
      EXPECT_EQ(inner[8], 63);
      expect_checksums_from_scratch(inner);
      EXPECT_EQ(node_of(run(from_outside(udp_ports(kOutsideHost, kNatPublic, 53, port)), kOutside)),
                nodes[slot]);
    }
  }
  EXPECT_EQ(translator.counters().events[size_t(EdgeEvent::translated_in)], 18u);
}

TEST_F(EdgeNatGatewayTest, AnEchoReplyGoesByItsIdentifier) {
  for (int slot = 0; slot < 3; ++slot) {
    const uint32_t nodes[] = {kNode1, kNode2, kNode3};
    std::vector<uint8_t> inner;
    const auto reply = echo_id(kOutsideHost, kNatPublic, false, port_of_slot(slot));
    EXPECT_EQ(node_of(run(from_outside(reply), kOutside), &inner), nodes[slot]) << slot;
    EXPECT_EQ(dst_of(inner), kNatPrivate);
    expect_checksums_from_scratch(inner);
  }
}

TEST_F(EdgeNatGatewayTest, AnIcmpErrorGoesByTheQuotedPacketsSourcePort) {
  // Node 2 sent 203.0.113.50:<its port> -> outside; a router outside answers with "port
  // unreachable" quoting it. The destination port of the quote (443) names no node.
  const auto sent = udp_ports(kNatPublic, kOutsideHost, port_of_slot(1), 443);
  const auto error = icmp_error(0xc6336463, 3, 3, sent);
  std::vector<uint8_t> inner;
  EXPECT_EQ(node_of(run(from_outside(error), kOutside), &inner), kNode2);
  EXPECT_EQ(dst_of(inner), kNatPrivate);
  EXPECT_EQ(src_of(std::span(inner).subspan(28)), kNatPrivate) << "the quote's source follows";
  expect_checksums_from_scratch(inner);
  // An error about an echo request goes by the request's identifier.
  const auto ping = echo_id(kNatPublic, kOutsideHost, true, port_of_slot(2));
  EXPECT_EQ(node_of(run(from_outside(icmp_error(0xc6336463, 11, 0, ping)), kOutside)), kNode3);
  // An error quoting only the IP header (no ports) has no owner.
  const auto cut = icmp_error(0xc6336463, 3, 3, std::span(sent).first(20));
  EXPECT_EQ(run(from_outside(cut), kOutside).packet.drop_reason, DropReason::edge_nat_port_unowned);
}

TEST_F(EdgeNatGatewayTest, ADownNodesPortsGoToTheNextLiveSlotWrapping) {
  use_nodes({kNode1, kDown, kNode3});
  const auto to = [&](int slot) {
    return node_of(
        run(from_outside(tcp_ports(kOutsideHost, kNatPublic, 443, port_of_slot(slot))), kOutside));
  };
  EXPECT_EQ(to(0), kNode1);
  EXPECT_EQ(to(1), kNode3);
  EXPECT_EQ(to(2), kNode3);
  use_nodes({kNode1, kNode2, kDown});
  EXPECT_EQ(to(2), kNode1);
}

TEST_F(EdgeNatGatewayTest, NoNodeUpOrNoOwningPortIsACountedDrop) {
  const auto drop_of = [&](const std::vector<uint8_t>& ip) {
    const Buffer b = run(from_outside(ip), kOutside);
    EXPECT_EQ(b.packet.verdict, Verdict::drop);
    return b.packet.drop_reason;
  };
  // Ports below 1024 belong to no slot; neither do a later fragment or another protocol.
  EXPECT_EQ(drop_of(tcp_ports(kOutsideHost, kNatPublic, 443, 1023)),
            DropReason::edge_nat_port_unowned);
  EXPECT_EQ(drop_of(udp_ports(kOutsideHost, kNatPublic, 53, 0)), DropReason::edge_nat_port_unowned);
  // A later fragment whose first fragment this edge did not see.
  const auto whole = udp_ports(kOutsideHost, kNatPublic, 53, port_of_slot(0));
  EXPECT_EQ(drop_of(fragment(whole, 8, 12)), DropReason::edge_nat_port_unowned);
  EXPECT_EQ(drops(DropReason::edge_nat_port_unowned), 3u);
  use_nodes({kDown, kDown, kDown});
  EXPECT_EQ(drop_of(tcp_ports(kOutsideHost, kNatPublic, 443, port_of_slot(1))),
            DropReason::gateway_unavailable);
  use_nodes({});
  EXPECT_EQ(drop_of(tcp_ports(kOutsideHost, kNatPublic, 443, port_of_slot(1))),
            DropReason::gateway_unavailable);
  EXPECT_EQ(drops(DropReason::gateway_unavailable), 2u);
  EXPECT_EQ(translator.counters().outside_bytes_in, 0u) << "nothing was delivered inward";
}

TEST_F(EdgeNatGatewayTest, LaterFragmentsFollowTheirFirstOne) {
  // Node 2 owns the port; its datagram comes in three fragments, the last before the middle.
  const auto whole = udp_ports(kOutsideHost, kNatPublic, 53, port_of_slot(1), 0x1111, 200);
  std::vector<uint8_t> inner;
  EXPECT_EQ(node_of(run(from_outside(fragment(whole, 0, 64)), kOutside), &inner), kNode2);
  EXPECT_EQ(dst_of(inner), kNatPrivate);
  EXPECT_EQ(node_of(run(from_outside(fragment(whole, 128, 80)), kOutside), &inner), kNode2);
  EXPECT_EQ(dst_of(inner), kNatPrivate);
  EXPECT_EQ(node_of(run(from_outside(fragment(whole, 64, 64)), kOutside)), kNode2);
  // Another datagram (IP id) of the same flow whose first fragment was not seen: no owner.
  const auto other = udp_ports(kOutsideHost, kNatPublic, 53, port_of_slot(1), 0x2222, 200);
  const Buffer orphan = run(from_outside(fragment(other, 64, 64)), kOutside);
  EXPECT_EQ(orphan.packet.drop_reason, DropReason::edge_nat_port_unowned);
  // Its first fragment to slot 0's port goes to node 1, and so do its later ones.
  const auto third = udp_ports(kOutsideHost, kNatPublic, 53, port_of_slot(0), 0x3333, 200);
  EXPECT_EQ(node_of(run(from_outside(fragment(third, 0, 64)), kOutside)), kNode1);
  EXPECT_EQ(node_of(run(from_outside(fragment(third, 64, 144)), kOutside)), kNode1);
  EXPECT_EQ(node_of(run(from_outside(fragment(whole, 64, 64)), kOutside)), kNode2);
}

TEST_F(EdgeNatGatewayTest, FromTheUnderlayOnlyLiveShardNodesSendAsTheGateway) {
  learn_gateway();
  use_nodes({kNode1, kDown, kNode3});
  const auto out = tcp_ports(kNatPrivate, kOutsideHost, port_of_slot(2), 443);
  const Buffer ok = run(from_host(out, 7, kNatEni, kNode3), kUnderlay);
  ASSERT_EQ(ok.packet.verdict, Verdict::deliver) << to_string(ok.packet.drop_reason);
  EXPECT_EQ(ok.packet.out_port.kind, PortKind::gateway);
  const auto ip = ok.bytes().subspan(14);
  EXPECT_EQ(src_of(ip), kNatPublic);
  expect_checksums_from_scratch(ip);
  EXPECT_EQ(run(from_host(out, 7, kNatEni, kNode1), kUnderlay).packet.verdict, Verdict::deliver);
  for (const auto& [source_eni, outer] :
       {std::pair{kNatEni, kNode2},                                    // its slot is down
        std::pair{kNatEni, kHostA},                                    // no node of the shard
        std::pair{kNatEni, kDown}, std::pair{uint32_t{1}, kNode1}}) {  // another ENI
    const Buffer b = run(from_host(out, 7, source_eni, outer), kUnderlay);
    EXPECT_EQ(b.packet.drop_reason, DropReason::edge_source_mismatch) << outer;
  }
  // An instance's address is still accepted only from its host, not from a NAT node.
  EXPECT_EQ(
      run(from_host(tcp(kPrivate5, kOutsideHost), 7, 1, kNode1), kUnderlay).packet.drop_reason,
      DropReason::edge_source_mismatch);
  EXPECT_EQ(drops(DropReason::edge_source_mismatch), 5u);
}

TEST_F(EdgeNatGatewayTest, HairpinsToAndFromTheGatewaysAddress) {
  // An instance to the elastic IP: routed like an inbound packet, to the port's owner.
  std::vector<uint8_t> inner;
  const auto to_nat = tcp_ports(kPrivate5, kNatPublic, 40000, port_of_slot(1));
  EXPECT_EQ(node_of(run(from_host(to_nat, 7, 1, kHostA), kUnderlay), &inner), kNode2);
  EXPECT_EQ(src_of(inner), kPublic5);
  EXPECT_EQ(dst_of(inner), kNatPrivate);
  expect_checksums_from_scratch(inner);
  EXPECT_EQ(translator.counters().events[size_t(EdgeEvent::hairpin)], 1u);
  const auto low = tcp_ports(kPrivate5, kNatPublic, 40000, 80);
  EXPECT_EQ(run(from_host(low, 7, 1, kHostA), kUnderlay).packet.drop_reason,
            DropReason::edge_nat_port_unowned);
  // The gateway (from a node) to an instance's public address: to the instance's host.
  const auto from_nat = tcp_ports(kNatPrivate, kPublic6, port_of_slot(0), 443);
  const Buffer b = run(from_host(from_nat, 7, kNatEni, kNode1), kUnderlay);
  ASSERT_EQ(b.packet.verdict, Verdict::encapsulate) << to_string(b.packet.drop_reason);
  const auto meta = packet::parse_ip(b.bytes());
  EXPECT_EQ(meta.geneve.outer_dst.v4_host_order(), kHostB);
  EXPECT_EQ(meta.geneve.destination_eni, 2u);
  EXPECT_EQ(meta.tuple.src.v4_host_order(), kNatPublic);
  EXPECT_EQ(meta.tuple.dst.v4_host_order(), kPrivate6);
}

TEST_F(EdgeNatGatewayTest, AnswersArpForTheElasticIp) {
  const auto arp = packet::build_arp_request(kGatewayMac, v4(kOutsideGateway), v4(kNatPublic));
  EXPECT_EQ(run(arp, kOutside).packet.verdict, Verdict::deliver);
  EXPECT_EQ(translator.counters().events[size_t(EdgeEvent::arp_replied)], 1u);
}

}  // namespace
}  // namespace openvpc::edge
