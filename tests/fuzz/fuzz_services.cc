// fuzz_services.cc — random frames from an ENI through LocalServices::classify + respond.
//
// The first input byte picks the clock step (so the DNS rate limit is exercised both ways);
// the rest is the frame. Checks: no crash or sanitizer report, a reply never exceeds the
// buffer, and every reply the services write parses without error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dataplane/services/local_services.h"
#include "packet/parser.h"

namespace {

using namespace openvpc;
using dataplane::services::LocalServices;

dataplane::services::ServicesConfig make_config() {
  dataplane::services::ServicesConfig config;
  config.router_mac = packet::MacAddress{{0x02, 0, 0, 0, 0, 0xfe}};
  config.region = "eu-west-1";
  dataplane::services::VpcServicesConfig vpc;
  vpc.id = 7;
  vpc.primary_cidr = program::Cidr::make(packet::IpAddress::v4(0x0a000000), 16);
  vpc.dns_hostnames = true;
  vpc.addresses = {packet::IpAddress::v4(0x0a000105), packet::IpAddress::v4(0x0a000209)};
  vpc.dhcp_options.ntp_servers = {packet::IpAddress::v4(0xa9fea97b)};
  config.vpcs.push_back(vpc);
  dataplane::services::EniServicesConfig eni;
  eni.id = 1;
  eni.mac = packet::MacAddress{{0x02, 0, 0, 0, 0, 0x01}};
  eni.private_addresses = {packet::IpAddress::v4(0x0a000105)};
  eni.subnet = program::Cidr::make(packet::IpAddress::v4(0x0a000100), 24);
  eni.vpc = 7;
  eni.hostname = "fuzz";
  config.enis.push_back(eni);
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static LocalServices services(make_config());
  static uint64_t now_ns = 0;
  static std::vector<uint8_t> out(dataplane::services::kServicesMinReplyCapacity);
  if (size == 0) return 0;
  now_ns += uint64_t(data[0]) * 1'000'000;
  std::vector<uint8_t> frame(data + 1, data + size);
  // Most interesting frames come from the ENI: give the fuzzer its MAC for free.
  if (frame.size() >= 12 && (data[0] & 1)) {
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    std::copy(mac, mac + 6, frame.begin() + 6);
  }
  const packet::PacketMeta meta = packet::parse_frame(frame);
  (void)services.classify(1, meta);
  const size_t written = services.respond(1, frame, meta, out, now_ns);
  if (written > out.size()) std::abort();
  if (written != 0 && !packet::parse_frame(std::span(out.data(), written)).ok()) std::abort();
  return 0;
}
