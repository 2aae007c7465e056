// Held fragments and the path MTU through the real Pipeline (issues 4 and 7): fragment
// series in every order, held fragments released or dropped with their first fragment,
// expiry and a full hold pool; DF packets above the path MTU answered with ICMP
// fragmentation needed, others cut into fragments that reassemble to the original.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "dataplane/actions.h"
#include "dataplane/pipeline.h"
#include "harness.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace openvpc::dataplane::testing {
namespace {

using D = DropReason;
using V = Verdict;
using packet::load_be16;

const IpAddress kInternet = address_literal("8.8.8.8");

// An ICMP echo request web1 -> dst whose IP packet is `size` bytes.
std::vector<uint8_t> ping_of_size(IpAddress dst, size_t size, bool dont_fragment, uint16_t id = 7,
                                  uint8_t ttl = 64) {
  packet::IpSpec ip{kWeb1.ip, dst, ttl, 0, dont_fragment, id, 0, false};
  std::vector<uint8_t> payload(size - 28);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i * 7 + 3);
  return packet::build_icmp_echo(ip, {true, 42, 1}, payload);
}

// `ip` cut into fragments whose payloads are at most `piece` bytes (a multiple of 8).
std::vector<std::vector<uint8_t>> cut(const std::vector<uint8_t>& ip, size_t piece) {
  std::vector<std::vector<uint8_t>> out;
  const size_t payload = ip.size() - packet::Ipv4View(ip.data()).header_size();
  for (size_t offset = 0; offset < payload; offset += piece) {
    std::vector<uint8_t> f(ip.size() + 60);
    f.resize(packet::write_ipv4_fragment(f.data(), f.size(), ip, offset,
                                         std::min(piece, payload - offset)));
    out.push_back(f);
  }
  return out;
}

// What the router sends on for an IP packet: TTL one less, header checksum redone.
std::vector<uint8_t> forwarded(std::vector<uint8_t> ip) {
  --ip[8];
  packet::store_be16(ip.data() + 10, 0);
  const size_t header = packet::Ipv4View(ip.data()).header_size();
  packet::store_be16(ip.data() + 10, packet::ipv4_header_checksum(ip.data(), header));
  return ip;
}

// The IP packet inside what a packet leaves with (a frame or an encapsulated packet).
std::vector<uint8_t> ip_of(const Packet& p) {
  const std::span<const uint8_t> bytes(p.data, p.size);
  const auto meta = p.verdict == V::encapsulate || p.verdict == V::to_gateway
                        ? packet::parse_ip(bytes)
                        : packet::parse_frame(bytes);
  EXPECT_TRUE(meta.ok()) << packet::to_string(meta.error);
  return {p.data + meta.l3_offset, p.data + meta.l3_offset + meta.l3_size};
}

// Reassembles fragments (checking each header checksum, offsets and MF) into the payload.
std::vector<uint8_t> reassemble(std::vector<std::vector<uint8_t>> fragments) {
  std::sort(fragments.begin(), fragments.end(), [](const auto& a, const auto& b) {
    return packet::Ipv4View(a.data()).fragment_offset() <
           packet::Ipv4View(b.data()).fragment_offset();
  });
  std::vector<uint8_t> payload;
  for (size_t i = 0; i < fragments.size(); ++i) {
    const packet::Ipv4View v(fragments[i].data());
    EXPECT_EQ(packet::ipv4_header_checksum(fragments[i].data(), v.header_size()), 0) << i;
    EXPECT_EQ(v.total_length(), fragments[i].size()) << i;
    EXPECT_EQ(v.fragment_offset(), payload.size()) << i;
    EXPECT_EQ(v.more_fragments(), i + 1 < fragments.size()) << i;
    payload.insert(payload.end(), fragments[i].begin() + v.header_size(), fragments[i].end());
  }
  return payload;
}

std::vector<uint8_t> payload_of(const std::vector<uint8_t>& ip) {
  return {ip.begin() + packet::Ipv4View(ip.data()).header_size(), ip.end()};
}

Input from_web1(const std::vector<uint8_t>& ip) {
  return {port_of(kWeb1), from_eni(kWeb1, ip)};
}

std::vector<Packet> released(World& world) {
  const auto r = world.pipeline.released();
  return {r.begin(), r.end()};
}

// --- Held fragments -------------------------------------------------------------------------

struct Order {
  std::string name;
  std::vector<size_t> order;  // fragment indices in arrival order, one batch each
};

