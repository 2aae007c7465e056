// dns_message.cc — look-up of the VPC's private names and the response message (see
// dns_message.h for what is answered and how large a response may be).
#include "dataplane/services/dns_message.h"

#include <algorithm>
#include <optional>

#include "dataplane/services/dns_names.h"
#include "packet/bytes.h"
#include "packet/dns.h"

namespace openvpc::dataplane::services {
namespace {

using packet::DnsAnswer;
using packet::DnsQuery;
using packet::DnsRcode;

constexpr uint16_t kTypeOpt = 41;
constexpr uint16_t kTypeAny = 255;
constexpr uint16_t kEdnsMaxSize = 4096;
constexpr size_t kOptRecordSize = 11;
constexpr size_t kTcpMessageMaxSize = 65535;  // the 2-byte length prefix
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagTruncated = 0x0200;

// The requestor's UDP payload size when the query's additional section opens with an OPT
// record (and there are no answer/authority records before it).
std::optional<uint16_t> edns_size(std::span<const uint8_t> message, const DnsQuery& query) {
  const uint8_t* p = message.data();
  if (packet::load_be16(p + 6) != 0 || packet::load_be16(p + 8) != 0 ||
      packet::load_be16(p + 10) == 0) {
    return std::nullopt;
  }
  packet::DnsName name;
  size_t next = 0;
  if (packet::read_dns_name(message, query.question_end, name, &next) != packet::DnsError::none ||
      name.size != 0 || message.size() - next < 10 || packet::load_be16(p + next) != kTypeOpt) {
    return std::nullopt;
  }
  return std::clamp<uint16_t>(packet::load_be16(p + next + 2), uint16_t(packet::kDnsUdpMaxSize),
                              kEdnsMaxSize);
}

// A load balancer has one address per Availability Zone; more than this many are not listed.
constexpr size_t kMaxAnswers = 16;

struct Lookup {
  DnsRcode rcode = DnsRcode::name_error;
  size_t answer_count = 0;  // 0 or 1, up to kMaxAnswers for a named address set
  DnsAnswer answers[kMaxAnswers];
};

// target: room for a PTR record's name, at least kDnsMaxNameSize bytes.
Lookup look_up(const DnsQuery& query, const ReplyContext& c, char* target) {
  Lookup result;
  const std::string_view name = query.name.view();
  const bool any = query.qtype == kTypeAny;
  result.answers[0].ttl = c.globals.dns_ttl_seconds;
  // A load balancer's DNS name is public (Route 53's): it resolves whatever enableDnsHostnames
  // says, to all of its addresses.
  if (const std::vector<uint32_t>* named = c.vpc.addresses_named(name)) {
    result.rcode = DnsRcode::no_error;
    if (query.qtype == packet::kDnsTypeA || any) {
      for (uint32_t address : *named) {
        if (result.answer_count == kMaxAnswers) break;
        DnsAnswer& answer = result.answers[result.answer_count++];
        answer.type = packet::kDnsTypeA;
        answer.address = packet::IpAddress::v4(address);
        answer.ttl = c.globals.dns_ttl_seconds;
      }
    }
    return result;
  }
  if (!c.vpc.dns_hostnames) return result;
  if (const auto address = parse_private_hostname(name, c.globals.zone)) {
    if (!c.vpc.has_address(*address)) return result;
    result.rcode = DnsRcode::no_error;
    if (query.qtype == packet::kDnsTypeA || any) {
      result.answers[0].type = packet::kDnsTypeA;
      result.answers[0].address = packet::IpAddress::v4(*address);
      result.answer_count = 1;
    }
  } else if (const auto public_address = parse_public_hostname(name, c.globals.public_zone)) {
    // Inside the VPC a public name resolves to the private address behind it.
    const auto address = c.vpc.private_of_public(*public_address);
    if (!address) return result;
    result.rcode = DnsRcode::no_error;
    if (query.qtype == packet::kDnsTypeA || any) {
      result.answers[0].type = packet::kDnsTypeA;
      result.answers[0].address = packet::IpAddress::v4(*address);
      result.answer_count = 1;
    }
  } else if (const auto reverse = parse_reverse_name(name)) {
    if (!c.vpc.has_address(*reverse)) return result;
    result.rcode = DnsRcode::no_error;
    if (query.qtype == packet::kDnsTypePtr || any) {
      const size_t size =
          format_private_hostname(*reverse, c.globals.zone, target, packet::kDnsMaxNameSize);
      result.answers[0].type = packet::kDnsTypePtr;
      result.answers[0].target = std::string_view(target, size);
      result.answer_count = size == 0 ? 0 : 1;
    }
  }
  return result;
}

ServicesEvent event_of(DnsRcode rcode, bool truncated) {
  if (truncated) return ServicesEvent::dns_truncated;
  switch (rcode) {
    case DnsRcode::no_error:
      return ServicesEvent::dns_answered;
    case DnsRcode::name_error:
      return ServicesEvent::dns_nxdomain;
    case DnsRcode::not_implemented:
      return ServicesEvent::dns_not_implemented;
    default:
      return ServicesEvent::dns_formerr;
  }
}

}  // namespace

DnsMessageResult answer_dns_message(const ReplyContext& c, std::span<const uint8_t> message,
                                    std::span<uint8_t> out, DnsTransport transport) {
  if (message.size() < packet::kDnsHeaderSize) return {0, ServicesEvent::dns_dropped_no_header};
  if (packet::load_be16(message.data() + 2) & kFlagResponse) {
    return {0, ServicesEvent::dns_dropped_response};
  }
  const DnsQuery query = packet::parse_dns_query(message);
  char target[packet::kDnsMaxNameSize + 1];
  Lookup lookup;
  if (!query.ok() || query.question_count != 1) {
    lookup.rcode = DnsRcode::format_error;
  } else if (query.opcode != 0) {
    lookup.rcode = DnsRcode::not_implemented;
  } else {
    lookup = look_up(query, c, target);
  }
  const std::optional<uint16_t> edns =
      query.ok() ? edns_size(message, query) : std::optional<uint16_t>{};
  size_t limit = transport == DnsTransport::tcp ? kTcpMessageMaxSize
                 : edns                         ? size_t(*edns)
                                                : size_t(c.globals.dns_udp_size_without_edns);
  limit = std::min(limit, out.size());
  const size_t reserve = edns ? kOptRecordSize : 0;
  if (limit <= reserve) return {0, ServicesEvent::dropped_reply_too_large};
  uint8_t* at = out.data();
  size_t size =
      packet::write_dns_response(at, out.size(), query, lookup.rcode,
                                 std::span(lookup.answers, lookup.answer_count), limit - reserve);
  if (size == 0) return {0, ServicesEvent::dropped_reply_too_large};
  if (edns) {
    uint8_t* opt = at + size;
    std::fill_n(opt, kOptRecordSize, uint8_t{0});
    packet::store_be16(opt + 1, kTypeOpt);
    packet::store_be16(opt + 3, kEdnsMaxSize);
    packet::store_be16(at + 10, 1);  // ARCOUNT
    size += kOptRecordSize;
  }
  const bool truncated = packet::load_be16(at + 2) & kFlagTruncated;
  return {size, event_of(query.ok() ? lookup.rcode : DnsRcode::format_error, truncated)};
}

}  // namespace openvpc::dataplane::services
