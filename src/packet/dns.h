// dns.h — DNS (RFC 1035) query view and response writer for the VPC resolver at base+2.
//
// parse_dns_query() reads the header and the first question. Names are decoded into a fixed
// buffer (no allocation) with compression pointers followed at most kDnsMaxPointerHops times
// and only backwards, so a looping or forward-pointing name is an error, never a hang; a name
// longer than 255 bytes on the wire is an error. write_dns_response() answers one question
// with A/AAAA/PTR records, an error rcode (NXDOMAIN, FORMERR, ...) or, when the answers do not
// fit in max_size (512 for plain UDP), an empty answer with the TC bit so the client retries.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "packet/address.h"

namespace openvpc::packet {

inline constexpr uint16_t kDnsPort = 53;
inline constexpr size_t kDnsHeaderSize = 12;
inline constexpr size_t kDnsMaxNameSize = 255;
inline constexpr int kDnsMaxPointerHops = 16;
inline constexpr size_t kDnsUdpMaxSize = 512;

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypePtr = 12;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsClassIn = 1;

enum class DnsError : uint8_t {
  none = 0,
  truncated,       // header, name or question fields past the message
  not_a_query,     // QR bit set
  no_question,     // QDCOUNT 0
  name_too_long,   // more than 255 bytes on the wire
  bad_label_type,  // label type 01 or 10 (RFC 6891 extended labels)
  pointer_loop,    // a pointer that does not point backwards, or too many hops
};

enum class DnsRcode : uint8_t {
  no_error = 0,
  format_error = 1,
  server_failure = 2,
  name_error = 3,  // NXDOMAIN
  not_implemented = 4,
  refused = 5,
};

// A decoded domain name: dotted text, lower case, no trailing dot ("" is the root).
struct DnsName {
  std::array<char, kDnsMaxNameSize + 1> text{};
  uint16_t size = 0;
  std::string_view view() const { return {text.data(), size}; }
};

struct DnsQuery {
  DnsError error = DnsError::none;
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool recursion_desired = false;
  bool checking_disabled = false;
  uint16_t question_count = 0;
  DnsName name;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  uint16_t question_end = 0;  // offset just past the first question

  bool ok() const { return error == DnsError::none; }
};

DnsQuery parse_dns_query(std::span<const uint8_t> udp_payload);

// Decodes the name at offset of message into name; *next gets the offset after the name's
// bytes at its original position. Exposed for tests and for walking answer sections.
DnsError read_dns_name(std::span<const uint8_t> message, size_t offset, DnsName& name,
                       size_t* next);

struct DnsAnswer {
  uint16_t type = kDnsTypeA;  // A (address v4), AAAA (address v6) or PTR (target)
  IpAddress address{};
  std::string_view target{};  // PTR: dotted name
  uint32_t ttl = 60;
};

// Writes a response to query. When the query could not be parsed past its header (any
// error), writes a FORMERR with no question. Answers that would exceed max_size are dropped
// and the TC bit set. Returns the bytes written, 0 if not even the header + question fit.
size_t write_dns_response(uint8_t* out, size_t capacity, const DnsQuery& query, DnsRcode rcode,
                          std::span<const DnsAnswer> answers = {},
                          size_t max_size = kDnsUdpMaxSize);

}  // namespace openvpc::packet
