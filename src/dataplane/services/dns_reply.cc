// dns_reply.cc — the VPC resolver at base+2 / 169.254.169.253, over UDP.
//
// It is authoritative for the VPC's private names only (there is no upstream): with
// enableDnsHostnames, "ip-a-b-c-d.<zone>" has an A record and a.b.c.d's reverse name a PTR
// record for every address of the VPC; any other name is NXDOMAIN; another record type of an
// existing name is an empty NOERROR. enableDnsSupport off: REFUSED. A query that cannot be
// read past its header, or with other than one question: FORMERR. The response comes from the
// address the query was sent to. Without EDNS a response is at most
// dns_udp_size_without_edns bytes (TC set beyond); with an EDNS OPT record the client's size
// (512-4096) applies and the response carries an OPT record of its own (RFC 6891 §7).
#include <algorithm>
#include <optional>

#include "dataplane/services/dns_names.h"
#include "dataplane/services/reply_frame.h"
#include "dataplane/services/service_state.h"
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

struct Lookup {
  DnsRcode rcode = DnsRcode::name_error;
  size_t answer_count = 0;  // 0 or 1
  DnsAnswer answer;
};

// target: room for a PTR record's name, at least kDnsMaxNameSize bytes.
Lookup look_up(const DnsQuery& query, const ReplyContext& c, char* target) {
  Lookup result;
  if (!c.vpc.dns_hostnames) return result;
  const std::string_view name = query.name.view();
  const bool any = query.qtype == kTypeAny;
  result.answer.ttl = c.globals.dns_ttl_seconds;
  if (const auto address = parse_private_hostname(name, c.globals.zone)) {
    if (!c.vpc.has_address(*address)) return result;
    result.rcode = DnsRcode::no_error;
    if (query.qtype == packet::kDnsTypeA || any) {
      result.answer.type = packet::kDnsTypeA;
      result.answer.address = packet::IpAddress::v4(*address);
      result.answer_count = 1;
    }
  } else if (const auto reverse = parse_reverse_name(name)) {
    if (!c.vpc.has_address(*reverse)) return result;
    result.rcode = DnsRcode::no_error;
    if (query.qtype == packet::kDnsTypePtr || any) {
      const size_t size =
          format_private_hostname(*reverse, c.globals.zone, target, packet::kDnsMaxNameSize);
      result.answer.type = packet::kDnsTypePtr;
      result.answer.target = std::string_view(target, size);
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
    case DnsRcode::refused:
      return ServicesEvent::dns_refused;
    case DnsRcode::not_implemented:
      return ServicesEvent::dns_not_implemented;
    default:
      return ServicesEvent::dns_formerr;
  }
}

// Writes the DNS message at out (capacity bytes); returns its size and the rcode sent.
std::pair<size_t, DnsRcode> write_message(const ReplyContext& c, std::span<const uint8_t> message,
                                          uint8_t* out, size_t capacity) {
  const DnsQuery query = packet::parse_dns_query(message);
  char target[packet::kDnsMaxNameSize + 1];
  Lookup lookup;
  std::optional<uint16_t> edns;
  if (!query.ok() || query.question_count != 1) {
    lookup.rcode = DnsRcode::format_error;
  } else if (query.opcode != 0) {
    lookup.rcode = DnsRcode::not_implemented;
  } else if (!c.vpc.dns_support) {
    lookup.rcode = DnsRcode::refused;
  } else {
    lookup = look_up(query, c, target);
  }
  if (query.ok()) edns = edns_size(message, query);
  size_t limit = edns ? *edns : c.globals.dns_udp_size_without_edns;
  limit = std::min(limit, capacity);
  const size_t reserve = edns ? kOptRecordSize : 0;
  if (limit <= reserve) return {0, lookup.rcode};
  size_t size =
      packet::write_dns_response(out, capacity, query, lookup.rcode,
                                 std::span(&lookup.answer, lookup.answer_count), limit - reserve);
  if (size != 0 && edns) {
    uint8_t* opt = out + size;
    std::fill_n(opt, kOptRecordSize, uint8_t{0});
    packet::store_be16(opt + 1, kTypeOpt);
    packet::store_be16(opt + 3, kEdnsMaxSize);
    packet::store_be16(out + 10, 1);  // ARCOUNT
    size += kOptRecordSize;
  }
  return {size, query.ok() ? lookup.rcode : DnsRcode::format_error};
}

}  // namespace

ReplyResult reply_dns(const ReplyContext& c) {
  const std::span<const uint8_t> message = udp_payload(c.frame, c.meta);
  if (message.size() < packet::kDnsHeaderSize) return {0, ServicesEvent::dns_dropped_no_header};
  if (message[2] & 0x80) return {0, ServicesEvent::dns_dropped_response};
  if (c.out.size() <= kUdpPayloadOffset) return {0, ServicesEvent::dropped_reply_too_large};
  uint8_t* out = c.out.data() + kUdpPayloadOffset;
  const auto [size, rcode] = write_message(c, message, out, c.out.size() - kUdpPayloadOffset);
  if (size == 0) return {0, ServicesEvent::dropped_reply_too_large};
  const bool truncated = packet::load_be16(out + 2) & kFlagTruncated;
  UdpReplyAddressing a;
  a.src_mac = c.globals.router_mac;
  a.dst_mac = c.eni.mac;
  a.src_ip = c.meta.tuple.dst;
  a.dst_ip = c.meta.tuple.src;
  a.src_port = packet::kDnsPort;
  a.dst_port = c.meta.tuple.src_port;
  return {write_udp_frame(c.out.data(), a, size), event_of(rcode, truncated)};
}

}  // namespace openvpc::dataplane::services
