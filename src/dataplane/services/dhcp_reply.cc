// dhcp_reply.cc — the DHCPv4 server (RFC 2131/2132) for one ENI: its primary private address.
//
// DISCOVER -> OFFER; REQUEST -> ACK when the address asked for (option 50, or ciaddr when
// renewing) is the ENI's, NAK otherwise, nothing when it selects another server; INFORM ->
// ACK without address or lease (§4.3.5); RELEASE and DECLINE are counted (the address is the
// ENI's for life, there is nothing to free). Replies come from base+1 (option 54) and go
// (§4.1) broadcast for a NAK, to ciaddr when set, broadcast when the client set the BROADCAST
// flag, else unicast to the address offered at the client's MAC.
#include <algorithm>
#include <array>

#include "dataplane/services/reply_frame.h"
#include "dataplane/services/service_state.h"
#include "packet/dhcp.h"

namespace openvpc::dataplane::services {
namespace {

using packet::DhcpMessage;
using packet::DhcpMessageType;
using packet::IpAddress;

constexpr uint16_t kBroadcastFlag = 0x8000;
constexpr size_t kMinimumMessageSize = 300;
constexpr uint8_t kOptionHostName = 12;
constexpr uint8_t kOptionNtpServers = 42;
constexpr uint8_t kOptionNetbiosNameServers = 44;
constexpr uint8_t kOptionNetbiosNodeType = 46;
constexpr uint8_t kOptionLeaseTime = 51;
constexpr uint8_t kOptionEnd = 255;
constexpr uint8_t kOptionPad = 0;
const packet::MacAddress kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

struct Decision {
  DhcpMessageType reply = DhcpMessageType::none;  // none: no reply
  ServicesEvent event = ServicesEvent::dhcp_ignored_message_type;
};

Decision decide(const DhcpMessage& request, const EniState& eni) {
  switch (request.message_type) {
    case DhcpMessageType::discover:
      return {DhcpMessageType::offer, ServicesEvent::dhcp_offer};
    case DhcpMessageType::request: {
      if (request.server_id && *request.server_id != eni.router_address) {
        return {DhcpMessageType::none, ServicesEvent::dhcp_ignored_other_server};
      }
      const IpAddress wanted = request.requested_ip ? *request.requested_ip : request.client_ip;
      if (wanted == eni.primary()) return {DhcpMessageType::ack, ServicesEvent::dhcp_ack};
      return {DhcpMessageType::nak, ServicesEvent::dhcp_nak};
    }
    case DhcpMessageType::inform:
      return {DhcpMessageType::ack, ServicesEvent::dhcp_inform_ack};
    case DhcpMessageType::release:
      return {DhcpMessageType::none, ServicesEvent::dhcp_release};
    case DhcpMessageType::decline:
      return {DhcpMessageType::none, ServicesEvent::dhcp_decline};
    default:
      return {};
  }
}

// Removes one option from a written DHCP message (INFORM's ACK has no lease time).
size_t remove_option(uint8_t* message, size_t size, uint8_t code) {
  size_t at = packet::kDhcpFixedSize + 4;
  while (at + 1 < size && message[at] != kOptionEnd) {
    if (message[at] == kOptionPad) {
      ++at;
      continue;
    }
    const size_t option_size = 2 + size_t(message[at + 1]);
    if (message[at] == code) {
      std::copy(message + at + option_size, message + size, message + at);
      return size - option_size;
    }
    at += option_size;
  }
  return size;
}

UdpReplyAddressing addressing(const DhcpMessage& request, DhcpMessageType reply,
                              const ReplyContext& c) {
  UdpReplyAddressing a;
  a.src_mac = c.globals.router_mac;
  a.src_ip = c.eni.router_address;
  a.src_port = packet::kDhcpServerPort;
  a.dst_port = packet::kDhcpClientPort;
  a.dst_mac = request.client_mac;
  if (reply == DhcpMessageType::nak ||
      (request.client_ip.v4_host_order() == 0 && (request.flags & kBroadcastFlag) != 0)) {
    a.dst_mac = kBroadcastMac;
    a.dst_ip = IpAddress::v4(0xffffffff);
  } else if (request.client_ip.v4_host_order() != 0) {
    a.dst_ip = request.client_ip;
  } else {
    a.dst_ip = c.eni.primary();
  }
  return a;
}

// Options 12, 42, 44, 46 when configured; returns how many were filled in.
size_t extra_options(const ReplyContext& c, std::array<packet::DhcpOption, 4>& options) {
  size_t count = 0;
  const auto add = [&](uint8_t code, std::span<const uint8_t> value) {
    if (!value.empty()) options[count++] = {code, value};
  };
  add(kOptionHostName,
      {reinterpret_cast<const uint8_t*>(c.eni.hostname.data()), c.eni.hostname.size()});
  add(kOptionNtpServers, c.vpc.ntp_servers);
  add(kOptionNetbiosNameServers, c.vpc.netbios_name_servers);
  if (c.vpc.netbios_node_type != 0) add(kOptionNetbiosNodeType, {&c.vpc.netbios_node_type, 1});
  return count;
}

}  // namespace

ReplyResult reply_dhcp(const ReplyContext& c) {
  const DhcpMessage request = packet::parse_dhcp(udp_payload(c.frame, c.meta));
  if (!request.ok() || request.op != 1) return {0, ServicesEvent::dhcp_dropped_malformed};
  if (request.client_mac != c.eni.mac) return {0, ServicesEvent::dhcp_dropped_spoofed};
  const Decision decision = decide(request, c.eni);
  if (decision.reply == DhcpMessageType::none) return {0, decision.event};
  const bool inform = request.message_type == DhcpMessageType::inform;
  std::array<packet::DhcpOption, 4> extra;
  packet::DhcpReplySpec spec;
  spec.type = decision.reply;
  spec.xid = request.xid;
  spec.flags = request.flags;
  spec.client_mac = request.client_mac;
  spec.your_ip = inform ? IpAddress::v4(0) : c.eni.primary();
  spec.server_ip = c.eni.router_address;
  spec.subnet_mask = IpAddress::v4(c.eni.subnet_mask);
  spec.router = c.eni.router_address;
  spec.dns_servers = c.vpc.dns_servers;
  spec.domain_name = c.vpc.domain_name;
  spec.mtu = c.globals.mtu;
  spec.lease_seconds = c.globals.lease_seconds;
  spec.extra_options = std::span(extra.data(), extra_options(c, extra));
  if (c.out.size() <= kUdpPayloadOffset) return {0, ServicesEvent::dropped_reply_too_large};
  uint8_t* payload = c.out.data() + kUdpPayloadOffset;
  size_t size = packet::write_dhcp_reply(payload, c.out.size() - kUdpPayloadOffset, spec);
  if (size == 0) return {0, ServicesEvent::dropped_reply_too_large};
  if (inform) size = remove_option(payload, size, kOptionLeaseTime);
  // BOOTP relays and old clients expect at least 300 bytes (RFC 1542 §2.1); pad after End.
  const size_t padded = std::min(kMinimumMessageSize, c.out.size() - kUdpPayloadOffset);
  if (size < padded) {
    std::fill(payload + size, payload + padded, uint8_t{0});
    size = padded;
  }
  return {write_udp_frame(c.out.data(), addressing(request, decision.reply, c), size),
          decision.event};
}

}  // namespace openvpc::dataplane::services