class FragmentOrder : public ::testing::TestWithParam<Order> {};

// A 3-fragment ping web1 -> web2 in every order: each later fragment before the first is held
// and released with it; the rest follow directly; web2 gets all three, TTL one less.
TEST_P(FragmentOrder, EveryFragmentIsDeliveredOnce) {
  World world(standard_program());
  const auto ping = ping_of_size(kWeb2.ip, 3000, false);
  const auto fragments = cut(ping, 1200);
  ASSERT_EQ(fragments.size(), 3u);
  std::vector<std::vector<uint8_t>> delivered;
  bool first_seen = false;
  for (const size_t i : GetParam().order) {
    Batch batch = run(world, {from_web1(fragments[i])});
    const Packet& p = batch.packets[0];
    if (i != 0 && !first_seen) {
      EXPECT_EQ(to_string(p.verdict), "held") << i;
      EXPECT_TRUE(world.pipeline.released().empty());
      continue;
    }
    EXPECT_EQ(to_string(p.verdict), "deliver") << i;
    EXPECT_EQ(p.out_port, port_of(kWeb2));
    EXPECT_EQ(batch.bytes(0), to_eni(kWeb2, forwarded(fragments[i])));
    delivered.push_back(fragments[i]);
    for (const Packet& r : released(world)) {
      EXPECT_EQ(to_string(r.verdict), "deliver");
      EXPECT_EQ(r.out_port, port_of(kWeb2));
      const auto ip = ip_of(r);
      const auto it = std::find_if(fragments.begin(), fragments.end(),
                                   [&](const auto& f) { return forwarded(f) == ip; });
      ASSERT_NE(it, fragments.end());
      EXPECT_EQ(std::vector<uint8_t>(r.data, r.data + r.size), to_eni(kWeb2, ip));
      delivered.push_back(*it);
    }
    first_seen = first_seen || i == 0;
  }
  EXPECT_EQ(reassemble(delivered), payload_of(ping));
  EXPECT_EQ(world.pipeline.held_fragment_count(), 0u);
  const auto& c = world.pipeline.counters();
  EXPECT_EQ(c.verdicts[size_t(V::deliver)], 3u);
  EXPECT_EQ(c.drops[size_t(D::fragment_orphan)], 0u);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb1.id)->rx_packets, 3u);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb2.id)->tx_packets, 3u);
}

INSTANTIATE_TEST_SUITE_P(Orders, FragmentOrder,
                         ::testing::Values(Order{"in_order", {0, 1, 2}},
                                           Order{"reversed", {2, 1, 0}},
                                           Order{"middle_first", {1, 0, 2}},
                                           Order{"last_first", {2, 0, 1}}),
                         [](const auto& info) { return info.param.name; });

TEST(HeldFragments, AllInOneBatchReversed) {
  World world(standard_program());
  const auto fragments = cut(ping_of_size(kWeb2.ip, 3000, false), 1200);
  Batch batch =
      run(world, {from_web1(fragments[2]), from_web1(fragments[1]), from_web1(fragments[0])});
  EXPECT_EQ(to_string(batch.packets[0].verdict), "held");
  EXPECT_EQ(to_string(batch.packets[1].verdict), "held");
  EXPECT_EQ(to_string(batch.packets[2].verdict), "deliver");
  ASSERT_EQ(world.pipeline.released().size(), 2u);
  EXPECT_EQ(ip_of(world.pipeline.released()[0]), forwarded(fragments[2]));
  EXPECT_EQ(ip_of(world.pipeline.released()[1]), forwarded(fragments[1]));
  run(world, {});  // the next process() gives the buffers back
  EXPECT_TRUE(world.pipeline.released().empty());
}

TEST(HeldFragments, DroppedWhenTheFirstIsRejectedByTheSecurityGroup) {
  World world(standard_program());
  packet::IpSpec ip{kWeb1.ip, kWeb2.ip, 64, 0, false, 9, 0, false};
  packet::TcpSpec tcp;
  tcp.src_port = 40000;
  tcp.dst_port = 80;  // web2's groups allow 22 and 8080 only
  const auto segment = packet::build_tcp(ip, tcp, std::vector<uint8_t>(100, 0x5a));
  const auto fragments = cut(segment, 64);
  ASSERT_EQ(fragments.size(), 2u);
  EXPECT_EQ(to_string(run(world, {from_web1(fragments[1])}).packets[0].verdict), "held");
  Batch first = run(world, {from_web1(fragments[0])});
  EXPECT_EQ(to_string(first.packets[0].drop_reason), "security_group_ingress_denied");
  EXPECT_TRUE(world.pipeline.released().empty());
  EXPECT_EQ(world.pipeline.held_fragment_count(), 0u);
  EXPECT_EQ(world.pipeline.counters().drops[size_t(D::fragment_rejected)], 1u);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb1.id)->drops[size_t(D::fragment_rejected)], 1u);
}

