// ConntrackTable: the pipeline's entry point — lookups both ways, allowance, expiry, UDP
// single vs stream, untracked flows and rule changes, reopen of TIME_WAIT.
#include "dataplane/conntrack/conntrack_table.h"

#include <cstring>

#include <gtest/gtest.h>

#include "packets.h"

namespace openvpc::conntrack {
namespace {

using testing::Endpoints;
using testing::parsed;

constexpr uint16_t kEni = 1;

// The pipeline's use: track, and on new_connection let the (allow-all) rules open it.
TrackResult pass(ConntrackTable& table, const packet::PacketMeta& meta, uint32_t now,
                 Tracking tracking = Tracking::tracked, uint32_t generation = 0) {
  const TrackResult r = table.track(kEni, meta, now, generation);
  if (r.verdict != Verdict::new_connection) return r;
  return table.open(kEni, meta, now, tracking, generation);
}

ConntrackTable make_table(uint32_t allowance = 1000, size_t capacity = 1024) {
  ConntrackTable table(capacity, 4);
  EniSettings settings;
  settings.allowance = allowance;
  EXPECT_TRUE(table.configure_eni(kEni, settings));
  return table;
}

TEST(ConntrackTable, ReplyFindsTheConnectionOpenedByTheRequest) {
  auto table = make_table();
  const auto e = Endpoints::v4();
  EXPECT_EQ(table.track(kEni, parsed(testing::udp_packet(e, true)), 100).verdict,
            Verdict::new_connection);
  EXPECT_EQ(pass(table, parsed(testing::udp_packet(e, true)), 100).verdict, Verdict::accept);
  EXPECT_EQ(table.track(kEni, parsed(testing::udp_packet(e, false)), 101).verdict, Verdict::accept);
  EXPECT_EQ(table.count(), 1u);
  EXPECT_EQ(table.track(2, parsed(testing::udp_packet(e, false)), 101).verdict,
            Verdict::new_connection);  // another ENI has its own connections
}

// The per-batch sweep walks a few slots a call and wraps at the end of the table: small
// budgets over several calls free every expired connection once, and nothing live.
TEST(ConntrackTable, SmallSweepsWrapAroundTheTableAndFreeEachExpiredConnectionOnce) {
  auto table = make_table(1000, 16);  // 2 buckets x 8 ways: 16 slots
  ASSERT_EQ(table.capacity(), 16u);
  EXPECT_EQ(table.sweep(1000, 64), 0u);  // empty
  for (uint32_t i = 0; i < 10; ++i) {
    const Endpoints e{packet::IpAddress::v4(0x0a000100 + i), packet::IpAddress::v4(0x0a000002)};
    ASSERT_TRUE(table.open(kEni, parsed(testing::udp_packet(e, true)), i < 6 ? 100 : 1000).ok());
  }
  ASSERT_EQ(table.count(), 10u);
  size_t freed = 0;
  for (int call = 0; call < 11; ++call) freed += table.sweep(200, 3);  // 33 slots: two laps
  EXPECT_EQ(freed, 6u);  // the six opened at 100 (single UDP: 30 s); not the four at 1000
  EXPECT_EQ(table.count(), 4u);
  EXPECT_EQ(table.sweep(2000, 5) + table.sweep(2000, 5) + table.sweep(2000, 6), 4u);
  EXPECT_EQ(table.count(), 0u);
}

TEST(ConntrackTable, AConnectionRemembersTheLoadBalancerItCameThroughBothWays) {
  auto table = make_table();
  const auto e = Endpoints::v4();
  const auto request = parsed(testing::udp_packet(e, true));
  const auto reply = parsed(testing::udp_packet(e, false));
  EXPECT_EQ(table.via_of(kEni, request.tuple, 100), 0u);
  EXPECT_TRUE(table.open(kEni, request, 100, Tracking::tracked, 0, nullptr, 960).ok());
  EXPECT_EQ(table.via_of(kEni, request.tuple, 101), 960u);
  EXPECT_EQ(table.via_of(kEni, reply.tuple, 101), 960u);
  EXPECT_EQ(table.via_of(2, reply.tuple, 101), 0u);        // another ENI's
  EXPECT_EQ(table.via_of(kEni, reply.tuple, 100000), 0u);  // expired
}

// via_of() answers 0 without a lookup while no entry has a via: freeing other entries must
// not make it forget one that has, and a freed one's via must not linger.
TEST(ConntrackTable, ViaSurvivesFreeingOtherConnectionsAndGoesWithItsOwn) {
  auto table = make_table();
  const Endpoints plain{packet::IpAddress::v4(0x0a000003), packet::IpAddress::v4(0x0a000002)};
  const auto e = Endpoints::v4();
  const auto request = parsed(testing::udp_packet(e, true));
  EXPECT_TRUE(table.open(kEni, parsed(testing::udp_packet(plain, true)), 100).ok());
  EXPECT_TRUE(table.open(kEni, request, 200, Tracking::tracked, 0, nullptr, 960).ok());
  EXPECT_EQ(table.sweep(150, table.capacity()), 1u);  // the plain one (single UDP: 30 s)
  EXPECT_EQ(table.via_of(kEni, request.tuple, 201), 960u);
  EXPECT_EQ(table.sweep(300, table.capacity()), 1u);      // now the one through the load balancer
  EXPECT_EQ(table.via_of(kEni, request.tuple, 201), 0u);  // freed: not there, whatever the time
  EXPECT_TRUE(table.open(kEni, request, 400, Tracking::tracked, 0, nullptr, 961).ok());
  EXPECT_EQ(table.via_of(kEni, request.tuple, 401), 961u);
}

// ConnectionKey::of orders the endpoints as IpAddress's < (byte order), then by port: both
// directions of a connection build the same key.
TEST(ConnectionKey, LowEndpointIsTheSmallerAddressThenPort) {
  uint32_t seed = 15;
  const auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int i = 0; i < 2000; ++i) {
    packet::FiveTuple t;
    t.protocol = packet::kProtoTcp;
    for (auto* a : {&t.src, &t.dst}) {
      for (auto& b : a->bytes) b = uint8_t(next() % 3);  // small values: many equal bytes
    }
    if (i % 4 == 0) t.dst = t.src;
    t.src_port = uint16_t(next() % 3), t.dst_port = uint16_t(next() % 3);
    bool source_is_low = false;
    const ConnectionKey key = ConnectionKey::of(kEni, t, source_is_low);
    EXPECT_EQ(source_is_low, t.src != t.dst ? t.src < t.dst : t.src_port <= t.dst_port) << i;
    packet::FiveTuple reverse = t;
    std::swap(reverse.src, reverse.dst);
    std::swap(reverse.src_port, reverse.dst_port);
    bool reverse_is_low = false;
    EXPECT_EQ(ConnectionKey::of(kEni, reverse, reverse_is_low), key) << i;
  }
}

TEST(ConntrackTable, ConfigureRejectsTimeoutsOutsideAmazonRanges) {
  ConntrackTable table(64, 2);
  struct Case {
    uint32_t established, stream, single;
    bool valid;
  } cases[] = {
      {432000, 180, 30, true},  {60, 60, 60, true},    {59, 180, 30, false},
      {432001, 180, 30, false}, {350, 181, 30, false}, {350, 59, 30, false},
      {350, 180, 29, false},    {350, 180, 61, false},
  };
  for (const Case& c : cases) {
    EniSettings s;
    s.timeouts.tcp_established = c.established;
    s.timeouts.udp_stream = c.stream;
    s.timeouts.udp_single = c.single;
    EXPECT_EQ(table.configure_eni(0, s), c.valid) << c.established << " " << c.stream;
  }
  EXPECT_FALSE(table.configure_eni(2, EniSettings{}));  // no such ENI
}

struct UdpCase {
  const char* name;
  std::vector<bool> from_client;  // the packets exchanged at t=0
  uint32_t alive_until;           // last second the connection is still alive
};

TEST(ConntrackTable, UdpSingleExchangeAndStreamTimeouts) {
  const UdpCase cases[] = {
      {"request_only", {true}, 29},
      {"request_reply", {true, false}, 29},
      {"stream", {true, false, true}, 179},
      {"stream_reply_first_then_more", {true, false, false}, 179},
  };
  for (const UdpCase& c : cases) {
    auto table = make_table();
    const auto e = Endpoints::v4();
    for (bool client : c.from_client) {
      ASSERT_TRUE(pass(table, parsed(testing::udp_packet(e, client)), 1000).ok()) << c.name;
    }
    const auto tuple = parsed(testing::udp_packet(e, false)).tuple;
    EXPECT_NE(table.find(kEni, tuple, 1000 + c.alive_until), nullptr) << c.name;
    EXPECT_EQ(table.find(kEni, tuple, 1000 + c.alive_until + 1), nullptr) << c.name;
  }
}

TEST(ConntrackTable, EniTimeoutsApply) {
  ConntrackTable table(64, 2);
  EniSettings s;
  s.timeouts.udp_single = 45;
  ASSERT_TRUE(table.configure_eni(kEni, s));
  const auto e = Endpoints::v4();
  ASSERT_TRUE(pass(table, parsed(testing::udp_packet(e, true)), 0).ok());
  const auto tuple = parsed(testing::udp_packet(e, true)).tuple;
  EXPECT_NE(table.find(kEni, tuple, 44), nullptr);
  EXPECT_EQ(table.find(kEni, tuple, 45), nullptr);
}

TEST(ConntrackTable, AllowanceDropsNewConnectionsButNeverEstablishedOnes) {
  auto table = make_table(/*allowance=*/2);
  auto e = Endpoints::v4();
  const auto first = parsed(testing::udp_packet(e, true));
  ASSERT_TRUE(pass(table, first, 10).ok());
  e.client = packet::IpAddress::v4(0x0a000003);
  ASSERT_TRUE(pass(table, parsed(testing::udp_packet(e, true)), 10).ok());
  EXPECT_EQ(table.allowance_available(kEni), 0u);
  e.client = packet::IpAddress::v4(0x0a000004);
  const TrackResult third = pass(table, parsed(testing::udp_packet(e, true)), 10);
  EXPECT_EQ(third.reason, DropReason::conntrack_allowance_exceeded);
  EXPECT_EQ(table.counters(kEni).allowance_exceeded(), 1u);
  EXPECT_TRUE(pass(table, first, 11).ok());  // the established one still passes
  // Expired connections give their room back.
  EXPECT_EQ(table.sweep(100, table.capacity()), 2u);
  EXPECT_EQ(table.allowance_available(kEni), 2u);
}

TEST(ConntrackTable, ExpiredConnectionsDoNotHoldTheAllowanceBeforeTheSweepReachesThem) {
  // At the allowance, open() sweeps kAllowanceSweepSlots slots before refusing: a table that
  // small is freed at once, a larger one over successive attempts (each a bounded sweep).
  for (const size_t capacity : {ConntrackTable::kAllowanceSweepSlots, size_t(4096)}) {
    auto table = make_table(/*allowance=*/2, capacity);
    auto e = Endpoints::v4();
    ASSERT_TRUE(pass(table, parsed(testing::udp_packet(e, true)), 10).ok());
    e.client = packet::IpAddress::v4(0x0a000003);
    ASSERT_TRUE(pass(table, parsed(testing::udp_packet(e, true)), 10).ok());
    // Both are over (UDP single exchange: 30 s) but nothing has freed them yet.
    e.client = packet::IpAddress::v4(0x0a000004);
    const size_t attempts_needed = table.capacity() / ConntrackTable::kAllowanceSweepSlots;
    size_t attempts = 0;
    while (attempts < attempts_needed &&
           !pass(table, parsed(testing::udp_packet(e, true)), 100).ok()) {
      ++attempts;
    }
    EXPECT_LT(attempts, attempts_needed) << capacity;
    if (capacity == ConntrackTable::kAllowanceSweepSlots) {
      EXPECT_EQ(attempts, 0u);
    }
  }
}

TEST(ConntrackTable, FullTableDropsNewConnectionsOnly) {
  ConntrackTable table(16, 2);  // 2 buckets of 8
  EniSettings s;
  s.allowance = 1000;
  ASSERT_TRUE(table.configure_eni(kEni, s));
  auto e = Endpoints::v4();
  size_t opened = 0, full = 0;
  for (uint32_t i = 0; i < 40; ++i) {
    e.client = packet::IpAddress::v4(0x0b000000 + i);
    const TrackResult r = pass(table, parsed(testing::udp_packet(e, true)), 10);
    opened += r.ok();
    full += r.reason == DropReason::connection_table_full;
  }
  EXPECT_EQ(opened, 16u);
  EXPECT_EQ(full, 24u);
  e.client = packet::IpAddress::v4(0x0b000000);
  EXPECT_TRUE(pass(table, parsed(testing::udp_packet(e, false)), 11).ok());
}

TEST(ConntrackTable, ExpiredEntryIsFreedOnLookup) {
  auto table = make_table();
  const auto e = Endpoints::v4();
  ASSERT_TRUE(pass(table, parsed(testing::udp_packet(e, true)), 0).ok());
  EXPECT_EQ(table.track(kEni, parsed(testing::udp_packet(e, false)), 30).verdict,
            Verdict::new_connection);
  EXPECT_EQ(table.count(), 0u);
  EXPECT_EQ(table.allowance_available(kEni), 1000u);
}

TEST(ConntrackTable, UntrackedFlowIsCutWhenTheRulesChangeTrackedSurvives) {
  auto table = make_table();
  auto e = Endpoints::v4();
  const auto untracked = parsed(testing::udp_packet(e, true));
  ASSERT_TRUE(pass(table, untracked, 0, Tracking::untracked, /*generation=*/1).ok());
  EXPECT_EQ(table.allowance_available(kEni), 1000u);  // untracked: no allowance used
  EXPECT_EQ(table.track(kEni, untracked, 1, 1).verdict, Verdict::accept);
  EXPECT_EQ(table.track(kEni, untracked, 2, 2).verdict, Verdict::new_connection);
  e.client = packet::IpAddress::v4(0x0a000009);
  const auto tracked = parsed(testing::udp_packet(e, true));
  ASSERT_TRUE(pass(table, tracked, 3, Tracking::tracked, 2).ok());
  EXPECT_EQ(table.track(kEni, tracked, 4, 3).verdict, Verdict::accept);  // rule gone: survives
  // ICMP is always tracked.
  const auto echo = parsed(testing::echo_packet(e, true, 7));
  ASSERT_TRUE(pass(table, echo, 5, Tracking::untracked, 3).ok());
  EXPECT_EQ(table.track(kEni, parsed(testing::echo_packet(e, false, 7)), 6, 4).verdict,
            Verdict::accept);
}

TEST(ConntrackTable, TcpOutOfWindowDropsAreCountedAndDoNotRefresh) {
  auto table = make_table();
  const auto e = Endpoints::v4();
  using packet::kTcpAck;
  using packet::kTcpSyn;
  ASSERT_TRUE(pass(table, parsed(testing::tcp_packet(e, true, kTcpSyn, 100, 0, 1000)), 0).ok());
  ASSERT_TRUE(
      pass(table, parsed(testing::tcp_packet(e, false, kTcpSyn | kTcpAck, 500, 101, 1000)), 0)
          .ok());
  const auto bad = parsed(testing::tcp_packet(e, true, kTcpAck, 100 + 5000, 501, 1000, 10));
  EXPECT_EQ(table.track(kEni, bad, 50).reason, DropReason::tcp_seq_out_of_window);
  EXPECT_EQ(table.counters(kEni).drops[size_t(DropReason::tcp_seq_out_of_window)], 1u);
  // SYN_RECV lives 60 s from its last accepted packet at t=0, not from the drop at t=50.
  EXPECT_EQ(table.find(kEni, bad.tuple, 60), nullptr);
}

TEST(ConntrackTable, SynOnTimeWaitReopensThroughTheRules) {
  auto table = make_table();
  const auto e = Endpoints::v4();
  using namespace packet;
  const struct {
    bool client;
    uint8_t flags;
    uint32_t seq, ack;
  } steps[] = {
      {true, kTcpSyn, 100, 0},
      {false, kTcpSyn | kTcpAck, 500, 101},
      {true, kTcpAck, 101, 501},
      {true, kTcpFin | kTcpAck, 101, 501},
      {false, kTcpFin | kTcpAck, 501, 102},
      {true, kTcpAck, 102, 502},
  };
  for (const auto& s : steps) {
    ASSERT_TRUE(
        pass(table, parsed(testing::tcp_packet(e, s.client, s.flags, s.seq, s.ack, 1000)), 0).ok());
  }
  const auto syn = parsed(testing::tcp_packet(e, true, kTcpSyn, 9000, 0, 1000));
  EXPECT_EQ(table.track(kEni, syn, 1).verdict, Verdict::new_connection);
  EXPECT_TRUE(table.open(kEni, syn, 1).ok());
  EXPECT_EQ(table.count(), 1u);
}

// open_missed() (the connection stage's open after track()'s miss) has open()'s effects:
// two tables fed the same packets, one through open(), one through open_missed(), answer
// alike — new, reopened after TIME_WAIT, untracked then cut by a rule change, ICMP, allowance.
TEST(ConntrackTable, OpenAfterAMissAnswersAsOpen) {
  auto direct = make_table(3);
  auto missed = make_table(3);
  using namespace packet;
  const auto e = Endpoints::v4();
  auto other = e;
  other.client = IpAddress::v4(0x0a000009);
  auto third = e;
  third.client = IpAddress::v4(0x0a00000a);
  const struct {
    std::vector<uint8_t> packet;
    uint32_t now, generation;
    Tracking tracking;
  } steps[] = {
      {testing::tcp_packet(e, true, kTcpSyn, 100, 0, 1000), 0, 0, Tracking::tracked},
      {testing::tcp_packet(e, false, kTcpSyn | kTcpAck, 500, 101, 1000), 0, 0, Tracking::tracked},
      {testing::tcp_packet(e, true, kTcpAck, 101, 501, 1000), 0, 0, Tracking::tracked},
      {testing::tcp_packet(e, true, kTcpFin | kTcpAck, 101, 501, 1000), 0, 0, Tracking::tracked},
      {testing::tcp_packet(e, false, kTcpFin | kTcpAck, 501, 102, 1000), 0, 0, Tracking::tracked},
      {testing::tcp_packet(e, true, kTcpAck, 102, 502, 1000), 0, 0, Tracking::tracked},
      {testing::tcp_packet(e, true, kTcpSyn, 9000, 0, 1000), 1, 0, Tracking::tracked},  // reopen
      {testing::tcp_packet(e, false, kTcpSyn | kTcpAck, 700, 9001, 1000), 1, 0, Tracking::tracked},
      {testing::udp_packet(other, true), 2, 1, Tracking::untracked},
      {testing::udp_packet(other, false), 3, 1, Tracking::untracked},
      {testing::udp_packet(other, false), 4, 2, Tracking::untracked},     // rules changed
      {testing::echo_packet(other, true, 7), 5, 2, Tracking::untracked},  // ICMP: tracked
      {testing::echo_packet(other, false, 7), 5, 2, Tracking::untracked},
      {testing::udp_packet(third, true), 6, 2, Tracking::tracked},
      {testing::udp_packet(e, true), 6, 2, Tracking::tracked},  // over the allowance of 3
  };
  int i = 0;
  for (const auto& step : steps) {
    const auto meta = parsed(step.packet);
    ConnectionRef direct_ref, missed_ref;
    TrackResult a = direct.track(kEni, meta, step.now, step.generation, &direct_ref);
    if (a.verdict == Verdict::new_connection) {
      a = direct.open(kEni, meta, step.now, step.tracking, step.generation, &direct_ref);
    }
    Miss miss;
    TrackResult b = missed.track(kEni, meta, step.now, step.generation, &missed_ref, &miss);
    if (b.verdict == Verdict::new_connection) {
      EXPECT_TRUE(miss.set) << i;
      b = missed.open_missed(kEni, miss, meta, step.now, step.tracking, step.generation,
                             &missed_ref, 0);
    }
    EXPECT_EQ(a.verdict, b.verdict) << i;
    EXPECT_EQ(a.reason, b.reason) << i;
    EXPECT_EQ(a.timeout, b.timeout) << i;
    EXPECT_EQ(direct_ref.slot, missed_ref.slot) << i;
    EXPECT_EQ(direct_ref.source_is_low, missed_ref.source_is_low) << i;
    EXPECT_EQ(direct.count(), missed.count()) << i;
    EXPECT_EQ(direct.allowance_available(kEni), missed.allowance_available(kEni)) << i;
    EXPECT_EQ(direct.counters(kEni).opened, missed.counters(kEni).opened) << i;
    EXPECT_EQ(direct.counters(kEni).accepted, missed.counters(kEni).accepted) << i;
    ++i;
  }
  EXPECT_EQ(direct.counters(kEni).allowance_exceeded(), 1u);
  EXPECT_EQ(missed.counters(kEni).allowance_exceeded(), 1u);
}

}  // namespace
}  // namespace openvpc::conntrack

