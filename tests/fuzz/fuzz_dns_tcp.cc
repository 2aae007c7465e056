// fuzz_dns_tcp.cc — random TCP segments from an ENI to the resolver (10.0.0.2:53) through
// LocalServices: the stateless DNS-over-TCP responder (dataplane/services/dns_tcp.h).
//
// Input: byte 0 the TCP flags, bytes 1-4 the sequence number, 5-8 the acknowledgement
// number, 9 the clock step (ms), the rest the segment's payload (so length prefixes and DNS
// messages get explored without the fuzzer having to find valid IP/TCP headers). Checks: no
// crash or sanitizer report; every reply fits the buffer, parses, is TCP from the resolver's
// port 53 to the client's port, and acknowledges no more than the segment carried.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dataplane/services/local_services.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/parser.h"

namespace {

using namespace openvpc;
using dataplane::services::LocalServices;

const packet::MacAddress kEniMac{{0x02, 0, 0, 0, 0, 0x01}};
const packet::MacAddress kRouterMac{{0x02, 0, 0, 0, 0, 0xfe}};

dataplane::services::ServicesConfig make_config() {
  dataplane::services::ServicesConfig config;
  config.router_mac = kRouterMac;
  config.region = "eu-west-1";
  dataplane::services::VpcServicesConfig vpc;
  vpc.id = 7;
  vpc.primary_cidr = program::Cidr::make(packet::IpAddress::v4(0x0a000000), 16);
  vpc.dns_hostnames = true;
  vpc.addresses = {packet::IpAddress::v4(0x0a000105), packet::IpAddress::v4(0x0a000209)};
  config.vpcs.push_back(vpc);
  dataplane::services::EniServicesConfig eni;
  eni.id = 1;
  eni.mac = kEniMac;
  eni.private_addresses = {packet::IpAddress::v4(0x0a000105)};
  eni.subnet = program::Cidr::make(packet::IpAddress::v4(0x0a000100), 24);
  eni.vpc = 7;
  config.enis.push_back(eni);
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static LocalServices services(make_config());
  static uint64_t now_ns = 0;
  static std::vector<uint8_t> out(dataplane::services::kServicesMinReplyCapacity);
  constexpr size_t kFixed = 10;
  if (size < kFixed || size - kFixed > 9000) return 0;
  const uint32_t seq = packet::load_be32(data + 1);
  const uint32_t ack = packet::load_be32(data + 5);
  now_ns += uint64_t(data[9]) * 1'000'000;
  const std::span<const uint8_t> payload(data + kFixed, size - kFixed);
  const auto ip = packet::build_tcp(
      {.src = packet::IpAddress::v4(0x0a000105), .dst = packet::IpAddress::v4(0x0a000002)},
      {.src_port = 40000, .dst_port = 53, .seq = seq, .ack = ack, .flags = data[0]}, payload);
  const auto frame = packet::with_ethernet({.src_mac = kEniMac, .dst_mac = kRouterMac}, ip);
  const packet::PacketMeta meta = packet::parse_frame(frame);
  const size_t written = services.respond(1, frame, meta, out, now_ns);
  if (written > out.size()) std::abort();
  if (written == 0) return 0;
  const packet::PacketMeta reply = packet::parse_frame(std::span(out.data(), written));
  if (!reply.ok() || reply.tuple.protocol != packet::kProtoTcp || reply.tuple.src_port != 53 ||
      reply.tuple.dst_port != 40000) {
    std::abort();
  }
  const uint32_t carried = uint32_t(payload.size()) + ((data[0] & packet::kTcpSyn) ? 1 : 0) +
                           ((data[0] & packet::kTcpFin) ? 1 : 0);
  if ((reply.tcp.flags & packet::kTcpAck) && reply.tcp.ack - seq > carried) std::abort();
  return 0;
}
