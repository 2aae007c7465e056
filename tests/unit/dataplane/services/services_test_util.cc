// services_test_util.cc — the shared configuration and frame builders for the services tests.
#include "services_test_util.h"

#include <algorithm>

#include "packet/dns.h"
#include "packet/headers.h"

namespace openvpc::dataplane::services::testing {

ServicesConfig test_config() {
  ServicesConfig config;
  config.router_mac = kRouterMac;
  config.region = "eu-west-1";
  VpcServicesConfig vpc;
  vpc.id = 7;
  vpc.primary_cidr = program::cidr_literal("10.0.0.0/16");
  vpc.dns_hostnames = true;
  vpc.addresses = {kEniIp, kOtherVpcIp};
  config.vpcs.push_back(vpc);
  EniServicesConfig eni;
  eni.id = kEniId;
  eni.mac = kEniMac;
  eni.private_addresses = {kEniIp};
  eni.subnet = program::cidr_literal("10.0.1.0/24");
  eni.vpc = 7;
  config.enis.push_back(eni);
  return config;
}

std::vector<uint8_t> address_option(const IpAddress& address) {
  return {address.v4_wire(), address.v4_wire() + 4};
}

std::vector<uint8_t> dhcp_frame(const DhcpRequestSpec& spec) {
  std::vector<uint8_t> message(packet::kDhcpFixedSize + 4, 0);
  message[0] = 1;
  message[1] = 1;
  message[2] = 6;
  packet::store_be32(&message[4], spec.xid);
  packet::store_be16(&message[10], spec.flags);
  std::copy_n(spec.client_ip.v4_wire(), 4, &message[12]);
  std::copy_n(spec.client_mac.bytes.data(), 6, &message[28]);
  packet::store_be32(&message[packet::kDhcpFixedSize], packet::kDhcpMagicCookie);
  if (spec.type != packet::DhcpMessageType::none) {
    message.insert(message.end(), {53, 1, uint8_t(spec.type)});
  }
  for (const auto& [code, value] : spec.options) {
    message.push_back(code);
    message.push_back(uint8_t(value.size()));
    message.insert(message.end(), value.begin(), value.end());
  }
  message.push_back(255);
  const auto ip = packet::build_udp({.src = spec.ip_src, .dst = spec.ip_dst},
                                    {packet::kDhcpClientPort, packet::kDhcpServerPort}, message);
  return packet::with_ethernet({.src_mac = kEniMac, .dst_mac = kBroadcastMac}, ip);
}

std::vector<uint8_t> dns_payload(const DnsQuerySpec& spec) {
  std::vector<uint8_t> message(packet::kDnsHeaderSize, 0);
  packet::store_be16(&message[0], spec.id);
  packet::store_be16(&message[2], 0x0100);  // RD
  packet::store_be16(&message[4], 1);
  std::string_view name = spec.name;
  while (!name.empty()) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    message.push_back(uint8_t(label.size()));
    message.insert(message.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  message.insert(message.end(), {0, uint8_t(spec.qtype >> 8), uint8_t(spec.qtype), 0, 1});
  if (spec.edns_size) {
    packet::store_be16(&message[10], 1);
    message.insert(message.end(), {0, 0, 41, uint8_t(*spec.edns_size >> 8),
                                   uint8_t(*spec.edns_size), 0, 0, 0, 0, 0, 0});
  }
  return message;
}

std::vector<uint8_t> udp_frame(const IpAddress& dst, uint16_t src_port, uint16_t dst_port,
                               std::span<const uint8_t> payload) {
  const auto ip = packet::build_udp({.src = kEniIp, .dst = dst}, {src_port, dst_port}, payload);
  return packet::with_ethernet({.src_mac = kEniMac, .dst_mac = kRouterMac}, ip);
}

std::vector<uint8_t> dns_frame(const DnsQuerySpec& spec) {
  return udp_frame(spec.dst, 40000, packet::kDnsPort, dns_payload(spec));
}

std::vector<uint8_t> tcp_frame(const TcpSegmentSpec& spec) {
  const auto ip = packet::build_tcp(
      {.src = kEniIp, .dst = spec.dst},
      {.src_port = 40000, .dst_port = 53, .seq = spec.seq, .ack = spec.ack, .flags = spec.flags},
      spec.payload);
  return packet::with_ethernet({.src_mac = kEniMac, .dst_mac = kRouterMac}, ip);
}

std::vector<uint8_t> length_prefixed(std::span<const uint8_t> message) {
  std::vector<uint8_t> out(2 + message.size());
  packet::store_be16(out.data(), uint16_t(message.size()));
  std::copy(message.begin(), message.end(), out.begin() + 2);
  return out;
}

std::map<uint8_t, std::vector<uint8_t>> dhcp_options(std::span<const uint8_t> message) {
  std::map<uint8_t, std::vector<uint8_t>> options;
  size_t at = packet::kDhcpFixedSize + 4;
  while (at < message.size() && message[at] != 255) {
    if (message[at] == 0) {
      ++at;
      continue;
    }
    const size_t size = message[at + 1];
    options[message[at]].assign(&message[at + 2], &message[at + 2] + size);
    at += 2 + size;
  }
  return options;
}

std::span<const uint8_t> Reply::udp_payload() const {
  const size_t udp_size = packet::UdpView(&frame[meta.l4_offset]).length();
  return std::span(frame).subspan(meta.payload_offset, udp_size - packet::kUdpHeaderSize);
}

std::span<const uint8_t> Reply::tcp_payload() const {
  return std::span(frame).subspan(meta.payload_offset, meta.tcp.payload_size);
}

Reply respond(LocalServices& services, std::span<const uint8_t> frame, uint64_t now_ns) {
  std::vector<uint8_t> out(kServicesMinReplyCapacity * 8);
  const packet::PacketMeta meta = packet::parse_frame(frame);
  const size_t size = services.respond(kEniId, frame, meta, out, now_ns);
  Reply reply;
  out.resize(size);
  reply.frame = std::move(out);
  if (size != 0) reply.meta = packet::parse_frame(reply.frame);
  return reply;
}

}  // namespace openvpc::dataplane::services::testing