TEST(HeldFragments, ExpireAfterTheHoldTime) {
  World world(standard_program());  // fragment_hold_seconds = 2
  const auto fragments = cut(ping_of_size(kWeb2.ip, 3000, false), 1200);
  EXPECT_EQ(to_string(run(world, {from_web1(fragments[2])}, 1000).packets[0].verdict), "held");
  run(world, {}, 1001);
  EXPECT_EQ(world.pipeline.held_fragment_count(), 1u);
  run(world, {}, 1002);
  EXPECT_EQ(world.pipeline.held_fragment_count(), 0u);
  EXPECT_EQ(world.pipeline.counters().drops[size_t(D::fragment_orphan)], 1u);
  // Its first fragment, too late, is delivered alone; nothing is released.
  EXPECT_EQ(to_string(run(world, {from_web1(fragments[0])}, 1002).packets[0].verdict), "deliver");
  EXPECT_TRUE(world.pipeline.released().empty());
}

TEST(HeldFragments, FullPoolDropsWithItsOwnReason) {
  PipelineConfig config{1024, 1024};
  config.fragment_hold_slots = 2;
  World world(standard_program(), config);
  std::vector<std::vector<uint8_t>> firsts;
  for (uint16_t id = 1; id <= 3; ++id) {
    const auto fragments = cut(ping_of_size(kWeb2.ip, 3000, false, id), 1200);
    firsts.push_back(fragments[0]);
    const Packet p = run(world, {from_web1(fragments[2])}).packets[0];
    EXPECT_EQ(to_string(p.verdict), id <= 2 ? "held" : "drop") << id;
    if (id == 3) {
      EXPECT_EQ(to_string(p.drop_reason), "fragment_hold_full");
    }
  }
  EXPECT_EQ(world.pipeline.held_fragment_count(), 2u);
  EXPECT_EQ(world.pipeline.counters().drops[size_t(D::fragment_hold_full)], 1u);
  run(world, {from_web1(firsts[0])});  // frees a slot
  EXPECT_EQ(world.pipeline.released().size(), 1u);
  EXPECT_EQ(world.pipeline.held_fragment_count(), 1u);
}

// Issue 16: hold slots per ENI. Web1 floods later fragments of datagrams whose first
// fragment never comes, far more than the pool holds; web2's datagram sent last fragment
// first is still held and released whole when its first fragment comes.
TEST(HeldFragments, OneEnisFloodDoesNotStarveAnother) {
  World world(standard_program());  // 64 hold slots, 16 per ENI
  for (uint16_t id = 1; id <= 200; ++id) {
    const auto fragments = cut(ping_of_size(kWeb2.ip, 3000, false, id), 1200);
    run(world, {from_web1(fragments[2])});
  }
  EXPECT_EQ(world.pipeline.held_fragment_count(kWeb1.id), 16u);
  EXPECT_EQ(world.pipeline.eni_counters(kWeb1.id)->drops[size_t(D::fragment_hold_eni_full)],
            200u - 16u);

  packet::IpSpec spec{kWeb2.ip, kWeb1.ip, 64, 0, false, 4242, 0, false};
  const auto ping = packet::build_icmp_echo(spec, {true, 9, 1}, std::vector<uint8_t>(3000, 5));
  const auto fragments = cut(ping, 1200);
  const auto from_web2 = [&](size_t i) {
    return Input{port_of(kWeb2), from_eni(kWeb2, fragments[i])};
  };
  EXPECT_EQ(to_string(run(world, {from_web2(2)}).packets[0].verdict), "held");
  EXPECT_EQ(to_string(run(world, {from_web2(1)}).packets[0].verdict), "held");
  EXPECT_EQ(world.pipeline.held_fragment_count(kWeb2.id), 2u);
  EXPECT_EQ(to_string(run(world, {from_web2(0)}).packets[0].verdict), "deliver");
  ASSERT_EQ(world.pipeline.released().size(), 2u);
  for (const Packet& r : world.pipeline.released()) EXPECT_EQ(to_string(r.verdict), "deliver");
  EXPECT_EQ(world.pipeline.held_fragment_count(kWeb2.id), 0u);
}

