// ICMP and ICMPv6: echo by identifier; errors related to TCP, UDP and ICMP flows through
// the header they quote, in IPv4 and IPv6; errors about nothing are dropped.
#include "dataplane/conntrack/icmp_tracker.h"

#include <gtest/gtest.h>

#include "dataplane/conntrack/conntrack_table.h"
#include "packets.h"

namespace openvpc::conntrack {
namespace {

using testing::Endpoints;
using testing::parsed;

constexpr uint16_t kEni = 0;

enum class Inner { tcp, udp, echo };
struct ErrorCase {
  const char* name;
  bool v6;
  Inner inner;
  uint8_t type, code;  // of the error's family
  bool open_flow;      // the quoted flow is tracked
  bool quote_bad_seq;  // the quoted TCP segment has a sequence never sent
  Verdict verdict;
  DropReason reason;
};

std::vector<uint8_t> offending(const Endpoints& e, Inner inner, bool bad_seq) {
  switch (inner) {
    case Inner::tcp:
      return testing::tcp_packet(e, true, packet::kTcpSyn, bad_seq ? 0x50000000u : 1000u, 0, 1000);
    case Inner::udp:
      return testing::udp_packet(e, true);
    case Inner::echo:
      return testing::echo_packet(e, true, 99);
  }
  return {};
}

TEST(IcmpErrors, RelatedToTheQuotedFlowOrDropped) {
  const Verdict rel = Verdict::accept_related, drop = Verdict::drop;
  const ErrorCase cases[] = {
      {"v4_tcp_unreachable", false, Inner::tcp, 3, 1, true, false, rel, DropReason::none},
      {"v4_tcp_frag_needed", false, Inner::tcp, 3, 4, true, false, rel, DropReason::none},
      {"v4_udp_port_unreachable", false, Inner::udp, 3, 3, true, false, rel, DropReason::none},
      {"v4_echo_time_exceeded", false, Inner::echo, 11, 0, true, false, rel, DropReason::none},
      {"v4_param_problem", false, Inner::udp, 12, 0, true, false, rel, DropReason::none},
      {"v6_tcp_packet_too_big", true, Inner::tcp, 2, 0, true, false, rel, DropReason::none},
      {"v6_udp_unreachable", true, Inner::udp, 1, 4, true, false, rel, DropReason::none},
      {"v6_echo_time_exceeded", true, Inner::echo, 3, 0, true, false, rel, DropReason::none},
      {"v6_param_problem", true, Inner::tcp, 4, 0, true, false, rel, DropReason::none},
      {"v4_tcp_no_flow", false, Inner::tcp, 3, 1, false, false, drop,
       DropReason::icmp_error_no_connection},
      {"v4_udp_no_flow", false, Inner::udp, 3, 3, false, false, drop,
       DropReason::icmp_error_no_connection},
      {"v4_echo_no_flow", false, Inner::echo, 11, 0, false, false, drop,
       DropReason::icmp_error_no_connection},
      {"v6_tcp_no_flow", true, Inner::tcp, 1, 0, false, false, drop,
       DropReason::icmp_error_no_connection},
      {"v6_udp_no_flow", true, Inner::udp, 2, 0, false, false, drop,
       DropReason::icmp_error_no_connection},
      {"v6_echo_no_flow", true, Inner::echo, 3, 0, false, false, drop,
       DropReason::icmp_error_no_connection},
      {"v4_tcp_blind_sequence", false, Inner::tcp, 3, 4, true, true, drop,
       DropReason::icmp_error_out_of_window},
      {"v6_tcp_blind_sequence", true, Inner::tcp, 2, 0, true, true, drop,
       DropReason::icmp_error_out_of_window},
  };
  for (const ErrorCase& c : cases) {
    ConntrackTable table(64, 1);
    ASSERT_TRUE(table.configure_eni(kEni, EniSettings{}));
    const Endpoints e = c.v6 ? Endpoints::v6() : Endpoints::v4();
    if (c.open_flow) {
      ASSERT_TRUE(table.open(kEni, parsed(offending(e, c.inner, false)), 0).ok()) << c.name;
    }
    const packet::IpAddress router =
        c.v6 ? *packet::IpAddress::parse("2001:db8::fe") : packet::IpAddress::v4(0x0a0000fe);
    const auto error =
        parsed(testing::icmp_error(router, c.type, c.code, offending(e, c.inner, c.quote_bad_seq)));
    ASSERT_TRUE(error.icmp.is_error) << c.name;
    const TrackResult r = table.track(kEni, error, 1);
    EXPECT_EQ(r.verdict, c.verdict) << c.name;
    EXPECT_EQ(r.reason, c.reason) << c.name << ": " << to_string(r.reason);
    // Errors never open a connection, even when the rules would allow them.
    if (!c.open_flow) {
      EXPECT_FALSE(table.open(kEni, error, 1).ok()) << c.name;
    }
  }
}

TEST(IcmpErrors, SentTheWrongWayAreDropped) {
  ConntrackTable table(64, 1);
  const Endpoints e = Endpoints::v4();
  ASSERT_TRUE(table.open(kEni, parsed(testing::udp_packet(e, true)), 0).ok());
  // An error quoting the client's packet but sent to the server.
  auto error = parsed(
      testing::icmp_error(packet::IpAddress::v4(0x0a0000fe), 3, 3, testing::udp_packet(e, true)));
  error.tuple.dst = e.server;
  EXPECT_EQ(table.track(kEni, error, 1).reason, DropReason::icmp_error_no_connection);
}

TEST(IcmpEcho, ReplyMatchesRequestByIdentifierOnly) {
  for (bool v6 : {false, true}) {
    ConntrackTable table(64, 1);
    const Endpoints e = v6 ? Endpoints::v6() : Endpoints::v4();
    EXPECT_EQ(table.track(kEni, parsed(testing::echo_packet(e, true, 5)), 0).verdict,
              Verdict::new_connection);
    ASSERT_TRUE(table.open(kEni, parsed(testing::echo_packet(e, true, 5)), 0).ok());
    EXPECT_EQ(table.track(kEni, parsed(testing::echo_packet(e, false, 5)), 1).verdict,
              Verdict::accept);
    EXPECT_EQ(table.track(kEni, parsed(testing::echo_packet(e, false, 6)), 1).verdict,
              Verdict::new_connection);
    // 30 s after the last packet the reply no longer matches.
    EXPECT_EQ(table.track(kEni, parsed(testing::echo_packet(e, false, 5)), 31).verdict,
              Verdict::new_connection);
  }
}

}  // namespace
}  // namespace openvpc::conntrack
