// Flow-log records: a known packet set gives the expected version-2 text byte for byte;
// windows, exclusions, custom formats and SKIPDATA.
#include "dataplane/flowlog/flow_log_aggregator.h"

#include <gtest/gtest.h>

#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "packets.h"

namespace openvpc::flowlog {
namespace {

using conntrack::testing::Endpoints;
using conntrack::testing::parsed;

class Lines : public FlowLogSink {
 public:
  explicit Lines(std::span<const FlowLogField> format = kDefaultFormat) : format_(format) {}
  void write(const FlowLogRecord& r) override {
    lines.push_back(format_flow_log(r, interface, format_));
  }
  FlowLogInterface interface {
    "123456789010", "eni-1235b8ca123456789", "vpc-1", "subnet-1", "i-1", "us-east-1", "use1-az1"
  };
  std::vector<std::string> lines;

 private:
  std::span<const FlowLogField> format_;
};

TEST(FlowLog, Version2LinesMatchByteForByte) {
  FlowLogAggregator agg(64, 60, 1);
  const Endpoints e{packet::IpAddress::v4(0xac1f108b), packet::IpAddress::v4(0xac1f1015)};
  using packet::kTcpAck;
  using packet::kTcpSyn;
  const auto syn = parsed(conntrack::testing::tcp_packet(e, true, kTcpSyn, 1, 0, 1000));
  const auto synack =
      parsed(conntrack::testing::tcp_packet(e, false, kTcpSyn | kTcpAck, 1, 2, 1000));
  const auto data = parsed(conntrack::testing::tcp_packet(e, true, kTcpAck, 2, 2, 1000, 100));
  const uint32_t t0 = 1418530010;  // inside the window [1418529960, 1418530020)
  agg.record(0, syn, FlowDirection::egress, FlowAction::accept, t0);
  agg.record(0, synack, FlowDirection::ingress, FlowAction::accept, t0 + 1);
  agg.record(0, data, FlowDirection::egress, FlowAction::accept, t0 + 5);
  agg.record(0, data, FlowDirection::egress, FlowAction::reject, t0 + 6);
  Lines sink;
  EXPECT_EQ(agg.flush(t0 + 9, sink), 0u);  // the window has not ended
  EXPECT_EQ(agg.flush(t0 + 10, sink), 3u);
  const std::vector<std::string> expected = {
      "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 40000 80 6 2 180 "
      "1418530010 1418530015 ACCEPT OK",
      "2 123456789010 eni-1235b8ca123456789 172.31.16.21 172.31.16.139 80 40000 6 1 40 "
      "1418530011 1418530011 ACCEPT OK",
      "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 40000 80 6 1 140 "
      "1418530016 1418530016 REJECT OK",
  };
  EXPECT_EQ(sink.lines, expected);
  EXPECT_EQ(agg.count(), 0u);
}

TEST(FlowLog, Version5FieldsAndTcpFlags) {
  FlowLogAggregator agg(8, 600, 1);
  const Endpoints e = Endpoints::v6();
  using namespace packet;
  agg.record(0, parsed(conntrack::testing::tcp_packet(e, false, kTcpSyn | kTcpAck, 1, 2, 10)),
             FlowDirection::ingress, FlowAction::accept, 600);
  agg.record(0, parsed(conntrack::testing::tcp_packet(e, false, kTcpFin | kTcpAck, 2, 2, 10)),
             FlowDirection::ingress, FlowAction::accept, 601);
  const FlowLogField format[] = {FlowLogField::version,      FlowLogField::vpc_id,
                                 FlowLogField::tcp_flags,    FlowLogField::type,
                                 FlowLogField::pkt_srcaddr,  FlowLogField::flow_direction,
                                 FlowLogField::traffic_path, FlowLogField::az_id};
  Lines sink(format);
  agg.flush(1200, sink);
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines[0], "5 vpc-1 19 IPv6 2001:db8::2 ingress - use1-az1");
}

TEST(FlowLog, ResolverDhcpMetadataAndRouterAreNotLogged) {
  FlowLogAggregator agg(8, 60, 1);
  const auto router = packet::IpAddress::v4(0x0a000001);
  const auto resolver = packet::IpAddress::v4(0x0a000002);
  agg.configure_eni(0, {router, resolver});
  const auto client = packet::IpAddress::v4(0x0a000005);
  struct Case {
    const char* name;
    packet::IpAddress dst;
    uint16_t sport, dport;
    bool logged;
  } cases[] = {
      {"dns_to_resolver", resolver, 40000, 53, false},
      {"dns_to_link_local_resolver", packet::IpAddress::v4(0xa9fea9fd), 40000, 53, false},
      {"dhcp", packet::IpAddress::v4(0xffffffff), 68, 67, false},
      {"metadata", packet::IpAddress::v4(0xa9fea9fe), 40000, 80, false},
      {"router", router, 40000, 7, false},
      {"dns_elsewhere", packet::IpAddress::v4(0x08080808), 40000, 53, true},
      {"other_host", packet::IpAddress::v4(0x0a000009), 40000, 53, true},
  };
  for (const Case& c : cases) {
    packet::IpSpec ip;
    ip.src = client, ip.dst = c.dst;
    const auto meta = parsed(packet::build_udp(ip, {c.sport, c.dport}));
    EXPECT_EQ(agg.excluded(0, meta), !c.logged) << c.name;
  }
}

TEST(FlowLog, FullTableGivesOneSkipdataRecord) {
  FlowLogAggregator agg(1, 60, 1);
  const Endpoints e = Endpoints::v4();
  agg.record(0, parsed(conntrack::testing::udp_packet(e, true)), FlowDirection::egress,
             FlowAction::accept, 60);
  agg.record(0, parsed(conntrack::testing::udp_packet(e, false)), FlowDirection::ingress,
             FlowAction::accept, 61);
  Lines sink;
  ASSERT_EQ(agg.flush(120, sink), 2u);
  EXPECT_EQ(sink.lines[1], "2 123456789010 eni-1235b8ca123456789 - - - - - - - 60 120 - SKIPDATA");
}

class Counting : public Lines {
 public:
  void end_of_window() override { ++windows_ended; }
  int windows_ended = 0;
};

TEST(FlowLog, EachEniHasItsOwnWindowAndWindowZeroIsOff) {
  FlowLogAggregator agg(8, 600, 3);
  agg.set_window(0, 60);
  agg.set_window(2, 0);  // ENI 2: no flow log
  const Endpoints e = Endpoints::v4();
  const auto out = parsed(conntrack::testing::udp_packet(e, true));
  agg.record(0, out, FlowDirection::egress, FlowAction::accept, 600);
  agg.record(1, out, FlowDirection::egress, FlowAction::accept, 600);
  agg.record(2, out, FlowDirection::egress, FlowAction::accept, 600);
  EXPECT_EQ(agg.count(), 2u);
  Counting sink;
  EXPECT_EQ(agg.flush(659, sink), 0u);
  EXPECT_EQ(agg.flush(660, sink), 1u);  // ENI 0's 60 s window; ENI 1's stays open
  EXPECT_EQ(sink.windows_ended, 1);
  EXPECT_EQ(agg.count(), 1u);
  // The record left behind is still found (the index was rebuilt): one record, two packets.
  agg.record(1, out, FlowDirection::egress, FlowAction::accept, 700);
  EXPECT_EQ(agg.count(), 1u);
  EXPECT_EQ(agg.flush(1199, sink), 0u);
  ASSERT_EQ(agg.flush(1200, sink), 1u);
  EXPECT_EQ(sink.windows_ended, 2);
  std::istringstream fields(sink.lines.back());
  std::vector<std::string> words{std::istream_iterator<std::string>(fields), {}};
  ASSERT_EQ(words.size(), 14u);
  EXPECT_EQ(words[8], "2");  // packets
  EXPECT_EQ(words[10] + " " + words[11] + " " + words[12], "600 700 ACCEPT");
}

TEST(FlowLog, ForceFlushesEveryOpenWindow) {
  FlowLogAggregator agg(8, 600, 2);
  const Endpoints e = Endpoints::v4();
  agg.record(1, parsed(conntrack::testing::udp_packet(e, true)), FlowDirection::egress,
             FlowAction::reject, 601);
  Counting sink;
  EXPECT_EQ(agg.flush(602, sink, true), 1u);
  EXPECT_EQ(agg.count(), 0u);
  EXPECT_EQ(agg.flush(602, sink, true), 0u);
  EXPECT_EQ(sink.windows_ended, 1);
}

TEST(FlowLogFormat, ParsesAwsLogFormatText) {
  auto fields = parse_flow_log_format("${version}  ${vpc-id} ${flow-direction}");
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(*fields, (std::vector<FlowLogField>{FlowLogField::version, FlowLogField::vpc_id,
                                                FlowLogField::flow_direction}));
  auto defaults = parse_flow_log_format("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->size(), std::size(kDefaultFormat));
  for (const char* bad : {"${nonsense}", "version", "${version", "$version}", "${}"}) {
    auto parsed_format = parse_flow_log_format(bad);
    ASSERT_FALSE(parsed_format.ok()) << bad;
    EXPECT_EQ(parsed_format.error().code, "flowlog.format") << bad;
  }
}

}  // namespace
}  // namespace openvpc::flowlog
