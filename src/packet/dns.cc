// dns.cc — DNS query parsing (bounded name decoding) and response writing.
#include "packet/dns.h"

#include <algorithm>

#include "packet/bytes.h"

namespace openvpc::packet {
namespace {

constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagAuthoritative = 0x0400;
constexpr uint16_t kFlagTruncated = 0x0200;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;
constexpr uint16_t kFlagCheckingDisabled = 0x0010;
constexpr uint16_t kPointerToQuestion = 0xc000 | kDnsHeaderSize;

char lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : char(c);
}

// Writes a dotted name as labels at out; returns bytes written or 0 if it does not fit or a
// label is empty or longer than 63.
size_t write_name(uint8_t* out, size_t capacity, std::string_view name) {
  size_t size = 0;
  while (!name.empty()) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || capacity - size < label.size() + 1) return 0;
    out[size++] = uint8_t(label.size());
    std::copy(label.begin(), label.end(), out + size);
    size += label.size();
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  if (capacity - size < 1) return 0;
  out[size++] = 0;
  return size;
}

// One resource record whose owner is the question name (compressed); 0 if it does not fit.
size_t write_answer(uint8_t* out, size_t capacity, const DnsAnswer& answer, uint16_t qclass) {
  constexpr size_t kFixed = 2 + 2 + 2 + 4 + 2;  // pointer, type, class, ttl, rdlength
  if (capacity < kFixed) return 0;
  size_t rdata_size = 0;
  uint8_t* rdata = out + kFixed;
  if (answer.type == kDnsTypeA) {
    rdata_size = 4;
    if (capacity - kFixed < rdata_size) return 0;
    std::copy_n(answer.address.v4_wire(), 4, rdata);
  } else if (answer.type == kDnsTypeAaaa) {
    rdata_size = 16;
    if (capacity - kFixed < rdata_size) return 0;
    std::copy_n(answer.address.bytes.data(), 16, rdata);
  } else {
    rdata_size = write_name(rdata, capacity - kFixed, answer.target);
    if (rdata_size == 0) return 0;
  }
  store_be16(out, kPointerToQuestion);
  store_be16(out + 2, answer.type);
  store_be16(out + 4, qclass);
  store_be32(out + 6, answer.ttl);
  store_be16(out + 10, uint16_t(rdata_size));
  return kFixed + rdata_size;
}

}  // namespace

DnsError read_dns_name(std::span<const uint8_t> message, size_t offset, DnsName& name,
                       size_t* next) {
  name.size = 0;
  size_t at = offset;
  size_t wire_size = 0;
  int hops = 0;
  bool jumped = false;
  while (true) {
    if (at >= message.size()) return DnsError::truncated;
    const uint8_t length = message[at];
    if ((length & 0xc0) == 0xc0) {
      if (message.size() - at < 2) return DnsError::truncated;
      const size_t target = load_be16(&message[at]) & 0x3fff;
      if (!jumped) *next = at + 2;
      if (target >= at || ++hops > kDnsMaxPointerHops) return DnsError::pointer_loop;
      jumped = true;
      at = target;
      continue;
    }
    if (length & 0xc0) return DnsError::bad_label_type;
    wire_size += size_t(length) + 1;
    if (wire_size > kDnsMaxNameSize) return DnsError::name_too_long;
    if (length == 0) break;
    if (message.size() - at - 1 < length) return DnsError::truncated;
    if (name.size != 0) name.text[name.size++] = '.';
    for (size_t i = 0; i < length; ++i) name.text[name.size++] = lower(message[at + 1 + i]);
    at += 1 + size_t(length);
  }
  if (!jumped) *next = at + 1;
  return DnsError::none;
}

DnsQuery parse_dns_query(std::span<const uint8_t> payload) {
  DnsQuery query;
  if (payload.size() < kDnsHeaderSize) {
    query.error = DnsError::truncated;
    return query;
  }
  const uint8_t* p = payload.data();
  const uint16_t flags = load_be16(p + 2);
  query.id = load_be16(p);
  query.opcode = uint8_t((flags >> 11) & 0x0f);
  query.recursion_desired = flags & kFlagRecursionDesired;
  query.checking_disabled = flags & kFlagCheckingDisabled;
  query.question_count = load_be16(p + 4);
  if (flags & kFlagResponse) {
    query.error = DnsError::not_a_query;
  } else if (query.question_count == 0) {
    query.error = DnsError::no_question;
  } else {
    size_t next = 0;
    query.error = read_dns_name(payload, kDnsHeaderSize, query.name, &next);
    if (query.error == DnsError::none) {
      if (payload.size() - next < 4) {
        query.error = DnsError::truncated;
      } else {
        query.qtype = load_be16(p + next);
        query.qclass = load_be16(p + next + 2);
        query.question_end = uint16_t(next + 4);
      }
    }
  }
  return query;
}

size_t write_dns_response(uint8_t* out, size_t capacity, const DnsQuery& query, DnsRcode rcode,
                          std::span<const DnsAnswer> answers, size_t max_size) {
  const size_t limit = std::min(capacity, max_size);
  if (limit < kDnsHeaderSize) return 0;
  const bool has_question = query.ok();
  uint16_t flags = kFlagResponse | kFlagAuthoritative | kFlagRecursionAvailable |
                   uint16_t(query.opcode << 11) |
                   (has_question ? uint16_t(rcode) : uint16_t(DnsRcode::format_error));
  if (query.recursion_desired) flags |= kFlagRecursionDesired;
  std::fill_n(out, kDnsHeaderSize, 0);
  store_be16(out, query.id);
  size_t size = kDnsHeaderSize;
  if (has_question) {
    const size_t name_size = write_name(out + size, limit - size, query.name.view());
    if (name_size == 0 || limit - size - name_size < 4) return 0;
    size += name_size;
    store_be16(out + size, query.qtype);
    store_be16(out + size + 2, query.qclass);
    size += 4;
    store_be16(out + 4, 1);
  }
  const size_t question_end = size;
  uint16_t answer_count = 0;
  if (has_question && rcode == DnsRcode::no_error) {
    for (const DnsAnswer& answer : answers) {
      const size_t written = write_answer(out + size, limit - size, answer, query.qclass);
      if (written == 0) {  // does not fit: the client must ask again over TCP
        flags |= kFlagTruncated;
        answer_count = 0;
        size = question_end;
        break;
      }
      size += written;
      ++answer_count;
    }
  }
  store_be16(out + 2, flags);
  store_be16(out + 6, answer_count);
  return size;
}

}  // namespace openvpc::packet
