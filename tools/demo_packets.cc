// demo_packets.cc — demo packets built with src/packet, written as a pcap by io::PcapWriter.
#include "demo_packets.h"

#include <chrono>

#include "io/pcap_writer.h"
#include "packet/builder.h"
#include "packet/dhcp.h"
#include "packet/dns.h"

namespace openvpc::tools {
namespace {

using namespace openvpc::packet;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
MacAddress mac(const char* text) {
  return *MacAddress::parse(text);
}

const FrameSpec kUnderlayFrame{.src_mac = mac("02:00:7f:00:01:01"),
                               .dst_mac = mac("02:00:7f:00:01:02")};
const FrameSpec kInstanceFrame{.src_mac = mac("02:00:0a:00:01:05"),
                               .dst_mac = mac("02:00:0a:00:01:01")};

constexpr uint32_t kVni = 1001;
constexpr uint32_t kSourceEni = 0x11;
constexpr uint32_t kDestinationEni = 0x22;

IpSpec tenant_ip() {
  return IpSpec{.src = ip("10.0.1.5"), .dst = ip("10.0.2.7"), .dont_fragment = true};
}

TcpSpec syn() {
  return TcpSpec{.src_port = 40000,
                 .dst_port = 443,
                 .seq = 1000,
                 .mss = 8961,
                 .window_scale = 7,
                 .sack_permitted = true,
                 .timestamps = std::pair<uint32_t, uint32_t>{123456, 0}};
}

nlohmann::json tuple_json(const char* protocol, uint16_t src_port, uint16_t dst_port) {
  return {{"inner_src", "10.0.1.5"},
          {"inner_dst", "10.0.2.7"},
          {"protocol", protocol},
          {"src_port", src_port},
          {"dst_port", dst_port}};
}

DemoPacket geneve_packet(const char* what, std::vector<uint8_t> inner, nlohmann::json built) {
  FiveTuple tuple;
  tuple.src = ip("10.0.1.5");
  tuple.dst = ip("10.0.2.7");
  tuple.src_port = built["src_port"];
  tuple.dst_port = built["dst_port"];
  tuple.protocol = built["protocol"] == "tcp" ? kProtoTcp : kProtoUdp;
  const GeneveEncap encap{.outer_src_v4 = 0x7f000101,
                          .outer_dst_v4 = 0x7f000102,
                          .src_port = flow_source_port(tuple),
                          .vni = kVni,
                          .source_eni = kSourceEni,
                          .destination_eni = kDestinationEni};
  built["kind"] = "geneve";
  built["vni"] = kVni;
  built["source_eni"] = kSourceEni;
  built["destination_eni"] = kDestinationEni;
  built["option_class"] = kVpcOptionClass;
  built["option_type"] = kVpcOptionType;
  built["outer_src"] = "127.0.1.1";
  built["outer_dst"] = "127.0.1.2";
  built["outer_src_port"] = encap.src_port;
  const std::string description =
      std::string("geneve vni ") + std::to_string(kVni) + ", eni 0x11 -> 0x22, inner " + what;
  return DemoPacket{description, with_ethernet(kUnderlayFrame, build_geneve(encap, inner)), built};
}

}  // namespace

std::vector<DemoPacket> demo_packets() {
  const std::vector<uint8_t> hello = {'h', 'e', 'l', 'l', 'o'};
  // A DNS query: id 0x1234, RD, one question "ip-10-0-2-7.ec2.internal" A IN.
  std::vector<uint8_t> dns_query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 11};
  for (const char c : std::string("ip-10-0-2-7\x03"
                                  "ec2\x08"
                                  "internal"))
    dns_query.push_back(uint8_t(c));
  for (const uint8_t byte : {0, 0, 1, 0, 1}) dns_query.push_back(byte);
  std::vector<DemoPacket> packets;
  packets.push_back(geneve_packet("tcp 10.0.1.5:40000 -> 10.0.2.7:443 SYN",
                                  build_tcp(tenant_ip(), syn()), tuple_json("tcp", 40000, 443)));
  packets.push_back(
      geneve_packet("udp 10.0.1.5:5353 -> 10.0.2.7:53 DNS query ip-10-0-2-7.ec2.internal A",
                    build_udp(tenant_ip(), UdpSpec{.src_port = 5353, .dst_port = 53}, dns_query),
                    tuple_json("udp", 5353, 53)));
  nlohmann::json syn_built = tuple_json("tcp", 40001, 443);
  syn_built["kind"] = "tcp";
  syn_built["mss"] = 8961;
  syn_built["window_scale"] = 7;
  TcpSpec plain_syn = syn();
  plain_syn.src_port = 40001;
  packets.push_back(
      DemoPacket{"tcp 10.0.1.5:40001 -> 10.0.2.7:443 SYN mss 8961 wscale 7 "
                 "sack_perm ts",
                 with_ethernet(kInstanceFrame, build_tcp(tenant_ip(), plain_syn)), syn_built});
  nlohmann::json echo_built = {{"kind", "icmp"},
                               {"inner_src", "10.0.1.5"},
                               {"inner_dst", "10.0.2.7"},
                               {"id", 77},
                               {"sequence", 1}};
  packets.push_back(DemoPacket{
      "icmp echo request 10.0.1.5 -> 10.0.2.7 id 77 seq 1",
      with_ethernet(kInstanceFrame,
                    build_icmp_echo(tenant_ip(), IcmpEchoSpec{.id = 77, .sequence = 1}, hello)),
      echo_built});
  return packets;
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> sample_packets() {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> samples;
  int index = 0;
  for (const DemoPacket& packet : demo_packets()) {
    samples.emplace_back("demo_frame_" + std::to_string(index++), packet.frame);
  }
  const IpSpec v6{.src = ip("2001:db8:1::5"), .dst = ip("2001:db8:2::7")};
  samples.emplace_back("tcp_v6", build_tcp(v6, syn()));
  samples.emplace_back("echo_v6", build_icmp_echo(v6, IcmpEchoSpec{.id = 9}));
  samples.emplace_back("arp_request",
                       build_arp_request(mac("02:00:00:00:00:09"), ip("10.0.0.9"), ip("10.0.0.1")));
  uint8_t buffer[1600];
  const auto offending = build_tcp(tenant_ip(), syn());
  size_t size = write_icmp_error(buffer, sizeof buffer, ip("10.0.1.1"), 3, 4, 1500, offending);
  samples.emplace_back("icmp_frag_needed", std::vector<uint8_t>(buffer, buffer + size));
  const GeneveEncap encap{.outer_src_v4 = 0x7f000101,
                          .outer_dst_v4 = 0x7f000102,
                          .src_port = 50000,
                          .vni = 7,
                          .source_eni = 1,
                          .destination_eni = 2,
                          .protocol_type = kEthertypeIpv6};
  samples.emplace_back("geneve_v6", build_geneve(encap, build_tcp(v6, syn())));
  const DhcpReplySpec offer{.xid = 1,
                            .your_ip = ip("10.0.1.5"),
                            .server_ip = ip("10.0.1.1"),
                            .subnet_mask = ip("255.255.255.0"),
                            .router = ip("10.0.1.1")};
  size = write_dhcp_reply(buffer, sizeof buffer, offer);
  buffer[0] = 1;  // as a client request would start
  samples.emplace_back("dhcp_message", std::vector<uint8_t>(buffer, buffer + size));
  const std::vector<uint8_t> dns_query = {0x12, 0x34, 1,   0,   0,   1,   0, 0,   0,   0,
                                          0,    0,    3,   'w', 'w', 'w', 7, 'e', 'x', 'a',
                                          'm',  'p',  'l', 'e', 0,   0,   1, 0,   1};
  samples.emplace_back("dns_query", dns_query);
  return samples;
}

bool write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
  auto writer = io::PcapWriter::open(path, io::PcapLinkType::ethernet, 65535);
  if (!writer) return false;
  auto timestamp = std::chrono::seconds(1700000000) + std::chrono::nanoseconds(0);
  for (const auto& frame : frames) {
    timestamp += std::chrono::milliseconds(1);
    if (!writer->write(frame, timestamp)) return false;
  }
  return writer->flush().ok();
}

}  // namespace openvpc::tools