TEST(HeldFragments, FromTheUnderlayAreHeldAndDelivered) {
  World world(standard_program());
  packet::IpSpec spec{kRemoteWeb.ip, kWeb1.ip, 64, 0, false, 5, 0, false};
  const auto ping = packet::build_icmp_echo(spec, {true, 9, 1}, std::vector<uint8_t>(2000, 1));
  const auto fragments = cut(ping, 1200);
  const auto in = [&](size_t i) {
    return Input{Port::underlay(), geneve(kRemoteHost, kHost, 7, 201, 101, fragments[i])};
  };
  EXPECT_EQ(to_string(run(world, {in(1)}).packets[0].verdict), "held");
  EXPECT_EQ(to_string(run(world, {in(0)}).packets[0].verdict), "deliver");
  ASSERT_EQ(world.pipeline.released().size(), 1u);
  const Packet& r = world.pipeline.released()[0];
  EXPECT_EQ(to_string(r.verdict), "deliver");
  // Inbound from the underlay the TTL stays: the sending router decremented it.
  EXPECT_EQ(std::vector<uint8_t>(r.data, r.data + r.size), to_eni(kWeb1, fragments[1]));
}

// --- Path MTU -------------------------------------------------------------------------------

struct MtuCase {
  std::string name;
  IpAddress dst;
  size_t size;
  bool dont_fragment;
  V verdict;
  D reason;
  uint16_t icmp_mtu = 0;  // icmp_error: the next-hop MTU it carries
  size_t pieces = 1;      // packets that leave (the batch's one plus released())
};

class PathMtu : public ::testing::TestWithParam<MtuCase> {};

TEST_P(PathMtu, DfPacketsGetFragmentationNeededOthersAreCut) {
  const MtuCase& c = GetParam();
  World world(standard_program());
  const auto ping = ping_of_size(c.dst, c.size, c.dont_fragment);
  Batch batch = run(world, {from_web1(ping)});
  const Packet& p = batch.packets[0];
  EXPECT_EQ(to_string(p.verdict), to_string(c.verdict));
  EXPECT_EQ(to_string(p.drop_reason), to_string(c.reason));
  EXPECT_EQ(1 + world.pipeline.released().size(), c.pieces);
  if (c.verdict == V::icmp_error) {
    const auto meta = packet::parse_frame({p.data, p.size});
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(p.out_port, port_of(kWeb1));
    EXPECT_EQ(meta.eth_dst, kWeb1.mac);
    EXPECT_EQ(meta.tuple.src, address_literal("10.0.1.1"));  // the subnet's router
    EXPECT_EQ(meta.tuple.dst, kWeb1.ip);
    const uint8_t* icmp = p.data + meta.l4_offset;
    EXPECT_EQ(icmp[0], 3);
    EXPECT_EQ(icmp[1], 4);
    EXPECT_EQ(load_be16(icmp + 6), c.icmp_mtu);
    EXPECT_EQ(packet::checksum_fold(packet::checksum_partial(icmp, p.size - meta.l4_offset)), 0);
    // The quote: the offending header as sent, and its first 8 payload bytes.
    EXPECT_TRUE(std::equal(ping.begin(), ping.begin() + 28, icmp + 8));
    return;
  }
  if (c.verdict == V::drop) return;
  std::vector<std::vector<uint8_t>> pieces{ip_of(p)};
  for (const Packet& r : released(world)) {
    EXPECT_EQ(to_string(r.verdict), to_string(c.verdict));
    EXPECT_EQ(r.out_port, p.out_port);
    pieces.push_back(ip_of(r));
  }
  const uint16_t mtu = c.dst == kInternet ? kGatewayMtu : kVpcMtu;
  for (const auto& piece : pieces) {
    EXPECT_LE(piece.size(), mtu);
    EXPECT_EQ(piece[8], 63);  // each piece forwarded once
  }
  if (c.pieces == 1) {
    EXPECT_EQ(pieces[0], forwarded(ping));
  } else {
    EXPECT_EQ(reassemble(pieces), payload_of(ping));
  }
}

