// fuzz_edge.cc — random packets through the edge's translator, both directions, small table
// (instances' addresses and a NAT gateway's, served by a shard with one node down).
//
// Input: a sequence of records [port byte][size lo][size hi][bytes...]; the port byte's top bit
// picks the underlay (bytes start at the outer IPv4 header), otherwise the outside port (bytes
// start at Ethernet); bit 0x40 of an outside record marks it a TSO super-frame (gso tcpv4);
// 0x20 of any record makes it come from an ENI port (the edge has none). The translator first
// learns the outside gateway's MAC unless the first input byte is odd. All records form one
// batch. Besides ASan/UBSan it checks the translator's contract: every packet ends with one
// verdict (a drop with a reason, anything else without one), output lies inside the buffer,
// what is sent parses, and a translated packet whose checksums were valid still has valid
// ones (IPv4 header always; TCP/UDP/ICMP when unfragmented and not a TSO super-frame).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "edge/edge_translator.h"
#include "fuzz_records.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"

namespace {

using namespace openvpc;
using dataplane::Verdict;

constexpr size_t kHeadroom = 64;
constexpr size_t kTailroom = 64;

program::Program edge_program() {
  using packet::IpAddress;
  program::Program p;
  p.generation = 1;
  p.host_underlay = IpAddress::v4(0xc0a80064);  // 192.168.0.100
  p.vpcs = {{7, "a", {}}, {9, "b", {}}};
  p.mappings = {
      {7, IpAddress::v4(0x0a000005), IpAddress::v4(0xc0a80001), 1, true,
       IpAddress::v4(0xcb007105)},  // 10.0.0.5 @ 192.168.0.1 eni 1 = 203.0.113.5
      {7, IpAddress::v4(0x0a000006), IpAddress::v4(0xc0a80002), 2, true,
       IpAddress::v4(0xcb007106)},  // 10.0.0.6 @ 192.168.0.2 eni 2 = 203.0.113.6
      {7, IpAddress::v4(0x0a000007), IpAddress::v4(0xc0a80001), 3, true, std::nullopt},
      {9, IpAddress::v4(0x0a000005), IpAddress::v4(0xc0a80003), 4, true, IpAddress::v4(0xcb007109)},
      // 10.0.0.50, NAT gateway 50's address = 203.0.113.50, served by its shard
      {7, IpAddress::v4(0x0a000032), IpAddress{}, 60, true, IpAddress::v4(0xcb007132), 50},
  };
  program::NatGateway nat;
  nat.id = 50;
  nat.vpc = 7;
  nat.eni = 60;
  nat.addresses = {IpAddress::v4(0x0a000032)};
  // 192.168.0.21, a slot whose node is down, 192.168.0.23
  nat.nodes = {IpAddress::v4(0xc0a80015), IpAddress::v4(0), IpAddress::v4(0xc0a80017)};
  p.nat_gateways = {nat};
  return p;
}

edge::EdgeConfig edge_config() {
  edge::EdgeConfig c;
  c.outside_address = 0xc6336402;  // 198.51.100.2
  c.outside_gateway = 0xc6336401;  // 198.51.100.1
  c.outside_mac = program::mac_literal("02:ed:00:00:00:02");
  return c;
}

// The checksums of the IPv4 packet `ip` (already parsed without error): the header's, and
// the L4 one when it can be checked (nullopt: unfragmented TCP/UDP/ICMP only; UDP 0 = none).
struct Checksums {
  bool header = false;
  std::optional<bool> l4;
};

Checksums checksums(std::span<const uint8_t> ip) {
  Checksums c;
  const size_t ihl = size_t(ip[0] & 0x0f) * 4;
  c.header = packet::ipv4_header_checksum_valid(ip.data(), ihl);
  const size_t total = packet::load_be16(&ip[2]);
  const bool fragment = (packet::load_be16(&ip[6]) & 0x3fff) != 0;
  if (fragment || total > ip.size() || total < ihl + 8) return c;
  const uint8_t* l4 = ip.data() + ihl;
  const size_t size = total - ihl;
  const auto src = packet::IpAddress::v4_from_wire(&ip[12]);
  const auto dst = packet::IpAddress::v4_from_wire(&ip[16]);
  switch (ip[9]) {
    case packet::kProtoTcp:
      if (size >= 20) c.l4 = packet::l4_checksum(src, dst, ip[9], l4, size) == 0;
      break;
    case packet::kProtoUdp:
      if (packet::load_be16(l4 + 6) != 0) {
        c.l4 = packet::l4_checksum(src, dst, ip[9], l4, size) == 0;
      }
      break;
    case packet::kProtoIcmp:
      c.l4 = packet::checksum_fold(packet::checksum_partial(l4, size)) == 0;
      break;
    default:
      break;
  }
  return c;
}

// The IPv4 packet a record carries (inner one from the underlay), if it parses.
std::optional<std::span<const uint8_t>> ipv4_of(std::span<const uint8_t> bytes, bool underlay) {
  const auto meta = underlay ? packet::parse_ip(bytes) : packet::parse_frame(bytes);
  if (!meta.ok() || meta.ip_version != 4) return std::nullopt;
  if (underlay && !meta.geneve.present) return std::nullopt;
  return bytes.subspan(meta.l3_offset, meta.l3_size);
}

void check(const dataplane::Packet& p, const uint8_t* start, const uint8_t* end,
           const std::optional<Checksums>& before) {
  if (p.verdict == Verdict::drop) {
    if (p.drop_reason == dataplane::DropReason::none) std::abort();
    return;
  }
  if (p.drop_reason != dataplane::DropReason::none) std::abort();
  if (p.data < start || p.data + p.size > end) std::abort();
  const std::span<const uint8_t> bytes(p.data, p.size);
  std::optional<std::span<const uint8_t>> ip;
  switch (p.verdict) {
    case Verdict::encapsulate: {
      const auto meta = packet::parse_ip(bytes);
      if (!meta.ok() || !meta.geneve.present || meta.ip_version != 4) std::abort();
      if (!packet::ipv4_header_checksum_valid(p.data, 20)) std::abort();
      ip = bytes.subspan(meta.l3_offset, meta.l3_size);
      break;
    }
    case Verdict::deliver: {
      if (p.out_port.kind != dataplane::PortKind::gateway) std::abort();
      const auto meta = packet::parse_frame(bytes);
      if (!meta.ok()) std::abort();
      if (meta.is_arp()) return;  // an ARP reply
      if (meta.ip_version != 4) std::abort();
      ip = bytes.subspan(meta.l3_offset, meta.l3_size);
      break;
    }
    case Verdict::to_local_services:
      return;  // ARP consumed
    default:
      std::abort();  // the edge has no other verdict
  }
  if (!before) std::abort();  // translated what did not parse as IPv4
  const Checksums after = checksums(*ip);
  if (before->header && !after.header) std::abort();
  if (p.gso_type == dataplane::kGsoNone && before->l4.value_or(false) && !after.l4.value_or(true)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto table = [] {
    auto t = edge::compile_edge_table(edge_program());
    if (!t) std::abort();
    return *t;
  }();
  edge::EdgeTranslator translator(edge_config());
  translator.set_table(table);
  const bool learn = size == 0 || (data[0] & 1) == 0;
  if (learn) {
    auto arp = packet::build_arp_request(program::mac_literal("02:9a:00:00:00:01"),
                                         packet::IpAddress::v4(0xc6336401),
                                         packet::IpAddress::v4(0xc6336402));
    arp.resize(arp.size() + kHeadroom);
    dataplane::Packet p;
    p.data = arp.data();
    p.size = 42;
    p.capacity = uint16_t(arp.size());
    p.in_port = {dataplane::PortKind::gateway, 0};
    translator.process({&p, 1});
    if (!translator.next_hop_known()) std::abort();
  }
  if (size > 0) data += 1, size -= 1;

  std::vector<fuzzing::FuzzRecord> records =
      fuzzing::split_records(data, size, kHeadroom, kTailroom);
  std::vector<dataplane::Packet> batch(records.size());
  std::vector<std::optional<Checksums>> before(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    dataplane::Packet& p = batch[i];
    const uint8_t port = records[i].port;
    const bool underlay = (port & 0x80) != 0;
    p.data = records[i].buffer.data() + kHeadroom;
    p.size = uint16_t(records[i].length);
    p.headroom = kHeadroom;
    p.capacity = uint16_t(records[i].buffer.size() - kHeadroom);
    p.in_port =
        underlay ? dataplane::Port::underlay() : dataplane::Port{dataplane::PortKind::gateway, 0};
    if (port & 0x20) p.in_port = dataplane::Port::eni(1);
    if (!underlay && (port & 0x40)) {
      p.gso_type = dataplane::kGsoTcpv4;
      p.gso_size = 1000;
    }
    if (const auto ip = ipv4_of({p.data, p.size}, underlay)) before[i] = checksums(*ip);
  }
  translator.process(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    check(batch[i], records[i].buffer.data(), records[i].buffer.data() + records[i].buffer.size(),
          before[i]);
  }
  uint64_t verdicts = 0;
  for (uint64_t v : translator.counters().verdicts) verdicts += v;
  if (verdicts != batch.size() + (learn ? 1 : 0)) std::abort();  // one verdict per packet
  return 0;
}
