// dns_reply_test.cc — the resolver over UDP: names of the VPC, PTR, NXDOMAIN, FORMERR, the
// VPC's DNS attributes and truncation (the per-ENI limit is the pipeline's link-local allowance).
#include <gtest/gtest.h>

#include <string>

#include "packet/dns.h"
#include "services_test_util.h"

namespace openvpc::dataplane::services::testing {
namespace {

using packet::DnsRcode;

struct DnsCase {
  const char* name;
  DnsQuerySpec query;
  ServicesEvent event;
  DnsRcode rcode;
  uint16_t answer_type;          // 0: no answer
  std::string_view answer_data;  // A: dotted address; PTR: target name
};

const DnsCase kDnsCases[] = {
    {"a_other_instance", {}, ServicesEvent::dns_answered, DnsRcode::no_error, 1, "10.0.2.9"},
    {"a_own",
     {.name = "ip-10-0-1-5.eu-west-1.compute.internal"},
     ServicesEvent::dns_answered,
     DnsRcode::no_error,
     1,
     "10.0.1.5"},
    {"a_upper_case",
     {.name = "IP-10-0-2-9.EU-WEST-1.compute.internal"},
     ServicesEvent::dns_answered,
     DnsRcode::no_error,
     1,
     "10.0.2.9"},
    {"a_via_link_local",
     {.dst = kResolverLinkLocal},
     ServicesEvent::dns_answered,
     DnsRcode::no_error,
     1,
     "10.0.2.9"},
    {"a_via_subnet_base2",
     {.dst = IpAddress::v4(0x0a000102)},
     ServicesEvent::dns_answered,
     DnsRcode::no_error,
     1,
     "10.0.2.9"},
    {"ptr",
     {.name = "9.2.0.10.in-addr.arpa", .qtype = 12},
     ServicesEvent::dns_answered,
     DnsRcode::no_error,
     12,
     "ip-10-0-2-9.eu-west-1.compute.internal"},
    {"aaaa_of_existing_name",
     {.qtype = 28},
     ServicesEvent::dns_answered,
     DnsRcode::no_error,
     0,
     ""},
    {"address_not_in_vpc",
     {.name = "ip-10-0-3-3.eu-west-1.compute.internal"},
     ServicesEvent::dns_nxdomain,
     DnsRcode::name_error,
     0,
     ""},
    {"ptr_not_in_vpc",
     {.name = "3.3.0.10.in-addr.arpa", .qtype = 12},
     ServicesEvent::dns_nxdomain,
     DnsRcode::name_error,
     0,
     ""},
    {"leading_zero",
     {.name = "ip-10-0-02-9.eu-west-1.compute.internal"},
     ServicesEvent::dns_nxdomain,
     DnsRcode::name_error,
     0,
     ""},
    {"other_region",
     {.name = "ip-10-0-2-9.us-west-2.compute.internal"},
     ServicesEvent::dns_nxdomain,
     DnsRcode::name_error,
     0,
     ""},
    {"internet_name",
     {.name = "example.com"},
     ServicesEvent::dns_nxdomain,
     DnsRcode::name_error,
     0,
     ""},
};

class DnsReplyTest : public ::testing::TestWithParam<DnsCase> {};

TEST_P(DnsReplyTest, AnswersFromTheVpcsNames) {
  const DnsCase& c = GetParam();
  LocalServices services(test_config());
  const std::vector<uint8_t> frame = dns_frame(c.query);
  ASSERT_EQ(services.classify(kEniId, packet::parse_frame(frame)), ServiceKind::dns);
  const Reply reply = respond(services, frame);
  EXPECT_EQ(services.counters()[c.event], 1u) << to_string(c.event);
  ASSERT_FALSE(reply.frame.empty());
  ASSERT_TRUE(reply.meta.ok());
  EXPECT_EQ(reply.meta.eth_src, kRouterMac);
  EXPECT_EQ(reply.meta.eth_dst, kEniMac);
  EXPECT_EQ(reply.meta.tuple.src, c.query.dst);  // from the address the query went to
  EXPECT_EQ(reply.meta.tuple.dst, kEniIp);
  EXPECT_EQ(reply.meta.tuple.src_port, 53);
  EXPECT_EQ(reply.meta.tuple.dst_port, 40000);
  const std::span<const uint8_t> message = reply.udp_payload();
  ASSERT_GE(message.size(), packet::kDnsHeaderSize);
  EXPECT_EQ(packet::load_be16(&message[0]), c.query.id);
  const uint16_t flags = packet::load_be16(&message[2]);
  EXPECT_EQ(flags & 0x8000, 0x8000);  // response
  EXPECT_EQ(flags & 0x0200, 0);       // not truncated
  EXPECT_EQ(DnsRcode(flags & 0x0f), c.rcode);
  EXPECT_EQ(packet::load_be16(&message[4]), 1);  // question echoed
  ASSERT_EQ(packet::load_be16(&message[6]), c.answer_type == 0 ? 0 : 1);
  if (c.answer_type == 0) return;
  // The answer follows the question: pointer (2), type, class, ttl, rdlength, rdata.
  const packet::DnsQuery question = packet::parse_dns_query(dns_payload(c.query));
  const size_t at = question.question_end;
  EXPECT_EQ(packet::load_be16(&message[at]), 0xc00c);
  EXPECT_EQ(packet::load_be16(&message[at + 2]), c.answer_type);
  EXPECT_EQ(packet::load_be32(&message[at + 6]), 60u);
  if (c.answer_type == 1) {
    EXPECT_EQ(IpAddress::v4_from_wire(&message[at + 12]).to_string(), c.answer_data);
  } else {
    packet::DnsName target;
    size_t next = 0;
    ASSERT_EQ(packet::read_dns_name(message, at + 12, target, &next), packet::DnsError::none);
    EXPECT_EQ(target.view(), c.answer_data);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, DnsReplyTest, ::testing::ValuesIn(kDnsCases),
                         [](const auto& info) { return std::string(info.param.name); });

uint16_t rcode_of(const Reply& reply) {
  return packet::load_be16(&reply.udp_payload()[2]) & 0x0f;
}

// enableDnsHostnames off: the resolver still answers, but owns no names (forward or reverse).
TEST(DnsReply, HostnamesOffMeansNxdomain) {
  ServicesConfig config = test_config();
  config.vpcs[0].dns_hostnames = false;
  LocalServices services(config);
  for (const DnsQuerySpec& query :
       {DnsQuerySpec{}, DnsQuerySpec{.name = "9.2.0.10.in-addr.arpa", .qtype = 12}}) {
    const Reply reply = respond(services, dns_frame(query));
    ASSERT_FALSE(reply.frame.empty()) << query.name;
    EXPECT_EQ(rcode_of(reply), uint16_t(DnsRcode::name_error)) << query.name;
  }
  EXPECT_EQ(services.counters()[ServicesEvent::dns_nxdomain], 2u);
}

// A load balancer's DNS name resolves to all of its addresses (one A record each), even with
// enableDnsHostnames off; another VPC's load balancer is not known here.
TEST(DnsReply, LoadBalancerNameHasAnAddressPerInterface) {
  ServicesConfig config = test_config();
  config.vpcs[0].dns_hostnames = false;
  config.vpcs[0].named_addresses = {
      {"front-0123456789abcdef.elb.eu-west-1.amazonaws.com",
       {IpAddress::v4(0x0a000132), IpAddress::v4(0x0a000232)}}};  // 10.0.1.50, 10.0.2.50
  LocalServices services(config);
  const DnsQuerySpec query{.name = "FRONT-0123456789abcdef.elb.eu-west-1.amazonaws.com"};
  const Reply reply = respond(services, dns_frame(query));
  ASSERT_FALSE(reply.frame.empty());
  const std::span<const uint8_t> message = reply.udp_payload();
  EXPECT_EQ(rcode_of(reply), uint16_t(DnsRcode::no_error));
  ASSERT_EQ(packet::load_be16(&message[6]), 2);  // two answers
  size_t at = packet::parse_dns_query(dns_payload(query)).question_end;
  for (const char* expected : {"10.0.1.50", "10.0.2.50"}) {
    EXPECT_EQ(packet::load_be16(&message[at + 2]), 1);  // A
    EXPECT_EQ(packet::load_be16(&message[at + 10]), 4);
    EXPECT_EQ(IpAddress::v4_from_wire(&message[at + 12]).to_string(), expected);
    at += 16;
  }
  // AAAA of the name: NOERROR without answers; another name under elb: NXDOMAIN.
  const Reply aaaa = respond(services, dns_frame({.name = query.name, .qtype = 28}));
  EXPECT_EQ(rcode_of(aaaa), uint16_t(DnsRcode::no_error));
  EXPECT_EQ(packet::load_be16(&aaaa.udp_payload()[6]), 0);
  const Reply other =
      respond(services, dns_frame({.name = "back-0123456789abcdef.elb.eu-west-1.amazonaws.com"}));
  EXPECT_EQ(rcode_of(other), uint16_t(DnsRcode::name_error));
}

// enableDnsSupport off: the resolver is not there at all (no answer, not even REFUSED), at
// every one of its addresses; the drop is counted.
TEST(DnsReply, DnsSupportOffMeansNoAnswer) {
  ServicesConfig config = test_config();
  config.vpcs[0].dns_support = false;
  LocalServices services(config);
  for (const IpAddress& dst : {kVpcDnsIp, kResolverLinkLocal, IpAddress::v4(0x0a000102)}) {
    EXPECT_TRUE(respond(services, dns_frame({.dst = dst})).frame.empty()) << dst.to_string();
  }
  EXPECT_EQ(services.counters()[ServicesEvent::dns_dropped_dns_support_off], 3u);
  EXPECT_EQ(services.counters().total(), 3u);
}

struct MalformedCase {
  const char* name;
  std::vector<uint8_t> payload;
  ServicesEvent event;
};

const MalformedCase kMalformedCases[] = {
    {"empty", {}, ServicesEvent::dns_dropped_no_header},
    {"short_header", {0x12, 0x34, 0x01, 0x00, 0x00}, ServicesEvent::dns_dropped_no_header},
    {"no_question", {0x12, 0x34, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ServicesEvent::dns_formerr},
    {"name_cut_short",
     {0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'a', 'b'},
     ServicesEvent::dns_formerr},
    {"pointer_loop",
     {0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1},
     ServicesEvent::dns_formerr},
    {"two_questions",
     {0x12, 0x34, 0x01, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},
     ServicesEvent::dns_formerr},
    {"response_bit",
     {0x12, 0x34, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},
     ServicesEvent::dns_dropped_response},
    {"status_opcode",
     {0x12, 0x34, 0x10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},
     ServicesEvent::dns_not_implemented},
};

class DnsMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(DnsMalformedTest, AnswersFormerrOrDrops) {
  const MalformedCase& c = GetParam();
  LocalServices services(test_config());
  const Reply reply = respond(services, udp_frame(kVpcDnsIp, 40000, 53, c.payload));
  EXPECT_EQ(services.counters()[c.event], 1u) << to_string(c.event);
  const bool dropped = c.event == ServicesEvent::dns_dropped_no_header ||
                       c.event == ServicesEvent::dns_dropped_response;
  ASSERT_EQ(reply.frame.empty(), dropped);
  if (dropped) return;
  EXPECT_EQ(packet::load_be16(&reply.udp_payload()[0]), 0x1234);
  const uint16_t expected = c.event == ServicesEvent::dns_formerr
                                ? uint16_t(DnsRcode::format_error)
                                : uint16_t(DnsRcode::not_implemented);
  EXPECT_EQ(rcode_of(reply), expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, DnsMalformedTest, ::testing::ValuesIn(kMalformedCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DnsReply, TruncatedWithoutEdnsFullWithIt) {
  ServicesConfig config = test_config();
  config.dns_udp_size_without_edns = 64;  // the PTR answer (> 64 bytes) no longer fits
  LocalServices services(config);
  const DnsQuerySpec ptr{.name = "9.2.0.10.in-addr.arpa", .qtype = 12};
  const Reply cut = respond(services, dns_frame(ptr));
  ASSERT_FALSE(cut.frame.empty());
  const std::span<const uint8_t> cut_message = cut.udp_payload();
  EXPECT_EQ(packet::load_be16(&cut_message[2]) & 0x0200, 0x0200);
  EXPECT_EQ(packet::load_be16(&cut_message[6]), 0);
  EXPECT_LE(cut_message.size(), 64u);
  EXPECT_EQ(services.counters()[ServicesEvent::dns_truncated], 1u);

  DnsQuerySpec with_edns = ptr;
  with_edns.edns_size = 1232;
  const Reply full = respond(services, dns_frame(with_edns));
  ASSERT_FALSE(full.frame.empty());
  const std::span<const uint8_t> message = full.udp_payload();
  EXPECT_EQ(packet::load_be16(&message[2]) & 0x0200, 0);
  EXPECT_EQ(packet::load_be16(&message[6]), 1);   // the answer
  EXPECT_EQ(packet::load_be16(&message[10]), 1);  // our OPT record
  const std::vector<uint8_t> opt(message.end() - 11, message.end());
  EXPECT_EQ(opt, (std::vector<uint8_t>{0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0}));
}

// EDNS sizes below 512 mean 512 (RFC 6891 §6.2.5); above 4096 mean 4096.
TEST(DnsReply, EdnsSizeIsClampedTo512Through4096) {
  ServicesConfig config = test_config();
  config.dns_udp_size_without_edns = 64;
  LocalServices services(config);
  const Reply reply = respond(
      services, dns_frame({.name = "9.2.0.10.in-addr.arpa", .qtype = 12, .edns_size = 100}));
  ASSERT_FALSE(reply.frame.empty());
  const std::span<const uint8_t> message = reply.udp_payload();
  EXPECT_GT(message.size(), 64u);
  EXPECT_EQ(packet::load_be16(&message[2]) & 0x0200, 0);
  EXPECT_EQ(packet::load_be16(&message[6]), 1);
}

// An answer that cannot fit is left out and TC set, the question kept. One record never
// makes a response over 512 bytes (a name is at most 255), so the plain-UDP size is lowered
// to 260 here: a region of four 50-letter labels makes the A query's question 250 bytes and
// the response with its answer 266.
TEST(DnsReply, LongNameOverTheLimitIsTruncated) {
  ServicesConfig config = test_config();
  config.dns_udp_size_without_edns = 260;
  const std::string label(50, 'r');
  config.region = label + "." + label + "." + label + "." + label;
  LocalServices services(config);
  const std::string name = "ip-10-0-2-9." + config.region + ".compute.internal";
  const Reply reply = respond(services, dns_frame({.name = name}));
  ASSERT_FALSE(reply.frame.empty());
  const std::span<const uint8_t> message = reply.udp_payload();
  EXPECT_EQ(message.size(), 250u);
  EXPECT_EQ(packet::load_be16(&message[2]) & 0x0200, 0x0200);
  EXPECT_EQ(packet::load_be16(&message[4]), 1);  // the question is kept
  EXPECT_EQ(packet::load_be16(&message[6]), 0);
  DnsQuerySpec with_edns{.name = name, .edns_size = 512};
  const Reply full = respond(services, dns_frame(with_edns));
  ASSERT_FALSE(full.frame.empty());
  EXPECT_EQ(packet::load_be16(&full.udp_payload()[6]), 1);
  EXPECT_EQ(services.counters()[ServicesEvent::dns_truncated], 1u);
}

}  // namespace
}  // namespace openvpc::dataplane::services::testing
