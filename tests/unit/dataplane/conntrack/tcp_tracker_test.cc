// Table-driven tests of the TCP tracker: every case is a script of segments, each with the
// verdict and state it must produce. Sequence and acknowledgement numbers in the tables are
// offsets from the sender's / receiver's initial sequence number, and every script runs at
// several ISNs, including ones where the window straddles 2^32.
#include "dataplane/conntrack/tcp_tracker.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "packets.h"

namespace openvpc::conntrack {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;
using testing::Endpoints;
using S = TcpConnState;
using R = DropReason;

constexpr bool C = true;    // from the client (the initiator)
constexpr bool Sv = false;  // from the server
constexpr Verdict kOk = Verdict::accept;
constexpr Verdict kDrop = Verdict::drop;
constexpr Verdict kNew = Verdict::new_connection;

struct Step {
  bool from_client;
  uint8_t flags;
  int64_t seq;  // offset from the sender's ISN
  int64_t ack;  // offset from the receiver's ISN
  uint16_t window;
  uint16_t size = 0;
  int window_scale = -1;
  Verdict verdict = kOk;
  DropReason reason = R::none;
  TcpConnState state = S::none;  // after the step; ignored for drops (state must not change)
};

struct Case {
  const char* name;
  std::vector<Step> steps;
};

const Step kSyn{C, kTcpSyn, 0, 0, 65535, 0, -1, kOk, R::none, S::syn_sent};
const Step kSynAck{Sv, kTcpSyn | kTcpAck, 0, 1, 65535, 0, -1, kOk, R::none, S::syn_recv};
const Step kAck{C, kTcpAck, 1, 1, 65535, 0, -1, kOk, R::none, S::established};

std::vector<Step> handshake(std::vector<Step> rest) {
  std::vector<Step> steps{kSyn, kSynAck, kAck};
  steps.insert(steps.end(), rest.begin(), rest.end());
  return steps;
}

const std::vector<Case> kCases = {
    {"three_way_handshake", handshake({})},
    {"syn_retransmitted", {kSyn, kSyn, kSynAck, kAck}},
    {"synack_retransmitted",
     {kSyn,
      kSynAck,
      kSynAck,
      kAck,
      {Sv, kTcpSyn | kTcpAck, 0, 1, 65535, 0, -1, kOk, R::none, S::established}}},
    {"simultaneous_open",
     {kSyn,
      {Sv, kTcpSyn, 0, 0, 65535, 0, -1, kOk, R::none, S::syn_recv},
      {C, kTcpSyn | kTcpAck, 0, 1, 65535, 0, -1, kOk, R::none, S::syn_recv},
      {Sv, kTcpSyn | kTcpAck, 0, 1, 65535, 0, -1, kOk, R::none, S::established}}},
    {"synack_not_acking_syn",
     {kSyn, {Sv, kTcpSyn | kTcpAck, 0, 2, 65535, 0, -1, kDrop, R::tcp_bad_synack}, kSynAck}},
    {"ack_before_synack", {kSyn, {C, kTcpAck, 1, 1, 65535, 0, -1, kDrop, R::tcp_invalid_state}}},
    {"invalid_flags",
     handshake({{C, kTcpSyn | kTcpFin, 1, 1, 65535, 0, -1, kDrop, R::tcp_invalid_flags},
                {C, 0, 1, 1, 65535, 0, -1, kDrop, R::tcp_invalid_flags}})},
    {"unexpected_syn_when_established",
     handshake({{C, kTcpSyn, 5, 0, 65535, 0, -1, kDrop, R::tcp_invalid_state}})},
    // Client and server both offered 65535 unscaled: server may send seq <= 1 + 65535.
    {"seq_at_window_edge",
     handshake({{Sv, kTcpAck | kTcpPsh, 65536, 1, 65535, 1, -1, kOk, R::none, S::established}})},
    {"seq_one_past_window_edge",
     handshake({{Sv, kTcpAck, 65537, 1, 65535, 1, -1, kDrop, R::tcp_seq_out_of_window}})},
    // Old data: the end of the segment may lie at most one window (65535) behind.
    {"old_segment_at_window_edge",
     handshake({{Sv, kTcpAck, -65535, 1, 65535, 1, -1, kOk, R::none, S::established}})},
    {"old_segment_one_past_edge",
     handshake({{Sv, kTcpAck, -65536, 1, 65535, 1, -1, kDrop, R::tcp_seq_out_of_window}})},
    {"ack_of_unsent_data",
     handshake({{C, kTcpAck, 1, 2, 65535, 0, -1, kDrop, R::tcp_ack_out_of_window}})},
    {"ack_at_lower_edge",
     handshake({{C, kTcpAck, 1, 1 - 66000, 65535, 0, -1, kOk, R::none, S::established}})},
    {"ack_one_below_lower_edge",
     handshake({{C, kTcpAck, 1, 1 - 66001, 65535, 0, -1, kDrop, R::tcp_ack_out_of_window}})},
    {"data_advances_window",
     handshake({{C, kTcpAck, 1, 1, 65535, 1000, -1, kOk, R::none, S::established},
                {Sv, kTcpAck, 1, 1001, 65535, 0, -1, kOk, R::none, S::established},
                {C, kTcpAck, 65536 + 1000, 1, 65535, 1, -1, kOk, R::none, S::established},
                {C, kTcpAck, 65537 + 1000, 1, 65535, 1, -1, kDrop, R::tcp_seq_out_of_window}})},
    // Both SYNs carry window scale 7: the client's window 512 means 65536 bytes.
    {"window_scale_both",
     {{C, kTcpSyn, 0, 0, 65535, 0, 7, kOk, R::none, S::syn_sent},
      {Sv, kTcpSyn | kTcpAck, 0, 1, 65535, 0, 7, kOk, R::none, S::syn_recv},
      {C, kTcpAck, 1, 1, 512, 0, -1, kOk, R::none, S::established},
      {Sv, kTcpAck, 65537, 1, 512, 1, -1, kOk, R::none, S::established},
      {Sv, kTcpAck, 65538, 1, 512, 1, -1, kDrop, R::tcp_seq_out_of_window}}},
    // Only the client offers scaling: RFC 7323 turns it off both ways.
    {"window_scale_one_side",
     {{C, kTcpSyn, 0, 0, 512, 0, 7, kOk, R::none, S::syn_sent},
      {Sv, kTcpSyn | kTcpAck, 0, 1, 512, 0, -1, kOk, R::none, S::syn_recv},
      {C, kTcpAck, 1, 1, 512, 0, -1, kOk, R::none, S::established},
      {Sv, kTcpAck, 513, 1, 512, 0, -1, kOk, R::none, S::established},
      {Sv, kTcpAck, 514, 1, 512, 1, -1, kDrop, R::tcp_seq_out_of_window}}},
    // The client offers a zero window from the start: one byte may still probe it.
    {"zero_window_probe",
     {{C, kTcpSyn, 0, 0, 0, 0, -1, kOk, R::none, S::syn_sent},
      {Sv, kTcpSyn | kTcpAck, 0, 1, 65535, 0, -1, kOk, R::none, S::syn_recv},
      {C, kTcpAck, 1, 1, 0, 0, -1, kOk, R::none, S::established},
      {Sv, kTcpAck, 1, 1, 65535, 1, -1, kOk, R::none, S::established},
      {Sv, kTcpAck, 1, 1, 65535, 1, -1, kOk, R::none, S::established},
      {Sv, kTcpAck, 3, 1, 65535, 1, -1, kDrop, R::tcp_seq_out_of_window}}},
    {"rst_in_window", handshake({{Sv, kTcpRst, 1, 0, 0, 0, -1, kOk, R::none, S::closed}})},
    {"rst_ack_in_window",
     handshake({{C, kTcpRst | kTcpAck, 1, 1, 0, 0, -1, kOk, R::none, S::closed}})},
    {"rst_out_of_window",
     handshake({{Sv, kTcpRst, 100000, 0, 0, 0, -1, kDrop, R::tcp_rst_out_of_window},
                {C, kTcpAck, 1, 1, 65535, 0, -1, kOk, R::none, S::established}})},
    {"rst_answering_syn", {kSyn, {Sv, kTcpRst | kTcpAck, 0, 1, 0, 0, -1, kOk, R::none, S::closed}}},
    {"rst_answering_syn_wrong_ack",
     {kSyn, {Sv, kTcpRst | kTcpAck, 0, 7, 0, 0, -1, kDrop, R::tcp_rst_out_of_window}}},
    {"orderly_close",
     handshake({{C, kTcpFin | kTcpAck, 1, 1, 65535, 0, -1, kOk, R::none, S::fin_wait},
                {Sv, kTcpAck, 1, 2, 65535, 0, -1, kOk, R::none, S::close_wait},
                {Sv, kTcpFin | kTcpAck, 1, 2, 65535, 0, -1, kOk, R::none, S::last_ack},
                {C, kTcpAck, 2, 2, 65535, 0, -1, kOk, R::none, S::time_wait}})},
    {"simultaneous_close",
     handshake({{C, kTcpFin | kTcpAck, 1, 1, 65535, 0, -1, kOk, R::none, S::fin_wait},
                {Sv, kTcpFin | kTcpAck, 1, 1, 65535, 0, -1, kOk, R::none, S::last_ack},
                {C, kTcpAck, 2, 2, 65535, 0, -1, kOk, R::none, S::last_ack},
                {Sv, kTcpAck, 2, 2, 65535, 0, -1, kOk, R::none, S::time_wait}})},
    {"syn_reopens_time_wait",
     handshake({{C, kTcpFin | kTcpAck, 1, 1, 65535, 0, -1, kOk, R::none, S::fin_wait},
                {Sv, kTcpFin | kTcpAck, 1, 2, 65535, 0, -1, kOk, R::none, S::last_ack},
                {C, kTcpAck, 2, 2, 65535, 0, -1, kOk, R::none, S::time_wait},
                {C, kTcpSyn, 100000, 0, 65535, 0, -1, kNew}})},
    {"syn_reopens_closed", handshake({{Sv, kTcpRst, 1, 0, 0, 0, -1, kOk, R::none, S::closed},
                                      {C, kTcpSyn, 7, 0, 65535, 0, -1, kNew}})},
};

class TcpScript : public ::testing::TestWithParam<std::tuple<Case, uint32_t, bool>> {};

std::string case_name(const ::testing::TestParamInfo<TcpScript::ParamType>& info) {
  const auto& [c, isn, v6] = info.param;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", isn);
  return std::string(c.name) + "_isn" + buf + (v6 ? "_v6" : "_v4");
}

TEST_P(TcpScript, EveryStepGivesItsVerdictAndState) {
  const auto& [c, isn_base, v6] = GetParam();
  const Endpoints e = v6 ? Endpoints::v6() : Endpoints::v4();
  const uint32_t isn[2] = {isn_base, isn_base + 0x10000000u};  // client, server
  const Timeouts timeouts;
  ConnectionState state;
  for (size_t i = 0; i < c.steps.size(); ++i) {
    const Step& s = c.steps[i];
    const uint32_t seq = isn[s.from_client ? 0 : 1] + uint32_t(s.seq);
    const uint32_t ack = (s.flags & kTcpAck) ? isn[s.from_client ? 1 : 0] + uint32_t(s.ack) : 0;
    const packet::PacketMeta meta = testing::parsed(
        testing::tcp_packet(e, s.from_client, s.flags, seq, ack, s.window, s.size, s.window_scale));
    const ConnectionState before = state;
    const TrackResult r =
        i == 0 ? tcp_start(state, meta, timeouts)
               : tcp_track(state, meta, s.from_client ? Direction::original : Direction::reply,
                           timeouts);
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_EQ(r.verdict, s.verdict);
    EXPECT_EQ(r.reason, s.reason) << to_string(r.reason);
    if (r.verdict == Verdict::accept) {
      EXPECT_EQ(state.tcp_state(), s.state) << to_string(state.tcp_state());
      EXPECT_EQ(r.timeout, tcp_timeout(s.state, timeouts));
    } else {  // a drop (or a reopen) changes nothing and refreshes nothing
      EXPECT_EQ(std::memcmp(&before, &state, sizeof(state)), 0);
      EXPECT_EQ(r.timeout, 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scripts, TcpScript,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(0x00001000u, 0xffff8000u, 0xfffffff0u,
                                                              0x7fffc000u),
                                            ::testing::Bool()),
                         case_name);

struct StartCase {
  const char* name;
  uint8_t flags;
  Verdict verdict;
  DropReason reason;
};

// Which segments may open a connection (mid-stream pickup policy, tcp_tracker.h).
TEST(TcpStart, OnlySynOrPlainAckOpens) {
  const StartCase cases[] = {
      {"syn", kTcpSyn, kOk, R::none},
      {"ack_pickup", kTcpAck, kOk, R::none},
      {"psh_ack_pickup", kTcpAck | kTcpPsh, kOk, R::none},
      {"synack", kTcpSyn | kTcpAck, kDrop, R::tcp_invalid_new},
      {"rst", kTcpRst, kDrop, R::tcp_invalid_new},
      {"fin_ack", kTcpFin | kTcpAck, kDrop, R::tcp_invalid_new},
      {"syn_fin", kTcpSyn | kTcpFin, kDrop, R::tcp_invalid_flags},
  };
  for (const StartCase& c : cases) {
    ConnectionState state;
    const auto meta =
        testing::parsed(testing::tcp_packet(Endpoints::v4(), C, c.flags, 1000, 5000, 100));
    const TrackResult r = tcp_start(state, meta, Timeouts{});
    EXPECT_EQ(r.verdict, c.verdict) << c.name;
    EXPECT_EQ(r.reason, c.reason) << c.name;
  }
}

// A picked-up connection learns each side's window from its first segment, assuming scale 14.
TEST(TcpStart, PickedUpConnectionKeepsCheckingSequences) {
  const Endpoints e = Endpoints::v4();
  ConnectionState st;
  const Timeouts t;
  auto seg = [&](bool client, uint32_t seq, uint32_t ack) {
    return testing::parsed(testing::tcp_packet(e, client, kTcpAck, seq, ack, 10, 100));
  };
  ASSERT_EQ(tcp_start(st, seg(C, 1000, 5000), t).verdict, kOk);
  EXPECT_EQ(st.tcp_state(), S::established);
  EXPECT_EQ(tcp_track(st, seg(Sv, 5000, 1100), Direction::reply, t).verdict, kOk);
  EXPECT_EQ(tcp_track(st, seg(C, 1100, 5100), Direction::original, t).verdict, kOk);
  // Acknowledging bytes the server never sent.
  EXPECT_EQ(tcp_track(st, seg(C, 1200, 9000), Direction::original, t).reason,
            R::tcp_ack_out_of_window);
}

TEST(TcpTimeout, FollowsTheStateAndTheEniSetting) {
  Timeouts t;
  t.tcp_established = 350;
  EXPECT_EQ(tcp_timeout(S::established, t), 350u);
  EXPECT_EQ(tcp_timeout(S::syn_sent, t), 120u);
  EXPECT_EQ(tcp_timeout(S::time_wait, t), 120u);
  EXPECT_EQ(tcp_timeout(S::closed, t), 10u);
}

TEST(TcpSequence, ComparisonsWrapAround) {
  EXPECT_TRUE(seq_before(0xfffffff0u, 0x10u));
  EXPECT_TRUE(seq_after(0x10u, 0xfffffff0u));
  EXPECT_FALSE(seq_before(5, 5));
}

}  // namespace
}  // namespace openvpc::conntrack