const IpAddress kLocal = kWeb2.ip;        // deliver
const IpAddress kRemote = kRemoteWeb.ip;  // encapsulate
INSTANTIATE_TEST_SUITE_P(
    Cases, PathMtu,
    ::testing::Values(
        MtuCase{"local_df_9001", kLocal, 9001, true, V::deliver, D::none},
        MtuCase{"local_df_9002", kLocal, 9002, true, V::icmp_error, D::mtu_exceeded, 9001},
        MtuCase{"local_9002_cut", kLocal, 9002, false, V::deliver, D::none, 0, 2},
        MtuCase{"remote_df_9001", kRemote, 9001, true, V::encapsulate, D::none},
        MtuCase{"remote_df_9002", kRemote, 9002, true, V::icmp_error, D::mtu_exceeded, 9001},
        MtuCase{"remote_20000_cut", kRemote, 20000, false, V::encapsulate, D::none, 0, 3},
        MtuCase{"gateway_df_1500", kInternet, 1500, true, V::encapsulate, D::none},
        MtuCase{"gateway_df_1501", kInternet, 1501, true, V::icmp_error, D::mtu_exceeded, 1500},
        MtuCase{"gateway_4000_cut", kInternet, 4000, false, V::encapsulate, D::none, 0, 3}),
    [](const auto& info) { return info.param.name; });

TEST(PathMtuLimits, TtlExpiryIsAnsweredBeforeTheMtu) {
  World world(standard_program());
  Batch batch = run(world, {from_web1(ping_of_size(kRemote, 9500, true, 7, 1))});
  EXPECT_EQ(to_string(batch.packets[0].drop_reason), "ttl_expired");
}

TEST(PathMtuLimits, DfFromTheUnderlayAboveTheMtuIsDropped) {
  World world(standard_program());
  packet::IpSpec spec{kRemoteWeb.ip, kWeb1.ip, 64, 0, true, 5, 0, false};
  const auto ping = packet::build_icmp_echo(spec, {true, 9, 1}, std::vector<uint8_t>(9100, 1));
  Batch batch = run(world, {{Port::underlay(), geneve(kRemoteHost, kHost, 7, 201, 101, ping)}});
  EXPECT_EQ(to_string(batch.packets[0].drop_reason), "mtu_exceeded");
}

// A router whose underlay carries 1500 bytes (encapsulated_mtu 1448): what goes encapsulated
// is held to it, DF packets get fragmentation needed with 1448; local delivery keeps 9001.
TEST(PathMtuLimits, AnUnderlayBelowJumboLowersTheEncapsulatedPath) {
  PipelineConfig config{1024, 1024};
  config.encapsulated_mtu = 1448;
  World world(standard_program(), config);
  EXPECT_EQ(
      to_string(run(world, {from_web1(ping_of_size(kRemote, 1448, true))}).packets[0].verdict),
      "encapsulate");
  Batch big = run(world, {from_web1(ping_of_size(kRemote, 1449, true, 2))});
  ASSERT_EQ(to_string(big.packets[0].verdict), "icmp_error");
  const Packet& p = big.packets[0];
  const auto meta = packet::parse_frame({p.data, p.size});
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(load_be16(p.data + meta.l4_offset + 6), 1448);
  Batch cut = run(world, {from_web1(ping_of_size(kRemote, 4000, false, 3))});
  EXPECT_EQ(to_string(cut.packets[0].verdict), "encapsulate");
  EXPECT_EQ(world.pipeline.released().size(), 2u);  // three pieces of at most 1448
  EXPECT_EQ(
      to_string(run(world, {from_web1(ping_of_size(kLocal, 9001, true, 4))}).packets[0].verdict),
      "deliver");
}

TEST(PathMtuLimits, NoRoomForTheFragmentsDropsThePacket) {
  PipelineConfig config{1024, 1024};
  config.fragment_output_slots = 1;
  World world(standard_program(), config);
  Batch batch = run(world, {from_web1(ping_of_size(kInternet, 4000, false))});  // 3 pieces
  EXPECT_EQ(to_string(batch.packets[0].drop_reason), "fragmentation_output_full");
  EXPECT_TRUE(world.pipeline.released().empty());
}

