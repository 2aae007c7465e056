// EdgeTranslator: 1:1 NAT between the Geneve underlay and the outside, one packet at a time,
// every checksum compared with a recomputation from scratch.
#include "edge/edge_translator.h"

#include <gtest/gtest.h>

#include <optional>

#include "edge_packets.h"
#include "packet/ecn.h"
#include "packet/headers.h"
#include "packet/parser.h"

namespace openvpc::edge {
namespace {

using dataplane::DropReason;
using dataplane::PortKind;
using dataplane::Verdict;
using namespace testing;

constexpr dataplane::Port kOutside{PortKind::gateway, 0};

class EdgeTranslatorTest : public ::testing::Test {
 protected:
  EdgeTranslatorTest() : translator(edge_config()) {
    auto table = compile_edge_table(edge_program());
    EXPECT_TRUE(table.ok());
    translator.set_table(*table);
  }

  Buffer run(std::span<const uint8_t> bytes, dataplane::Port port) {
    Buffer b(bytes, port);
    translator.process({&b.packet, 1});
    return b;
  }
  void learn_gateway() {
    const auto arp = packet::build_arp_request(kGatewayMac, v4(kOutsideGateway), v4(kOutsideEdge));
    const Buffer b = run(arp, kOutside);
    ASSERT_EQ(b.packet.verdict, Verdict::deliver);
    ASSERT_TRUE(translator.next_hop_known());
  }
  uint64_t drops(DropReason r) const { return translator.counters().drops[size_t(r)]; }
  uint64_t events(EdgeEvent e) const { return translator.counters().events[size_t(e)]; }

  // The outside-bound IP packet of a delivered frame (checks the Ethernet header).
  static std::span<const uint8_t> outside_ip(const Buffer& b) {
    EXPECT_EQ(b.packet.verdict, Verdict::deliver);
    EXPECT_EQ(b.packet.out_port.kind, PortKind::gateway);
    const auto frame = b.bytes();
    EXPECT_GE(frame.size(), 34u);
    EXPECT_TRUE(std::equal(kGatewayMac.bytes.begin(), kGatewayMac.bytes.end(), frame.begin()));
    const auto ours = edge_config().outside_mac;
    EXPECT_TRUE(std::equal(ours.bytes.begin(), ours.bytes.end(), frame.begin() + 6));
    EXPECT_EQ(packet::load_be16(&frame[12]), packet::kEthertypeIpv4);
    return frame.subspan(14);
  }

  // The inner IP packet of an encapsulated result, after checking the outer headers.
  static std::span<const uint8_t> host_ip(const Buffer& b, uint32_t host, uint32_t vni,
                                          uint32_t eni) {
    EXPECT_EQ(b.packet.verdict, Verdict::encapsulate);
    const auto meta = packet::parse_ip(b.bytes());
    EXPECT_TRUE(meta.ok()) << int(meta.error);
    EXPECT_TRUE(meta.geneve.present);
    EXPECT_EQ(meta.geneve.outer_src.v4_host_order(), kEdge);
    EXPECT_EQ(meta.geneve.outer_dst.v4_host_order(), host);
    EXPECT_EQ(meta.geneve.vni, vni);
    EXPECT_EQ(meta.geneve.source_eni, 0u);
    EXPECT_EQ(meta.geneve.destination_eni, eni);
    EXPECT_TRUE(meta.geneve.vpc_flags & packet::kVpcFlagFromHyperplane);
    EXPECT_TRUE(packet::ipv4_header_checksum_valid(b.packet.data, 20)) << "outer IPv4 checksum";
    return b.bytes().subspan(meta.geneve.inner_offset);
  }

