// dns_test.cc — DNS query parsing (names, compression, malformed) and response writing.
#include "packet/dns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "packet/bytes.h"

namespace openvpc::packet {
namespace {

// Header (id 0x1234, RD, one question) + raw question bytes.
std::vector<uint8_t> query(std::vector<uint8_t> question, uint16_t flags = 0x0100,
                           uint16_t count = 1) {
  std::vector<uint8_t> message = {
      0x12, 0x34, uint8_t(flags >> 8), uint8_t(flags), 0, uint8_t(count), 0, 0, 0, 0, 0, 0};
  for (const uint8_t byte : question) message.push_back(byte);  // (gcc 12 -Warray-bounds)
  return message;
}
std::vector<uint8_t> name_question(const std::string& dotted, uint16_t type) {
  std::vector<uint8_t> q;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    q.push_back(uint8_t(dot - start));
    q.insert(q.end(), dotted.begin() + long(start), dotted.begin() + long(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, uint8_t(type >> 8), uint8_t(type), 0, 1});
  return q;
}

struct QueryCase {
  const char* description;
  std::vector<uint8_t> message;
  DnsError expected;
  const char* name;
};

class DnsQueryTable : public testing::TestWithParam<QueryCase> {};

TEST_P(DnsQueryTable, ParsesOrNamesTheProblem) {
  const QueryCase& c = GetParam();
  const DnsQuery q = parse_dns_query(c.message);
  EXPECT_EQ(q.error, c.expected) << c.description;
  if (c.expected != DnsError::none) return;
  EXPECT_EQ(q.name.view(), c.name) << c.description;
}

std::vector<uint8_t> long_name() {
  std::string name;
  for (int i = 0; i < 5; ++i) name += std::string(60, 'a') + ".";
  name.pop_back();
  return name_question(name, kDnsTypeA);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DnsQueryTable,
    testing::Values(
        QueryCase{"A query, mixed case", query(name_question("Ip-10-0-1-5.EC2.internal", 1)),
                  DnsError::none, "ip-10-0-1-5.ec2.internal"},
        QueryCase{"root name", query({0, 0, 2, 0, 1}), DnsError::none, ""},
        QueryCase{"PTR query", query(name_question("5.1.0.10.in-addr.arpa", kDnsTypePtr)),
                  DnsError::none, "5.1.0.10.in-addr.arpa"},
        QueryCase{"header only", std::vector<uint8_t>(11, 0), DnsError::truncated, ""},
        QueryCase{"a response", query(name_question("a.b", 1), 0x8180), DnsError::not_a_query, ""},
        QueryCase{"no question", query({}, 0x0100, 0), DnsError::no_question, ""},
        QueryCase{"label past the end", query({5, 'a', 'b'}), DnsError::truncated, ""},
        QueryCase{"no type and class", query({1, 'a', 0, 0}), DnsError::truncated, ""},
        QueryCase{"pointer to itself", query({0xc0, 12, 0, 1, 0, 1}), DnsError::pointer_loop, ""},
        QueryCase{"forward pointer", query({0xc0, 14, 1, 'a', 0, 0, 1, 0, 1}),
                  DnsError::pointer_loop, ""},
        QueryCase{"extended label type", query({0x41, 0, 0, 1, 0, 1}), DnsError::bad_label_type,
                  ""},
        QueryCase{"name over 255 bytes", query(long_name()), DnsError::name_too_long, ""}));

TEST(ReadDnsName, FollowsABackwardPointer) {
  // "example.com" at 12, then "www" + pointer to 12 at 25.
  std::vector<uint8_t> message(12, 0);
  const std::vector<uint8_t> names = {7,   'e', 'x', 'a', 'm', 'p', 'l', 'e',  3, 'c',
                                      'o', 'm', 0,   3,   'w', 'w', 'w', 0xc0, 12};
  message.insert(message.end(), names.begin(), names.end());
  DnsName name;
  size_t next = 0;
  ASSERT_EQ(read_dns_name(message, 25, name, &next), DnsError::none);
  EXPECT_EQ(name.view(), "www.example.com");
  EXPECT_EQ(next, message.size());
}

TEST(WriteDnsResponse, AnswersAWithCompressedOwner) {
  const auto message = query(name_question("ip-10-0-1-5.ec2.internal", kDnsTypeA));
  const DnsQuery q = parse_dns_query(message);
  const DnsAnswer answer{.type = kDnsTypeA, .address = *IpAddress::parse("10.0.1.5"), .ttl = 60};
  uint8_t out[512];
  const size_t size = write_dns_response(out, sizeof out, q, DnsRcode::no_error, {&answer, 1});
  ASSERT_EQ(size, message.size() + 16);
  EXPECT_EQ(load_be16(out), 0x1234);
  EXPECT_EQ(load_be16(out + 2), 0x8580);  // QR AA RD RA, no error
  EXPECT_EQ(load_be16(out + 6), 1);
  const uint8_t* rr = out + message.size();
  EXPECT_EQ(load_be16(rr), 0xc00c);
  EXPECT_EQ(load_be16(rr + 2), kDnsTypeA);
  EXPECT_EQ(load_be32(rr + 6), 60u);
  EXPECT_EQ(load_be16(rr + 10), 4);
  EXPECT_EQ(load_be32(rr + 12), 0x0a000105u);
}

TEST(WriteDnsResponse, PtrNxdomainFormerrAndTruncation) {
  const DnsQuery q = parse_dns_query(query(name_question("5.1.0.10.in-addr.arpa", kDnsTypePtr)));
  uint8_t out[512];
  const DnsAnswer ptr{.type = kDnsTypePtr, .target = "ip-10-0-1-5.ec2.internal"};
  size_t size = write_dns_response(out, sizeof out, q, DnsRcode::no_error, {&ptr, 1});
  DnsName target;
  size_t next = 0;
  ASSERT_EQ(read_dns_name({out, size}, size - 26, target, &next), DnsError::none);
  EXPECT_EQ(target.view(), "ip-10-0-1-5.ec2.internal");

  size = write_dns_response(out, sizeof out, q, DnsRcode::name_error);
  EXPECT_EQ(load_be16(out + 2) & 0x000f, 3);
  EXPECT_EQ(load_be16(out + 6), 0);

  const DnsQuery bad = parse_dns_query(query({0xc0, 12, 0, 1, 0, 1}));
  size = write_dns_response(out, sizeof out, bad, DnsRcode::no_error);
  EXPECT_EQ(size, kDnsHeaderSize);
  EXPECT_EQ(load_be16(out + 2) & 0x000f, 1);  // FORMERR
  EXPECT_EQ(load_be16(out + 4), 0);

  std::vector<DnsAnswer> many(
      40, DnsAnswer{.type = kDnsTypeA, .address = *IpAddress::parse("10.0.0.1")});
  size = write_dns_response(out, sizeof out, q, DnsRcode::no_error, many);
  EXPECT_TRUE(load_be16(out + 2) & 0x0200);  // TC
  EXPECT_EQ(load_be16(out + 6), 0);
  EXPECT_LE(size, kDnsUdpMaxSize);
}

}  // namespace
}  // namespace openvpc::packet
