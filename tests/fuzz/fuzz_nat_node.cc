// fuzz_nat_node.cc — random underlay packets through a hyperplane node's NAT translator
// (hyperplane/nat_node_translator.h), one public NAT gateway, one private one (whose packets go
// to the one interface of its VPC it knows), two edge nodes, small flow table.
//
// Input: records as fuzz_records.h splits them (each record's bytes start at the outer IPv4
// header); the port byte's low bits pick the clock step (0-3 s) so flows idle and the sync
// window passes. All records form one batch, run twice through the same translator (the second
// pass meets the flows the first created). Besides ASan/UBSan it checks the translator's
// contract: every packet ends encapsulated or dropped; an encapsulated one lies inside its
// buffer, parses as Geneve from the node with the from-hyperplane flag, and goes to an edge
// node (source ENI = the public gateway's), to the private gateway's destination (source ENI =
// the private gateway's) or back to where an instance's packet came from (source ENI 0); the
// table never holds more flows than it can.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_records.h"
#include "hyperplane/nat_node_translator.h"
#include "packet/geneve.h"

namespace {

using namespace openvpc;
using dataplane::Verdict;

constexpr size_t kHeadroom = 128;
constexpr size_t kTailroom = 64;
constexpr size_t kMaxFlows = 32;
constexpr uint32_t kNode = 0xc0a80064;   // 192.168.0.100
constexpr uint32_t kEdgeA = 0xc0a8000a;  // 192.168.0.10
constexpr uint32_t kEdgeB = 0xc0a8000b;
constexpr uint32_t kGatewayEni = 90;
constexpr uint32_t kPrivateEni = 91;
constexpr uint32_t kDestinationHost = 0xc0a8001e;  // 192.168.0.30
constexpr uint32_t kDestinationEni = 33;

void check(const dataplane::Packet& p, const fuzzing::FuzzRecord& r) {
  if (p.verdict == Verdict::drop) return;
  if (p.verdict != Verdict::encapsulate) std::abort();
  const uint8_t* begin = r.buffer.data();
  if (p.data < begin || p.data + p.size > begin + r.buffer.size()) std::abort();
  const packet::PacketMeta meta = packet::parse_ip({p.data, p.size});
  const packet::GeneveInfo& g = meta.geneve;
  if (!g.present || !g.has_vpc_option || g.outer_src.v4_host_order() != kNode) std::abort();
  if ((g.vpc_flags & packet::kVpcFlagFromHyperplane) == 0 || g.vni != 7) std::abort();
  const uint32_t to = g.outer_dst.v4_host_order();
  if (g.source_eni == kGatewayEni) {
    if ((to != kEdgeA && to != kEdgeB) || g.destination_eni != 0) std::abort();
  } else if (g.source_eni == kPrivateEni) {
    if (to != kDestinationHost || g.destination_eni != kDestinationEni) std::abort();
  } else if (g.source_eni != 0) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hyperplane::NatTable table(kMaxFlows, {60, 5});
  hyperplane::NatGatewayConfig gateway;
  gateway.number = 3;
  gateway.addresses = {0x0a000164, 0x0a000165};
  gateway.ranges = {hyperplane::slot_range(0, 2)};
  gateway.cap_per_range = hyperplane::slot_cap(0, 2);
  hyperplane::NatGatewayConfig private_gateway = gateway;
  private_gateway.number = 4;
  private_gateway.addresses = {0x0a0001c8};  // 10.0.1.200
  table.set_gateways({gateway, private_gateway});
  hyperplane::NatNodeTranslator translator(table);
  hyperplane::NodeConfig config;
  config.underlay_v4 = kNode;
  config.edge_nodes = {kEdgeA, kEdgeB};
  config.gateways = {{3, 7, kGatewayEni, true, 100, {}},
                     {4, 7, kPrivateEni, false, 100, private_gateway.addresses}};
  config.destinations = {{7, 0x0a000305, kDestinationHost, kDestinationEni}};  // 10.0.3.5
  translator.set_config(config);

  std::vector<fuzzing::FuzzRecord> records =
      fuzzing::split_records(data, size, kHeadroom, kTailroom);
  uint32_t now = 100;
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<fuzzing::FuzzRecord> copy = records;
    std::vector<dataplane::Packet> batch(copy.size());
    for (size_t i = 0; i < copy.size(); ++i) {
      dataplane::Packet& p = batch[i];
      p.data = copy[i].buffer.data() + kHeadroom;
      p.size = uint16_t(std::min<size_t>(copy[i].length, 65535));
      p.headroom = kHeadroom;
      p.capacity = uint16_t(std::min<size_t>(copy[i].buffer.size() - kHeadroom, 65535));
      p.in_port = dataplane::Port::underlay();
      now += copy[i].port & 3;
    }
    translator.process(batch, now);
    for (size_t i = 0; i < copy.size(); ++i) check(batch[i], copy[i]);
    if (table.flows() > kMaxFlows) std::abort();
    table.expire(now, kMaxFlows);
    table.clear_journal();
  }
  return 0;
}
