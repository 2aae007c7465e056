// A hyperplane node's NAT data path per packet, in memory, one core (issue #12):
// hyperplane::NatNodeTranslator on whole underlay packets (outer IPv4 / UDP / Geneve / VPC
// option / inner IPv4 TCP) — parse, find the gateway, translate, re-encapsulate toward the
// edge or the instance's router — against a peer measured in the same run: the same loop
// without the node (copy the packet into its receive buffer and parse it with parse_ip).
//
// Packets alternate: the instance's packet from its router (out), the reply from an edge node
// (in), over `flows` established TCP flows. Every packet's verdict is checked: one that is not
// `encapsulate` fails the benchmark.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "hyperplane/nat_node_translator.h"
#include "packet/builder.h"
#include "packet/geneve.h"

namespace {

using namespace openvpc;
using hyperplane::NatNodeTranslator;
using hyperplane::NatTable;

constexpr uint32_t kNode = 0x7f000c01;
constexpr uint32_t kRouter = 0x7f000101;
constexpr uint32_t kEdge = 0x7f000a01;
constexpr uint32_t kNat = 0x0a000164;
constexpr uint32_t kRemote = 0xcb00710a;
constexpr uint32_t kGatewayEni = 90;
constexpr size_t kBatch = 32;
constexpr size_t kHeadroom = 128;
constexpr size_t kBufferSize = 2048;

std::vector<uint8_t> tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags,
                         size_t payload) {
  packet::TcpSpec spec;
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  const std::vector<uint8_t> bytes(payload, 0x5a);
  return packet::build_tcp({.src = packet::IpAddress::v4(src), .dst = packet::IpAddress::v4(dst)},
                           spec, bytes);
}

std::vector<uint8_t> geneve(std::span<const uint8_t> inner, uint32_t from, uint32_t source_eni,
                            uint16_t flags) {
  packet::GeneveEncap e;
  e.outer_src_v4 = from;
  e.outer_dst_v4 = kNode;
  e.src_port = 50000;
  e.vni = 7;
  e.source_eni = source_eni;
  e.destination_eni = kGatewayEni;
  e.vpc_flags = flags;
  return packet::build_geneve(e, inner);
}

struct Node {
  NatTable table;
  NatNodeTranslator translator{table};
  std::vector<std::vector<uint8_t>> packets;  // out, in, out, in, ...

  Node(size_t flows, size_t payload) : table(flows + 1024) {
    hyperplane::NatGatewayConfig gateway;
    gateway.number = 3;
    gateway.addresses = {kNat};
    gateway.ranges = {hyperplane::slot_range(0, 1)};
    gateway.cap_per_range = hyperplane::slot_cap(0, 1);
    table.set_gateways({gateway});
    hyperplane::NodeConfig config;
    config.underlay_v4 = kNode;
    config.edge_nodes = {kEdge};
    config.gateways = {{3, 7, kGatewayEni, true, 0, {}}};
    translator.set_config(config);
    std::vector<uint8_t> buffer(kBufferSize);
    for (size_t i = 0; i < flows; ++i) {
      const uint32_t inside = 0x0a000a00 + uint32_t(i >> 14);
      const auto port = uint16_t(1024 + (i & 0x3fff));
      const auto service = uint16_t(1000 + i / 50'000);  // EC2's cap: 55,000 per destination
      const auto syn = geneve(tcp(inside, port, kRemote, service, packet::kTcpSyn, 0), kRouter,
                              21 + uint32_t(i % 7), 0);
      dataplane::Packet p;
      std::memcpy(buffer.data() + kHeadroom, syn.data(), syn.size());
      p.data = buffer.data() + kHeadroom;
      p.size = uint16_t(syn.size());
      p.headroom = kHeadroom;
      p.capacity = uint16_t(kBufferSize - kHeadroom);
      translator.process({&p, 1}, 10);
      if (p.verdict != dataplane::Verdict::encapsulate) std::abort();
      const uint16_t nat_port = packet::parse_ip({p.data, p.size}).tuple.src_port;
      packets.push_back(geneve(tcp(inside, port, kRemote, service, packet::kTcpAck, payload),
                               kRouter, 21 + uint32_t(i % 7), 0));
      packets.push_back(geneve(tcp(kRemote, service, kNat, nat_port, packet::kTcpAck, payload),
                               kEdge, 0, packet::kVpcFlagFromHyperplane));
    }
    table.clear_journal();
  }
};

template <bool kTranslate>
void run(benchmark::State& state) {
  Node node(size_t(state.range(0)), size_t(state.range(1)));
  std::vector<uint8_t> storage(kBatch * kBufferSize);
  std::vector<dataplane::Packet> batch(kBatch);
  size_t next = 0;
  uint64_t good = 0, packets = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kBatch; ++i) {
      const std::vector<uint8_t>& source = node.packets[next];
      if (++next == node.packets.size()) next = 0;
      uint8_t* at = storage.data() + i * kBufferSize + kHeadroom;
      std::memcpy(at, source.data(), source.size());
      dataplane::Packet& p = batch[i];
      p = {};
      p.data = at;
      p.size = uint16_t(source.size());
      p.headroom = kHeadroom;
      p.capacity = uint16_t(kBufferSize - kHeadroom);
    }
    if constexpr (kTranslate) {
      node.translator.process(batch, 11);
      node.table.clear_journal();  // (nothing is created: established flows)
      for (const dataplane::Packet& p : batch) {
        good += p.verdict == dataplane::Verdict::encapsulate;
      }
    } else {
      for (const dataplane::Packet& p : batch) good += packet::parse_ip({p.data, p.size}).ok();
    }
    benchmark::DoNotOptimize(storage.data());
    packets += kBatch;
  }
  if (good != packets) state.SkipWithError("a packet was not translated");
  state.SetItemsProcessed(int64_t(packets));
}

void BM_NatNodeEstablished(benchmark::State& state) {
  run<true>(state);
}
void BM_NatNodePeerCopyParse(benchmark::State& state) {
  run<false>(state);
}
BENCHMARK(BM_NatNodeEstablished)->Args({10'000, 6})->Args({10'000, 1400})->Args({1'000'000, 6});
BENCHMARK(BM_NatNodePeerCopyParse)->Args({10'000, 6})->Args({10'000, 1400})->Args({1'000'000, 6});

}  // namespace

BENCHMARK_MAIN();