  EdgeTranslator translator;
};

uint32_t src_of(std::span<const uint8_t> ip) {
  return packet::load_be32(&ip[12]);
}
uint32_t dst_of(std::span<const uint8_t> ip) {
  return packet::load_be32(&ip[16]);
}

// ---- from a host to the outside ----

TEST_F(EdgeTranslatorTest, OutboundTcpGetsThePublicSourceAndFreshChecksums) {
  learn_gateway();
  const auto inner = tcp(kPrivate5, kOutsideHost, 100);
  const Buffer b = run(from_host(inner, 7, 1, kHostA), dataplane::Port::underlay());
  const auto ip = outside_ip(b);
  ASSERT_EQ(ip.size(), inner.size());
  EXPECT_EQ(src_of(ip), kPublic5);
  EXPECT_EQ(dst_of(ip), kOutsideHost);
  EXPECT_EQ(ip[8], 64) << "the edge leaves the TTL of outbound packets as the router sent it";
  expect_checksums_from_scratch(ip);
  EXPECT_TRUE(std::equal(ip.begin() + 20, ip.begin() + 36, inner.begin() + 20))
      << "TCP header up to the checksum unchanged";
  EXPECT_TRUE(std::equal(ip.begin() + 40, ip.end(), inner.begin() + 40)) << "payload unchanged";
  EXPECT_EQ(events(EdgeEvent::translated_out), 1u);
  EXPECT_EQ(translator.counters().outside_bytes_out, inner.size());
  EXPECT_EQ(translator.counters().verdicts[size_t(Verdict::deliver)], 2u);  // ARP reply too
}

// RFC 6040 at the edge: a CE mark the underlay put on the outer header reaches the inner one
// of an ECN-capable packet, and drops a Not-ECT one (its sender would not understand it).
TEST_F(EdgeTranslatorTest, AnUnderlayCeMarkReachesTheInnerHeaderOrDropsANotEctPacket) {
  learn_gateway();
  auto ect = tcp(kPrivate5, kOutsideHost, 100);
  packet::set_ip_ecn(ect.data(), packet::kEcnEct0);
  auto frame = from_host(ect, 7, 1, kHostA);
  packet::set_ip_ecn(frame.data(), packet::kEcnCe);  // a congested underlay switch
  const Buffer b = run(frame, dataplane::Port::underlay());
  const auto ip = outside_ip(b);
  EXPECT_EQ(ip[1] & packet::kEcnMask, packet::kEcnCe);
  expect_checksums_from_scratch(ip);
  auto not_ect = from_host(tcp(kPrivate5, kOutsideHost, 101), 7, 1, kHostA);
  packet::set_ip_ecn(not_ect.data(), packet::kEcnCe);
  EXPECT_EQ(run(not_ect, dataplane::Port::underlay()).packet.verdict, Verdict::drop);
  EXPECT_EQ(drops(DropReason::ecn_ce_not_ect), 1u);
}

TEST_F(EdgeTranslatorTest, OutboundUdpAndIcmpEcho) {
  learn_gateway();
  for (const auto& inner : {udp(kPrivate5, kOutsideHost), echo(kPrivate5, kOutsideHost)}) {
    const Buffer b = run(from_host(inner, 7, 1, kHostA), dataplane::Port::underlay());
    const auto ip = outside_ip(b);
    EXPECT_EQ(src_of(ip), kPublic5);
    expect_checksums_from_scratch(ip);
  }
  EXPECT_EQ(events(EdgeEvent::translated_out), 2u);
}

TEST_F(EdgeTranslatorTest, OutboundUdpWithoutChecksumKeepsNone) {
  learn_gateway();
  auto inner = udp(kPrivate5, kOutsideHost);
  packet::store_be16(&inner[26], 0);  // UDP over IPv4 may send no checksum
  const Buffer b = run(from_host(inner, 7, 1, kHostA), dataplane::Port::underlay());
  const auto ip = outside_ip(b);
  EXPECT_EQ(src_of(ip), kPublic5);
  EXPECT_EQ(packet::load_be16(&ip[26]), 0);
  expect_checksums_from_scratch(ip);
}

TEST_F(EdgeTranslatorTest, OutboundTtlOfOneIsForwardedUnchanged) {
  learn_gateway();
  const Buffer b = run(from_host(tcp(kPrivate5, kOutsideHost, 10, 1), 7, 1, kHostA),
                       dataplane::Port::underlay());
  const auto ip = outside_ip(b);
  EXPECT_EQ(ip[8], 1);
  expect_checksums_from_scratch(ip);
}

TEST_F(EdgeTranslatorTest, OutboundWithoutTheGatewayMacIsDropped) {
  const Buffer b =
      run(from_host(tcp(kPrivate5, kOutsideHost), 7, 1, kHostA), dataplane::Port::underlay());
  EXPECT_EQ(b.packet.verdict, Verdict::drop);
  EXPECT_EQ(b.packet.drop_reason, DropReason::edge_no_next_hop);
  EXPECT_EQ(drops(DropReason::edge_no_next_hop), 1u);
}

TEST_F(EdgeTranslatorTest, OutboundLargerThanTheOutsideMtuIsDropped) {
  learn_gateway();
  const auto inner = tcp(kPrivate5, kOutsideHost, 1500 - 40 + 1);
  const Buffer b = run(from_host(inner, 7, 1, kHostA), dataplane::Port::underlay());
  EXPECT_EQ(b.packet.drop_reason, DropReason::mtu_exceeded);
  const auto fits = tcp(kPrivate5, kOutsideHost, 1500 - 40);
  EXPECT_EQ(run(from_host(fits, 7, 1, kHostA), dataplane::Port::underlay()).packet.verdict,
            Verdict::deliver);
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

TEST_F(EdgeTranslatorTest, OutboundTsoSuperFrameKeepsAPartialChecksum) {
  learn_gateway();
  auto inner = tcp(kPrivate5, kOutsideHost, 3000);
  packet::store_be16(&inner[36], pseudo_header_sum(inner));
  const Buffer b = run(from_host(inner, 7, 1, kHostA, packet::kVpcFlagGsoTcpv4, 1400),
                       dataplane::Port::underlay());
  const auto ip = outside_ip(b);
  EXPECT_EQ(b.packet.gso_type, dataplane::kGsoTcpv4);
  EXPECT_EQ(b.packet.gso_size, 1400);
  EXPECT_EQ(src_of(ip), kPublic5);
  EXPECT_EQ(packet::load_be16(&ip[10]), recompute_ipv4_header(ip));
  EXPECT_EQ(packet::load_be16(&ip[36]), pseudo_header_sum(ip)) << "still partial, new address";
  // Segments of 1461 payload bytes would be 1501-byte packets outside.
  EXPECT_EQ(run(from_host(inner, 7, 1, kHostA, packet::kVpcFlagGsoTcpv4, 1461),
                dataplane::Port::underlay())
                .packet.drop_reason,
            DropReason::mtu_exceeded);
}

TEST_F(EdgeTranslatorTest, InboundTsoSuperFrameIsAnnouncedInTheVpcOption) {
  auto ip_in = tcp(kOutsideHost, kPublic5, 3000);
  packet::store_be16(&ip_in[36], pseudo_header_sum(ip_in));
  Buffer b(from_outside(ip_in), kOutside);
  b.packet.gso_type = dataplane::kGsoTcpv4;
  b.packet.gso_size = 1448;
  translator.process({&b.packet, 1});
  const auto inner = host_ip(b, kHostA, 7, 1);
  const auto meta = packet::parse_ip(b.bytes());
  EXPECT_EQ(meta.geneve.vpc_flags & packet::kVpcFlagsGso, packet::kVpcFlagGsoTcpv4);
  EXPECT_EQ(meta.geneve.gso_size, 1448);
  EXPECT_EQ(dst_of(inner), kPrivate5);
  EXPECT_EQ(packet::load_be16(&inner[10]), recompute_ipv4_header(inner));
  EXPECT_EQ(packet::load_be16(&inner[36]), pseudo_header_sum(inner));
  // A UDP "super-frame" from outside is refused.
  Buffer u(from_outside(udp(kOutsideHost, kPublic5)), kOutside);
  u.packet.gso_type = dataplane::kGsoTcpv4;
  u.packet.gso_size = 1000;
  translator.process({&u.packet, 1});
  EXPECT_EQ(u.packet.drop_reason, DropReason::malformed);
}

// ---- from the outside to a host ----

TEST_F(EdgeTranslatorTest, InboundTcpIsEncapsulatedToTheEnisHost) {
  const auto ip_in = tcp(kOutsideHost, kPublic6, 200);
  const Buffer b = run(from_outside(ip_in), kOutside);
  const auto inner = host_ip(b, kHostB, 7, 2);
  ASSERT_EQ(inner.size(), ip_in.size());
  EXPECT_EQ(src_of(inner), kOutsideHost);
  EXPECT_EQ(dst_of(inner), kPrivate6);
  EXPECT_EQ(inner[8], 63) << "inbound TTL decremented";
  expect_checksums_from_scratch(inner);
  EXPECT_TRUE(std::equal(inner.begin() + 40, inner.end(), ip_in.begin() + 40));
  EXPECT_EQ(events(EdgeEvent::translated_in), 1u);
  EXPECT_EQ(translator.counters().outside_bytes_in, ip_in.size());
}

TEST_F(EdgeTranslatorTest, InboundUdpAndEchoToAnotherVpc) {
  for (const auto& ip_in : {udp(kOutsideHost, kPublic9), echo(kOutsideHost, kPublic9, false)}) {
    const Buffer b = run(from_outside(ip_in), kOutside);
    const auto inner = host_ip(b, kHostC, 9, 4);
    EXPECT_EQ(dst_of(inner), kPrivate5);
    expect_checksums_from_scratch(inner);
  }
}

TEST_F(EdgeTranslatorTest, InboundTtlOneIsDroppedAndTwoArrivesWithOne) {
  Buffer expired = run(from_outside(tcp(kOutsideHost, kPublic5, 10, 1)), kOutside);
  EXPECT_EQ(expired.packet.verdict, Verdict::drop);
  EXPECT_EQ(expired.packet.drop_reason, DropReason::ttl_expired);
  EXPECT_EQ(drops(DropReason::ttl_expired), 1u);
  const Buffer last = run(from_outside(tcp(kOutsideHost, kPublic5, 10, 2)), kOutside);
  const auto inner = host_ip(last, kHostA, 7, 1);
  EXPECT_EQ(inner[8], 1);
  expect_checksums_from_scratch(inner);
}

TEST_F(EdgeTranslatorTest, InboundToAnUnknownPublicAddressIsDropped) {
  for (uint32_t dst : {0xcb007107u, kPrivate5, kOutsideEdge}) {
    const Buffer b = run(from_outside(tcp(kOutsideHost, dst)), kOutside);
    EXPECT_EQ(b.packet.verdict, Verdict::drop);
    EXPECT_EQ(b.packet.drop_reason, DropReason::edge_unknown_public_address);
  }
  EXPECT_EQ(drops(DropReason::edge_unknown_public_address), 3u);
}

TEST_F(EdgeTranslatorTest, InboundFragmentsAreTranslatedAndReassembleWithAValidChecksum) {
  const auto whole = tcp(kOutsideHost, kPublic5, 300);
  std::vector<uint8_t> first(whole.size()), second(whole.size());
  first.resize(packet::write_ipv4_fragment(first.data(), first.size(), whole, 0, 160));
  second.resize(packet::write_ipv4_fragment(second.data(), second.size(), whole, 160,
                                            whole.size() - 20 - 160));
  ASSERT_GT(first.size(), 0u);
  ASSERT_GT(second.size(), 0u);
  const Buffer a = run(from_outside(first), kOutside);
  const Buffer b = run(from_outside(second), kOutside);
  const auto fa = host_ip(a, kHostA, 7, 1);
  const auto fb = host_ip(b, kHostA, 7, 1);
  for (const auto& f : {fa, fb}) {
    EXPECT_EQ(dst_of(f), kPrivate5);
    EXPECT_EQ(packet::load_be16(&f[10]), recompute_ipv4_header(f));
  }
  // Reassemble: the first fragment's TCP checksum was updated for the whole datagram.
  std::vector<uint8_t> joined(fa.begin(), fa.end());
  joined.insert(joined.end(), fb.begin() + 20, fb.end());
  packet::store_be16(&joined[2], uint16_t(joined.size()));
  packet::store_be16(&joined[6], 0x4000);  // DF, no MF, offset 0
  ASSERT_EQ(joined.size(), whole.size());
  EXPECT_EQ(packet::load_be16(&joined[20 + 16]), recompute_l4(joined));
}

TEST_F(EdgeTranslatorTest, InboundGarbageIsCountedByReason) {
  const auto v6 = packet::build_udp({packet::IpAddress::v6_from_wire(std::array<uint8_t, 16>{
                                         0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
                                                                         .data()),
                                     packet::IpAddress::v6_from_wire(std::array<uint8_t, 16>{
                                         0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}
                                                                         .data())},
                                    {1, 2});
  EXPECT_EQ(run(from_outside(v6), kOutside).packet.drop_reason, DropReason::unsupported_ip_version);
  auto other = from_outside(tcp(kOutsideHost, kPublic5));
  packet::store_be16(&other[12], 0x88cc);  // LLDP
  EXPECT_EQ(run(other, kOutside).packet.drop_reason, DropReason::unsupported_ethertype);
  const auto full = from_outside(tcp(kOutsideHost, kPublic5));
  for (size_t cut : {size_t(0), size_t(10), size_t(14 + 19), size_t(14 + 30), full.size() - 1}) {
    const Buffer b = run(std::span(full).first(cut), kOutside);
    EXPECT_EQ(b.packet.verdict, Verdict::drop) << cut;
    EXPECT_EQ(b.packet.drop_reason, DropReason::malformed) << cut;
  }
  EXPECT_EQ(drops(DropReason::malformed), 5u);
}

// ---- ICMP errors through the quoted packet ----

TEST_F(EdgeTranslatorTest, InboundIcmpErrorQuotesThePacketAsTheInstanceSentIt) {
  // The instance sent UDP 10.0.0.5 -> outside; the edge made it 203.0.113.5 -> outside; a
  // router outside answers "fragmentation needed" about it, to 203.0.113.5.
  const auto sent = udp(kPrivate5, kOutsideHost);
  auto translated = sent;
  {
    learn_gateway();
    const Buffer out = run(from_host(sent, 7, 1, kHostA), dataplane::Port::underlay());
    const auto ip = outside_ip(out);
    translated.assign(ip.begin(), ip.end());
  }
  const auto error = icmp_error(0xc6336463, 3, 4, translated);
  ASSERT_FALSE(error.empty());
  const Buffer b = run(from_outside(error), kOutside);
  const auto inner = host_ip(b, kHostA, 7, 1);
  EXPECT_EQ(dst_of(inner), kPrivate5);
  expect_checksums_from_scratch(inner);
  // The quote (IP header + 8 bytes) is byte for byte what the instance sent.
  const auto quote = inner.subspan(28);
  ASSERT_GE(quote.size(), 28u);
  EXPECT_TRUE(std::equal(quote.begin(), quote.begin() + 28, sent.begin()));
  EXPECT_EQ(events(EdgeEvent::icmp_translated), 1u);
}

TEST_F(EdgeTranslatorTest, OutboundIcmpErrorQuotesThePublicAddress) {
  learn_gateway();
  // Outside sent UDP to 203.0.113.5; the instance got it as to 10.0.0.5 (TTL one less) and
  // answers "port unreachable".
  const auto original = udp(kOutsideHost, kPublic5);
  const Buffer in = run(from_outside(original), kOutside);
  const auto received = host_ip(in, kHostA, 7, 1);
  const auto error =
      icmp_error(kPrivate5, 3, 3, std::vector<uint8_t>(received.begin(), received.end()));
  ASSERT_FALSE(error.empty());
  const Buffer b = run(from_host(error, 7, 1, kHostA), dataplane::Port::underlay());
  const auto ip = outside_ip(b);
  EXPECT_EQ(src_of(ip), kPublic5);
  expect_checksums_from_scratch(ip);
  const auto quote = ip.subspan(28);
  EXPECT_EQ(dst_of(quote), kPublic5);
  EXPECT_EQ(src_of(quote), kOutsideHost);
  EXPECT_EQ(packet::load_be16(&quote[10]), recompute_ipv4_header(quote));
  EXPECT_EQ(packet::load_be16(&quote[26]), packet::load_be16(&original[26]))
      << "the quoted UDP checksum is the one the outside host sent";
  EXPECT_EQ(events(EdgeEvent::icmp_translated), 1u);
}

// ---- hairpin ----

TEST_F(EdgeTranslatorTest, HairpinToAnotherInstancesPublicAddress) {
  const auto inner_in = tcp(kPrivate5, kPublic6, 50);
  const Buffer b = run(from_host(inner_in, 7, 1, kHostA), dataplane::Port::underlay());
  const auto inner = host_ip(b, kHostB, 7, 2);
  EXPECT_EQ(src_of(inner), kPublic5) << "the receiver sees the sender's public address";
  EXPECT_EQ(dst_of(inner), kPrivate6);
  EXPECT_EQ(inner[8], 64);
  expect_checksums_from_scratch(inner);
  EXPECT_EQ(events(EdgeEvent::hairpin), 1u);
  EXPECT_EQ(events(EdgeEvent::translated_out), 0u);
  EXPECT_EQ(drops(DropReason::edge_no_next_hop), 0u) << "a hairpin needs no outside gateway";
}

TEST_F(EdgeTranslatorTest, HairpinAcrossVpcs) {
  const Buffer b =
      run(from_host(udp(kPrivate5, kPublic9), 7, 1, kHostA), dataplane::Port::underlay());
  const auto inner = host_ip(b, kHostC, 9, 4);
  EXPECT_EQ(src_of(inner), kPublic5);
  EXPECT_EQ(dst_of(inner), kPrivate5);
  expect_checksums_from_scratch(inner);
}

// ---- what a host may not send ----

TEST_F(EdgeTranslatorTest, UnderlayDropsAreCountedByReason) {
  learn_gateway();
  const dataplane::Port u = dataplane::Port::underlay();
  const auto ok = tcp(kPrivate5, kOutsideHost);
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    DropReason reason;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"VPC without the edge", from_host(ok, 8, 1, kHostA), DropReason::geneve_unknown_vni});
  cases.push_back({"no public address", from_host(tcp(kPrivate7, kOutsideHost), 7, 3, kHostA),
                   DropReason::edge_source_mismatch});
  cases.push_back({"ENI claims another's address", from_host(ok, 7, 2, kHostA),
                   DropReason::edge_source_mismatch});
  cases.push_back(
      {"from the wrong host", from_host(ok, 7, 1, kHostB), DropReason::edge_source_mismatch});
  cases.push_back(
      {"other VPC's binding", from_host(ok, 9, 1, kHostA), DropReason::edge_source_mismatch});
  cases.push_back({"plain UDP", udp(kHostA, kEdge), DropReason::not_geneve});
  auto no_option = from_host(ok, 7, 1, kHostA);
  packet::store_be16(&no_option[36], 0x0101);  // another option class (not critical)
  cases.push_back({"no VPC option", no_option, DropReason::geneve_missing_vpc_option});
  auto bad_version = from_host(ok, 7, 1, kHostA);
  bad_version[36 - 8] |= 0x40;  // Geneve version 1
  cases.push_back({"Geneve version", bad_version, DropReason::geneve_malformed});
  auto garbled_inner = from_host(ok, 7, 1, kHostA);
  garbled_inner[52] = 0x35;  // inner IP version 3
  cases.push_back({"inner version 3", garbled_inner, DropReason::geneve_malformed});
  auto short_inner = ok;
  short_inner.resize(30);  // total length says more
  cases.push_back(
      {"inner truncated", from_host(short_inner, 7, 1, kHostA), DropReason::geneve_malformed});
  auto cut = from_host(ok, 7, 1, kHostA);
  cut.resize(cut.size() - 5);
  cases.push_back({"outer truncated", cut, DropReason::malformed});
  cases.push_back(
      {"GSO on UDP",
       from_host(udp(kPrivate5, kOutsideHost), 7, 1, kHostA, packet::kVpcFlagGsoTcpv4, 1000),
       DropReason::malformed});
  cases.push_back({"GSO without a size", from_host(ok, 7, 1, kHostA, packet::kVpcFlagGsoTcpv4, 0),
                   DropReason::malformed});
  for (const auto& c : cases) {
    const Buffer b = run(c.bytes, u);
    EXPECT_EQ(b.packet.verdict, Verdict::drop) << c.what;
    EXPECT_EQ(dataplane::to_string(b.packet.drop_reason), dataplane::to_string(c.reason)) << c.what;
  }
  EXPECT_EQ(drops(DropReason::edge_source_mismatch), 4u);
  EXPECT_EQ(drops(DropReason::geneve_malformed), 3u);
  EXPECT_EQ(translator.counters().verdicts[size_t(Verdict::drop)], cases.size());
}

TEST_F(EdgeTranslatorTest, WithoutATableOrFromAnEniPortEverythingIsDropped) {
  EdgeTranslator fresh(edge_config());
  Buffer b(from_outside(tcp(kOutsideHost, kPublic5)), kOutside);
  fresh.process({&b.packet, 1});
  EXPECT_EQ(b.packet.drop_reason, DropReason::unknown_port);
  const Buffer eni = run(tcp(kPrivate5, kOutsideHost), dataplane::Port::eni(1));
  EXPECT_EQ(eni.packet.drop_reason, DropReason::unknown_port);
}

TEST_F(EdgeTranslatorTest, ABatchGetsOneVerdictPerPacketAndTheNewTableAfterASwap) {
  learn_gateway();
  std::vector<Buffer> buffers;
  buffers.emplace_back(from_outside(tcp(kOutsideHost, kPublic5)), kOutside);
  buffers.emplace_back(from_outside(tcp(kOutsideHost, 0x01020304)), kOutside);
  buffers.emplace_back(from_host(tcp(kPrivate6, kOutsideHost), 7, 2, kHostB),
                       dataplane::Port::underlay());
  std::vector<dataplane::Packet> batch;
  for (auto& b : buffers) batch.push_back(b.packet);
  translator.process(batch);
  EXPECT_EQ(batch[0].verdict, Verdict::encapsulate);
  EXPECT_EQ(batch[1].drop_reason, DropReason::edge_unknown_public_address);
  EXPECT_EQ(batch[2].verdict, Verdict::deliver);
  // ENI 2's public address is released: its packets stop at the next batch.
  program::Program next = edge_program(2);
  next.mappings[1].public_address.reset();
  translator.set_table(*compile_edge_table(next));
  Buffer after(from_outside(tcp(kOutsideHost, kPublic6)), kOutside);
  translator.process({&after.packet, 1});
  EXPECT_EQ(after.packet.drop_reason, DropReason::edge_unknown_public_address);
}

// ---- ARP on the outside link ----

TEST_F(EdgeTranslatorTest, AnswersArpForItsAddressAndPublicAddressesOnly) {
  const auto ours = edge_config().outside_mac;
  for (uint32_t target : {kOutsideEdge, kPublic6}) {
    const auto req = packet::build_arp_request(kGatewayMac, v4(kOutsideGateway), v4(target));
    const Buffer b = run(req, kOutside);
    ASSERT_EQ(b.packet.verdict, Verdict::deliver);
    const auto meta = packet::parse_frame(b.bytes());
    ASSERT_TRUE(meta.ok());
    ASSERT_TRUE(meta.is_arp());
    EXPECT_EQ(meta.arp_operation, 2);
    const packet::ArpView arp(b.packet.data + meta.l3_offset);
    EXPECT_EQ(arp.sender_ip().v4_host_order(), target);
    EXPECT_EQ(arp.sender_mac(), ours);
    EXPECT_EQ(arp.target_mac(), kGatewayMac);
  }
  const auto other = packet::build_arp_request(kGatewayMac, v4(kOutsideGateway), v4(0x01020304));
  EXPECT_EQ(run(other, kOutside).packet.verdict, Verdict::to_local_services);
  EXPECT_EQ(events(EdgeEvent::arp_replied), 2u);
  EXPECT_EQ(events(EdgeEvent::next_hop_learned), 1u);
  const auto moved = program::mac_literal("02:9a:00:00:00:99");
  run(packet::build_arp_request(moved, v4(kOutsideGateway), v4(0x01020304)), kOutside);
  EXPECT_EQ(events(EdgeEvent::next_hop_learned), 2u);
  // Someone else on the link is not the next hop.
  run(packet::build_arp_request(kGatewayMac, v4(0xc6336409), v4(kOutsideEdge)), kOutside);
  EXPECT_EQ(events(EdgeEvent::next_hop_learned), 2u);
}

TEST_F(EdgeTranslatorTest, WritesTheGatewayArpRequest) {
  uint8_t out[64];
  EXPECT_EQ(translator.write_gateway_arp_request(out, 41), 0u);
  const size_t n = translator.write_gateway_arp_request(out, sizeof out);
  ASSERT_EQ(n, 42u);
  const auto meta = packet::parse_frame({out, n});
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta.arp_operation, 1);
  const packet::ArpView arp(out + meta.l3_offset);
  EXPECT_EQ(arp.target_ip().v4_host_order(), kOutsideGateway);
  EXPECT_EQ(arp.sender_ip().v4_host_order(), kOutsideEdge);
}

TEST(EdgeEventNames, EveryEventHasAName) {
  for (size_t i = 0; i < kEdgeEventCount; ++i) {
    EXPECT_NE(to_string(EdgeEvent(i)), "?") << i;
  }
  EXPECT_EQ(to_string(EdgeEvent::count_), "?");
}

}  // namespace
}  // namespace openvpc::edge
