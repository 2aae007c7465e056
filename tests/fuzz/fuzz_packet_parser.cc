// fuzz_packet_parser.cc — libFuzzer target for src/packet's untrusted-input readers: both
// parser entry points, the DHCP and DNS views, and the writers that quote or answer what they
// read. Besides ASan/UBSan findings it checks the parser's invariants: every offset lies
// within the buffer, layers are ordered, and the error has a name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "packet/builder.h"
#include "packet/dhcp.h"
#include "packet/dns.h"
#include "packet/fast_parse.h"
#include "packet/parser.h"

namespace {

using namespace openvpc::packet;

void require(bool condition) {
  if (!condition) std::abort();
}

void check_meta(const PacketMeta& meta, size_t size) {
  require(size_t(meta.error) < kParseErrorCount);
  require(to_string(meta.error) != "unknown");
  require(meta.size == (size < 65535 ? size : 65535));
  require(size_t(meta.l3_offset) + meta.l3_size <= meta.size);
  if (meta.l4_offset != 0) {
    require(meta.l4_offset >= meta.l3_offset);
    require(meta.payload_offset >= meta.l4_offset);
    require(meta.payload_offset <= meta.size);
    require(meta.l4_offset <= size_t(meta.l3_offset) + meta.l3_size);
  }
  if (meta.ok() && meta.tuple.protocol == kProtoTcp && meta.l4_offset != 0) {
    require(size_t(meta.payload_offset) + meta.tcp.payload_size <= meta.size);
  }
  if (meta.ok() && meta.ip_version != 0) {
    require(meta.tuple.ip_version == meta.ip_version);
    require(meta.tuple.src.is_v4() == (meta.ip_version == 4) || meta.ip_version == 6);
  }
  if (meta.geneve.present) {
    require(size_t(meta.geneve.header_offset) + 8 + meta.geneve.options_size ==
            meta.geneve.inner_offset);
    require(meta.geneve.inner_offset <= meta.size);
    require(meta.l3_offset == 0 || meta.l3_offset == meta.geneve.inner_offset);
  }
  require(meta.geneve.inner_error == ParseError::none ||
          meta.error == ParseError::inner_packet_malformed);
  if (meta.icmp_inner.present) {
    require(meta.icmp_inner.l3_offset < meta.size);
    require(meta.icmp_inner.l4_offset == 0 || meta.icmp_inner.l4_offset + 8u <= meta.size);
  }
}

void check_dns(std::span<const uint8_t> data) {
  const DnsQuery query = parse_dns_query(data);
  require(query.name.size <= kDnsMaxNameSize);
  if (query.ok()) require(query.question_end <= data.size());
  static uint8_t out[kDnsUdpMaxSize];
  const DnsAnswer answer{.type = kDnsTypeA, .address = IpAddress::v4(0x0a000001)};
  const size_t size = write_dns_response(out, sizeof out, query, DnsRcode::no_error, {&answer, 1});
  require(size <= sizeof out);
  if (size != 0) require(parse_dns_query({out, size}).error == DnsError::not_a_query);
}

void check_dhcp(std::span<const uint8_t> data) {
  const DhcpMessage message = parse_dhcp(data);
  if (!message.parameter_list.empty()) {
    require(message.parameter_list.data() >= data.data());
    require(message.parameter_list.data() + message.parameter_list.size() <=
            data.data() + data.size());
  }
}

}  // namespace

// The fields of a fast parse (fast_parse.h) that the data plane reads.
void require_same_fast_fields(const PacketMeta& a, const PacketMeta& b) {
  require(a.l3_offset == b.l3_offset && a.l4_offset == b.l4_offset);
  require(a.payload_offset == b.payload_offset && a.l3_size == b.l3_size);
  require(a.tuple == b.tuple && a.ttl == b.ttl && a.tos == b.tos);
  require(a.eth_src == b.eth_src && a.eth_dst == b.eth_dst);
  require(a.fragment.dont_fragment == b.fragment.dont_fragment);
  require(a.fragment.id == b.fragment.id && a.fragment.is_fragment == b.fragment.is_fragment);
  require(a.tcp.seq == b.tcp.seq && a.tcp.ack == b.tcp.ack);
  require(a.tcp.flags == b.tcp.flags && a.tcp.window == b.tcp.window);
  require(a.tcp.payload_size == b.tcp.payload_size);
  require(a.geneve.present == b.geneve.present);
}

// The data plane's shortcut must agree with the full parser on every frame it accepts, and its
// reparse into a reused record (fast_parse_frame_again: a batch slot holding the previous
// input's result) with a fresh fast parse, accepting and refusing alike.
void check_fast_parse(std::span<const uint8_t> bytes, const PacketMeta& full) {
  static PacketMeta reused;  // the last accepted fast parse, of whichever earlier input
  static bool primed = false;
  PacketMeta fast;
  const bool accepted = fast_parse_frame(bytes, fast);
  if (primed) {
    primed = fast_parse_frame_again(bytes, reused);
    require(primed == accepted);
    if (accepted) require_same_fast_fields(reused, fast);
  }
  if (!accepted) return;
  if (!primed) {
    reused = fast;
    primed = true;
  }
  require(full.ok());
  require(!fast.fragment.is_fragment);
  require_same_fast_fields(fast, full);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  const PacketMeta frame = parse_frame(bytes);
  check_meta(frame, size);
  require(!frame.geneve.present);  // only the underlay decapsulates (issue 16)
  check_fast_parse(bytes, frame);
  const PacketMeta ip = parse_ip(bytes);
  check_meta(ip, size);
  check_dns(bytes);
  check_dhcp(bytes);
  static uint8_t error_out[1600];
  const IpAddress from = ip.ip_version == 6 ? IpAddress{} : IpAddress::v4(0x0a000001);
  const size_t written = write_icmp_error(error_out, sizeof error_out, from, 3, 4, 0, bytes);
  require(written <= sizeof error_out);
  if (written != 0) require(parse_ip({error_out, written}).ok());
  return 0;
}
