// arp_reply.cc — ARP for the whole subnet, answered with the router MAC (no flooding).
//
// Only requests from the ENI itself (sender MAC and IP its own) are answered, for addresses
// of its subnet other than its own and the network/broadcast addresses: base+1..base+3 and
// every other instance's address resolve to the router, which forwards at L3.
#include <cstring>

#include "dataplane/services/service_state.h"
#include "packet/builder.h"
#include "packet/headers.h"

namespace openvpc::dataplane::services {

ReplyResult reply_arp(const ReplyContext& c) {
  if (c.meta.arp_operation != 1) return {0, ServicesEvent::arp_ignored_not_request};
  const packet::ArpView arp(c.frame.data() + c.meta.l3_offset);
  const packet::IpAddress sender_ip = arp.sender_ip();
  const packet::IpAddress target_ip = arp.target_ip();
  if (std::memcmp(arp.sender_mac().bytes.data(), c.eni.mac.bytes.data(), 6) != 0) {
    return {0, ServicesEvent::arp_dropped_spoofed};
  }
  if (sender_ip.v4_host_order() == 0) return {0, ServicesEvent::arp_ignored_probe};
  if (!c.eni.owns(sender_ip)) return {0, ServicesEvent::arp_dropped_spoofed};
  if (c.eni.owns(target_ip)) return {0, ServicesEvent::arp_ignored_gratuitous};
  const uint32_t target = target_ip.v4_host_order();
  if (!c.eni.in_subnet(target)) return {0, ServicesEvent::arp_ignored_outside_subnet};
  if (target == c.eni.subnet_network || target == c.eni.subnet_broadcast) {
    return {0, ServicesEvent::arp_ignored_reserved_address};
  }
  const size_t size = packet::write_arp_reply(c.out.data(), c.out.size(), c.globals.router_mac,
                                              target_ip, c.eni.mac, sender_ip);
  if (size == 0) return {0, ServicesEvent::dropped_reply_too_large};
  return {size, ServicesEvent::arp_replied};
}

}  // namespace openvpc::dataplane::services
