// responder_main.cc — openvpc-services-responder: one ENI's TAP answered by LocalServices.
//
// A test tool (tests/e2e/test_services_dhcp.py): creates the TAP named on the command line
// with the ENI's MAC, prints "ready" once it exists, and answers ARP, DHCP, ICMP echo and DNS
// from it until SIGTERM or SIGINT, then prints the non-zero counters. Moves nothing: the test
// moves the TAP into an instance namespace (the descriptor keeps working).
//   openvpc-services-responder --tap NAME --mac MAC --ip ADDRESS --subnet CIDR
//       --vpc-cidr CIDR [--region REGION] [--vpc-address ADDRESS]...
#include <poll.h>
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/services/local_services.h"
#include "io/tap_port.h"
#include "packet/parser.h"

namespace {

using namespace openvpc;
using dataplane::services::LocalServices;

volatile sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

struct Options {
  std::string tap;
  dataplane::services::ServicesConfig config;
};

bool parse_options(int argc, char** argv, Options& options) {
  dataplane::services::VpcServicesConfig vpc;
  vpc.id = 1;
  vpc.dns_hostnames = true;
  dataplane::services::EniServicesConfig eni;
  eni.id = 1;
  eni.vpc = 1;
  options.config.router_mac = packet::MacAddress{{0x02, 0x00, 0x5e, 0x00, 0x00, 0xfe}};
  bool have_mac = false, have_subnet = false, have_vpc = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--tap") {
      options.tap = value;
    } else if (flag == "--mac") {
      const auto mac = program::parse_mac(value);
      have_mac = mac.has_value();
      if (mac) eni.mac = *mac;
    } else if (flag == "--ip" || flag == "--vpc-address") {
      const auto address = program::parse_address(value);
      if (!address) return false;
      if (flag == "--ip") eni.private_addresses.push_back(*address);
      vpc.addresses.push_back(*address);
    } else if (flag == "--subnet" || flag == "--vpc-cidr") {
      const auto cidr = program::Cidr::parse(value);
      if (!cidr) return false;
      (flag == "--subnet" ? eni.subnet : vpc.primary_cidr) = *cidr;
      (flag == "--subnet" ? have_subnet : have_vpc) = true;
    } else if (flag == "--region") {
      options.config.region = value;
    } else {
      return false;
    }
  }
  options.config.vpcs.push_back(vpc);
  options.config.enis.push_back(eni);
  return !options.tap.empty() && have_mac && have_subnet && have_vpc &&
         !eni.private_addresses.empty();
}

void serve(io::TapPort& tap, LocalServices& services) {
  constexpr size_t kBatch = 16;
  std::vector<std::vector<uint8_t>> buffers(kBatch, std::vector<uint8_t>(io::kMaxFrameSize));
  std::vector<uint8_t> reply_buffer(io::kMaxFrameSize);
  io::Frame frames[kBatch];
  while (!g_stop) {
    pollfd p{tap.fd(), POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    for (size_t i = 0; i < kBatch; ++i) frames[i] = {buffers[i].data(), 0, io::kMaxFrameSize, {}};
    const size_t received = tap.receive(frames);
    for (size_t i = 0; i < received; ++i) {
      const std::span<const uint8_t> frame(frames[i].data, frames[i].size);
      const packet::PacketMeta meta = packet::parse_frame(frame);
      const size_t size = services.respond(1, frame, meta, reply_buffer, monotonic_ns());
      if (size == 0) continue;
      io::Frame reply{reply_buffer.data(), uint32_t(size), uint32_t(reply_buffer.size()), {}};
      tap.send(std::span(&reply, 1));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: %s --tap NAME --mac MAC --ip ADDRESS --subnet CIDR --vpc-cidr CIDR "
                 "[--region REGION] [--vpc-address ADDRESS]...\n",
                 argv[0]);
    return 2;
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  io::TapPortConfig tap_config;
  tap_config.name = options.tap;
  tap_config.mac = options.config.enis[0].mac.bytes;
  tap_config.offloads = false;
  auto tap = io::TapPort::create(tap_config);
  if (!tap.ok()) {
    std::fprintf(stderr, "tap: %s\n", tap.error().message.c_str());
    return 1;
  }
  LocalServices services(options.config);
  std::printf("ready %s\n", tap->name().c_str());
  std::fflush(stdout);
  serve(*tap, services);
  for (size_t i = 0; i < dataplane::services::kServicesEventCount; ++i) {
    const auto event = dataplane::services::ServicesEvent(i);
    if (services.counters()[event] != 0) {
      std::printf("%s %llu\n", std::string(to_string(event)).c_str(),
                  static_cast<unsigned long long>(services.counters()[event]));
    }
  }
  return 0;
}
