// local_services.h — the VPC router's own services for the instances on this host.
//
// What an instance needs to bring its network up (REFERENCE.md "Addressing"). The pipeline
// hands IP packets here only after its source check (a forged source gets no answer; a DHCP
// client's 0.0.0.0 passes), ARP after the frame's source MAC check:
// - ARP: a request for any address of the ENI's subnet, other than the ENI's own and the
//   network/broadcast addresses, is answered with the router MAC (there is no flooding);
// - DHCPv4: DISCOVER -> OFFER, REQUEST -> ACK or NAK, INFORM -> ACK, with the VPC's options;
// - ICMP echo to the subnet router (base+1) -> echo reply;
// - DNS over UDP and TCP at the VPC's base+2, the subnet's base+2 and 169.254.169.253:
//   private names and PTR records of the VPC's addresses, NXDOMAIN for everything else (no
//   upstream); nothing at all when the VPC's enableDnsSupport is off.
// Everything an ENI sends here counts against its link-local allowance (1,024 packets/s),
// which the pipeline enforces before a packet reaches these services (eni_allowance.h).
// classify() says whether a packet is for the services; respond() writes the reply frame.
// Every respond() counts exactly one ServicesEvent.
//
// Threading: respond() updates counters; give each worker its own
// LocalServices (or shard ENIs by worker). classify() is const. The hot path (classify,
// respond) never allocates, throws, locks or calls virtually. A new configuration means a
// new object (built off the fast path, swapped like the compiled program).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/services/service_state.h"
#include "dataplane/services/services_config.h"
#include "dataplane/services/services_counters.h"
#include "packet/parser.h"

namespace openvpc::dataplane::services {

inline const packet::IpAddress kResolverLinkLocal = packet::IpAddress::v4(0xa9fea9fd);
// Enough for any DHCP or DNS reply; an echo reply is as large as its request.
inline constexpr size_t kServicesMinReplyCapacity = 1514;

enum class ServiceKind : uint8_t { none, arp, dhcp, icmp_echo, dns };
std::string_view to_string(ServiceKind kind);

class LocalServices {
 public:
  // ENIs whose VPC is not in config.vpcs, or without an IPv4 address, are left out (their
  // packets count dropped_unknown_eni).
  explicit LocalServices(const ServicesConfig& config);

  // Whether meta (parse_frame of an ENI's frame) is for a local service, and which. VLAN
  // tagged frames, IP fragments and malformed packets are never.
  ServiceKind classify(uint32_t eni_id, const packet::PacketMeta& meta) const;

  // Writes the reply to the ENI (a complete Ethernet frame) into out and returns its size;
  // 0 when there is none (ignored, dropped, or out too small), the reason counted. meta must
  // be parse_frame(frame). now_ns: any monotonic clock (no responder reads it today: the
  // link-local allowance that once limited DNS here is the pipeline's, eni_allowance.h).
  size_t respond(uint32_t eni_id, std::span<const uint8_t> frame, const packet::PacketMeta& meta,
                 std::span<uint8_t> out, uint64_t now_ns);

  const ServicesCounters& counters() const { return counters_; }
  size_t eni_count() const { return enis_.size(); }

 private:
  int32_t find_eni(uint32_t id) const;
  ServiceKind classify(const EniState& eni, const packet::PacketMeta& meta) const;
  ReplyResult dispatch(ServiceKind kind, EniState& eni, std::span<const uint8_t> frame,
                       const packet::PacketMeta& meta, std::span<uint8_t> out);

  ServicesGlobals globals_;
  std::vector<VpcState> vpcs_;
  std::vector<EniState> enis_;  // sorted by id
  ServicesCounters counters_;
};

}  // namespace openvpc::dataplane::services
