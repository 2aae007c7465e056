// icmp_echo_reply.cc — ping the subnet router (base+1): echo request -> echo reply.
//
// The reply carries the request's identifier, sequence and data unchanged, from base+1 to the
// request's source, with a fresh 20-byte IPv4 header (request options are not echoed). A
// request whose ICMP checksum is wrong is dropped, as a host would.
#include <algorithm>

#include "dataplane/services/reply_frame.h"
#include "dataplane/services/service_state.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace openvpc::dataplane::services {

ReplyResult reply_icmp_echo(const ReplyContext& c) {
  const size_t header_size = size_t(c.meta.ipv4_ihl) * 4;
  if (c.meta.l3_size < header_size + packet::kIcmpHeaderSize) {
    return {0, ServicesEvent::icmp_ignored_not_echo};
  }
  const size_t icmp_size = c.meta.l3_size - header_size;
  const uint8_t* request = c.frame.data() + c.meta.l4_offset;
  if (packet::checksum_fold(packet::checksum_partial(request, icmp_size)) != 0) {
    return {0, ServicesEvent::icmp_dropped_bad_checksum};
  }
  const size_t total = kIpv4Offset + packet::kIpv4MinHeaderSize + icmp_size;
  if (total > c.out.size()) return {0, ServicesEvent::dropped_reply_too_large};
  uint8_t* out = c.out.data();
  write_ethernet_header(out, c.eni.mac, c.globals.router_mac, packet::kEthertypeIpv4);
  const packet::Ipv4View ip(c.frame.data() + c.meta.l3_offset);
  write_ipv4_header(out + kIpv4Offset, c.eni.router_address, c.meta.tuple.src, packet::kProtoIcmp,
                    uint16_t(total - kIpv4Offset), ip.id(), ip.tos());
  uint8_t* icmp = out + kIpv4Offset + packet::kIpv4MinHeaderSize;
  std::copy_n(request, icmp_size, icmp);
  icmp[0] = 0;  // echo reply
  icmp[1] = 0;
  packet::store_be16(icmp + 2, 0);
  packet::store_be16(icmp + 2, packet::checksum_fold(packet::checksum_partial(icmp, icmp_size)));
  return {total, ServicesEvent::icmp_echo_replied};
}

}  // namespace openvpc::dataplane::services