// RFC 791: later fragments carry only the options whose copied flag is set.
TEST(Ipv4Fragment, LaterPiecesCarryOnlyCopiedOptions) {
  auto ip = ping_of_size(kWeb2.ip, 100, false);
  // Options: NOP, record route (7, not copied, 7 bytes), router alert (0x94, copied, 4 bytes).
  const std::vector<uint8_t> options = {1, 7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0};
  ip.insert(ip.begin() + 20, options.begin(), options.end());
  ip[0] = 0x48;
  packet::store_be16(ip.data() + 2, uint16_t(ip.size()));
  packet::store_be16(ip.data() + 10, 0);
  packet::store_be16(ip.data() + 10, packet::ipv4_header_checksum(ip.data(), 32));
  EXPECT_EQ(packet::ipv4_fragment_header_size(ip, true), 32u);
  EXPECT_EQ(packet::ipv4_fragment_header_size(ip, false), 24u);
  const auto fragments = cut(ip, 40);
  ASSERT_EQ(fragments.size(), 2u);
  EXPECT_TRUE(std::equal(ip.begin() + 20, ip.begin() + 32, fragments[0].begin() + 20));
  EXPECT_EQ(std::vector<uint8_t>(fragments[1].begin() + 20, fragments[1].begin() + 24),
            (std::vector<uint8_t>{0x94, 4, 0, 0}));
  EXPECT_EQ(reassemble(fragments), payload_of(ip));
  // A later piece of a packet that is itself a later fragment keeps its offset and MF.
  const auto again = cut(fragments[0], 8);
  EXPECT_EQ(packet::Ipv4View(again.back().data()).fragment_offset(), 32);
  EXPECT_TRUE(packet::Ipv4View(again.back().data()).more_fragments());
}

// --- To a NAT gateway ---------------------------------------------------------------------------

// The outer headers (destination node, UDP source port = flow hash, ENIs) of what a batch and
// the pieces the router cut from it left with.
std::vector<packet::GeneveInfo> outer_headers(const Batch& batch, World& world) {
  std::vector<Packet> out(batch.packets.begin(), batch.packets.end());
  for (const Packet& r : released(world)) out.push_back(r);
  std::vector<packet::GeneveInfo> headers;
  for (const Packet& p : out) {
    EXPECT_EQ(to_string(p.verdict), "encapsulate");
    headers.push_back(packet::parse_ip({p.data, p.size}).geneve);
  }
  return headers;
}

// A NAT gateway's shard node is picked by the flow hash of a packet's ports, which only a
// datagram's first fragment carries: every later fragment goes to the first's node with the
// same outer header (it takes the first fragment's flow action), whether the instance cut the
// datagram or the router did (to the public gateway's 1500-byte path MTU), so the node sees the
// whole datagram.
TEST(FragmentsToANatGateway, GoToTheNodeOfTheirFirstFragment) {
  program::Program program = standard_program();
  with_nat_gateway(program);  // three shard nodes
  World world(program);
  const IpAddress remote = address_literal("172.16.1.1");
  std::set<uint32_t> nodes;
  for (uint16_t i = 0; i < 12; ++i) {
    packet::IpSpec ip{kWeb1.ip, remote, 64, 0, false, uint16_t(100 + i), 0, false};
    const std::vector<uint8_t> payload(3000, uint8_t(i));
    const auto datagram = packet::build_udp(ip, {uint16_t(40000 + 17 * i), 53}, payload);
    const auto fragments = cut(datagram, 1200);
    ASSERT_EQ(fragments.size(), 3u);
    const Batch by_instance =
        run(world, {from_web1(fragments[0]), from_web1(fragments[1]), from_web1(fragments[2])});
    auto headers = outer_headers(by_instance, world);
    ASSERT_EQ(headers.size(), 3u);
    ip.id = uint16_t(200 + i);
    const Batch by_router =
        run(world, {from_web1(packet::build_udp(ip, {uint16_t(40000 + 17 * i), 53}, payload))});
    const auto cut_headers = outer_headers(by_router, world);
    EXPECT_EQ(cut_headers.size(), 3u) << "3,028 bytes cut at 1,500";
    headers.insert(headers.end(), cut_headers.begin(), cut_headers.end());
    for (const packet::GeneveInfo& g : headers) {
      EXPECT_EQ(g.outer_dst, headers[0].outer_dst) << i;
      EXPECT_EQ(g.outer_src_port, headers[0].outer_src_port) << i;
      EXPECT_EQ(g.destination_eni, kNatGatewayEni) << i;
      EXPECT_EQ(g.source_eni, kWeb1.id) << i;
    }
    nodes.insert(headers[0].outer_dst.v4_host_order());
  }
  // The first fragments went to several nodes while all later ones share one portless tuple:
  // hashed on their own, some would have gone to another node than their first.
  EXPECT_GT(nodes.size(), 1u) << "the datagrams' flows spread over the shard";
  EXPECT_EQ(world.pipeline.counters().drops[size_t(D::fragment_orphan)], 0u);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