namespace openvpc::conntrack {
namespace {

// track_at(): the hinted lookup of a flow-cache entry answers as track() does, follows a
// connection that moved, and never accepts through a slot reused by another connection.
TEST(ConntrackTable, HintedTrackAgreesWithTrackAndSurvivesSlotReuse) {
  auto table = make_table(1000, 16);
  auto e = Endpoints::v4();
  const auto request = parsed(testing::udp_packet(e, true));
  const auto reply = parsed(testing::udp_packet(e, false));
  ConnectionRef forward;
  ConnectionRef backward;
  ASSERT_TRUE(table.open(kEni, request, 0, Tracking::tracked, 0, &forward).ok());
  ASSERT_NE(forward.slot, kNoSlot);
  EXPECT_EQ(table.track_at(kEni, backward, reply, 1).verdict, Verdict::accept);  // no hint yet
  EXPECT_EQ(backward.slot, forward.slot);
  EXPECT_NE(backward.source_is_low, forward.source_is_low);
  EXPECT_EQ(table.track_at(kEni, forward, request, 2).verdict, Verdict::accept);
  EXPECT_EQ(table.counters(kEni).accepted, 3u);  // open + two tracks

  // The connection expires; its slot is reused by another one: the hint must not match it.
  const uint32_t old_slot = forward.slot;
  EXPECT_EQ(table.track_at(kEni, forward, request, 1000).verdict, Verdict::new_connection);
  EXPECT_EQ(forward.slot, kNoSlot);
  e.client = packet::IpAddress::v4(0x0a000009);
  const auto other = parsed(testing::udp_packet(e, true));
  ConnectionRef other_ref;
  ASSERT_TRUE(table.open(kEni, other, 1000, Tracking::tracked, 0, &other_ref).ok());
  ConnectionRef stale = backward;
  stale.slot = other_ref.slot;  // even pointing straight at the new connection
  EXPECT_EQ(table.track_at(kEni, stale, reply, 1001).verdict, Verdict::new_connection);
  backward.slot = old_slot;
  EXPECT_EQ(table.track_at(kEni, backward, reply, 1001).verdict, Verdict::new_connection);
  EXPECT_EQ(table.track_at(kEni, other_ref, other, 1001).verdict, Verdict::accept);
  EXPECT_EQ(table.track_at(2, other_ref, other, 1001).verdict, Verdict::new_connection);
}

// The TCP window checks run the same through the hint: an out-of-window segment is dropped.
TEST(ConntrackTable, HintedTrackDropsOutOfWindowSegments) {
  auto table = make_table();
  const auto e = Endpoints::v4();
  using packet::kTcpAck;
  using packet::kTcpSyn;
  ConnectionRef client;
  ConnectionRef server;
  ASSERT_TRUE(table
                  .open(kEni, parsed(testing::tcp_packet(e, true, kTcpSyn, 100, 0, 1000)), 0,
                        Tracking::tracked, 0, &client)
                  .ok());
  ASSERT_TRUE(
      table
          .track_at(kEni, server,
                    parsed(testing::tcp_packet(e, false, kTcpSyn | kTcpAck, 500, 101, 1000)), 0)
          .ok());
  ASSERT_TRUE(
      table.track_at(kEni, client, parsed(testing::tcp_packet(e, true, kTcpAck, 101, 501, 1000)), 1)
          .ok());
  const auto in_window = parsed(testing::tcp_packet(e, true, kTcpAck, 101, 501, 1000, 10));
  EXPECT_EQ(table.track_at(kEni, client, in_window, 2).verdict, Verdict::accept);
  const auto bad = parsed(testing::tcp_packet(e, true, kTcpAck, 101 + 50000, 501, 1000, 10));
  EXPECT_EQ(table.track_at(kEni, client, bad, 3).reason, DropReason::tcp_seq_out_of_window);
  const auto bad_ack = parsed(testing::tcp_packet(e, true, kTcpAck, 111, 501 + 5000, 1000));
  EXPECT_EQ(table.track_at(kEni, client, bad_ack, 3).reason, DropReason::tcp_ack_out_of_window);
  EXPECT_NE(client.slot, kNoSlot);  // a drop keeps the connection and its hint
}

// track_at()'s inline case (an ACK on an ESTABLISHED connection) has the effects track() has:
// the same verdicts, per-ENI counters, expiry and TCP state, in-window or not, either way.
TEST(ConntrackTable, HintedEstablishedAckHasTrackEffects) {
  auto hinted = make_table();
  auto plain = make_table();
  const auto e = Endpoints::v4();
  using packet::kTcpAck;
  using packet::kTcpPsh;
  using packet::kTcpSyn;
  ConnectionRef client;
  ConnectionRef server;
  const auto syn = parsed(testing::tcp_packet(e, true, kTcpSyn, 100, 0, 1000));
  const auto synack = parsed(testing::tcp_packet(e, false, kTcpSyn | kTcpAck, 500, 101, 1000));
  ASSERT_TRUE(hinted.open(kEni, syn, 0, Tracking::tracked, 0, &client).ok());
  ASSERT_TRUE(plain.open(kEni, syn, 0, Tracking::tracked, 0).ok());
  ASSERT_TRUE(hinted.track_at(kEni, server, synack, 0).ok());
  ASSERT_TRUE(plain.track(kEni, synack, 0).ok());
  struct Step {
    bool from_client;
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t payload;
    uint32_t now;
  };
  const Step steps[] = {
      {true, kTcpAck, 101, 501, 0, 1},
      {true, kTcpAck | kTcpPsh, 101, 501, 100, 2},
      {false, kTcpAck, 501, 201, 0, 3},
      {false, kTcpAck, 501 + 90000, 201, 10, 4},
      {true, kTcpAck, 201, 501 + 90000, 0, 5},
      {true, kTcpAck, 201 + 90000, 501, 10, 6},
      {false, kTcpAck | kTcpPsh, 501, 201, 50, 7},
  };
  for (const Step& s : steps) {
    const auto meta =
        parsed(testing::tcp_packet(e, s.from_client, s.flags, s.seq, s.ack, 1000, s.payload));
    const TrackResult a = hinted.track_at(kEni, s.from_client ? client : server, meta, s.now);
    const TrackResult b = plain.track(kEni, meta, s.now);
    EXPECT_EQ(a.verdict, b.verdict) << s.seq;
    EXPECT_EQ(a.reason, b.reason) << s.seq;
    EXPECT_EQ(a.timeout, b.timeout) << s.seq;
  }
  EXPECT_EQ(hinted.counters(kEni).accepted, plain.counters(kEni).accepted);
  EXPECT_EQ(hinted.counters(kEni).drops[size_t(DropReason::tcp_seq_out_of_window)],
            plain.counters(kEni).drops[size_t(DropReason::tcp_seq_out_of_window)]);
  EXPECT_EQ(hinted.counters(kEni).drops[size_t(DropReason::tcp_ack_out_of_window)],
            plain.counters(kEni).drops[size_t(DropReason::tcp_ack_out_of_window)]);
  EXPECT_GT(plain.counters(kEni).drops[size_t(DropReason::tcp_seq_out_of_window)], 0u);
  const Connection* x = hinted.find(kEni, syn.tuple, 7);
  const Connection* y = plain.find(kEni, syn.tuple, 7);
  ASSERT_NE(x, nullptr);
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(x->expires_at, y->expires_at);
  EXPECT_EQ(std::memcmp(&x->state, &y->state, sizeof x->state), 0);
}

}  // namespace
}  // namespace openvpc::conntrack
