// dns_reply.cc — the VPC resolver at base+2 / 169.254.169.253 over UDP: the response message
// (dns_message.h) in a UDP reply from the address and port the query was sent to.
// enableDnsSupport and the rate limit are checked by LocalServices before this runs.
#include "dataplane/services/dns_message.h"
#include "dataplane/services/reply_frame.h"
#include "dataplane/services/service_state.h"
#include "packet/dns.h"

namespace openvpc::dataplane::services {

ReplyResult reply_dns(const ReplyContext& c) {
  const std::span<const uint8_t> message = udp_payload(c.frame, c.meta);
  if (c.out.size() <= kUdpPayloadOffset) return {0, ServicesEvent::dropped_reply_too_large};
  const DnsMessageResult answer =
      answer_dns_message(c, message, c.out.subspan(kUdpPayloadOffset), DnsTransport::udp);
  if (answer.size == 0) return {0, answer.event};
  UdpReplyAddressing a;
  a.src_mac = c.globals.router_mac;
  a.dst_mac = c.eni.mac;
  a.src_ip = c.meta.tuple.dst;
  a.dst_ip = c.meta.tuple.src;
  a.src_port = packet::kDnsPort;
  a.dst_port = c.meta.tuple.src_port;
  return {write_udp_frame(c.out.data(), a, answer.size), answer.event};
}

}  // namespace openvpc::dataplane::services
