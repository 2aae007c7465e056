// A hyperplane node's network load balancer data path per packet, in memory, one core (issue
// #13), through the node's one pass (NatNodeTranslator handing load balancer packets to
// LbTranslator) on whole underlay packets (outer IPv4 / UDP / Geneve / VPC option / inner IPv4
// TCP) — parse, find the interface, look the flow up, rewrite, re-encapsulate:
//   BM_LbNodeEstablished: packets alternate client -> target and the target's reply, over
//     `flows` established TCP flows; every verdict is checked (encapsulate, else the benchmark
//     fails). BM_LbNodePeerCopyParse is the same loop without the node (copy and parse_ip).
//   BM_LbNodeNewConnections: SYNs from fresh client ports (a new flow each: Maglev pick over 3
//     targets, flow insert, journal); the table is replaced, untimed, when every port was used.
//   BM_MaglevBuild: the Maglev table a target group's health change rebuilds, for N targets at
//     the size rebuild_selection() picks (and the small size for comparison).
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

#include "hyperplane/lb_translator.h"
#include "hyperplane/nat_node_translator.h"
#include "packet/builder.h"
#include "packet/geneve.h"

namespace {

using namespace openvpc;
using hyperplane::LbTable;
using hyperplane::LbTranslator;

constexpr uint32_t kNode = 0x7f000c01;
constexpr uint32_t kRouter = 0x7f000101;
constexpr uint32_t kHosts[3] = {0x7f000201, 0x7f000202, 0x7f000203};
constexpr uint32_t kTargets[3] = {0x0a000201, 0x0a000202, 0x0a000203};
constexpr uint32_t kListener = 0x0a000132;
constexpr uint32_t kLbEni = 90;
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

std::vector<uint8_t> geneve(std::span<const uint8_t> inner, uint32_t from, uint32_t source_eni) {
  packet::GeneveEncap e;
  e.outer_src_v4 = from;
  e.outer_dst_v4 = kNode;
  e.src_port = 50000;
  e.vni = 7;
  e.source_eni = source_eni;
  e.destination_eni = kLbEni;
  return packet::build_geneve(e, inner);
}

hyperplane::LbConfig lb_config() {
  hyperplane::NodeLoadBalancer lb;
  lb.number = 5;
  lb.vni = 7;
  lb.interfaces = {{kLbEni, kListener}};
  hyperplane::LbTargetGroup group;
  group.id = 11;
  for (int t = 0; t < 3; ++t) {
    group.targets.push_back({kTargets[t], 8080, uint32_t(31 + t), kHosts[t], false, true});
  }
  hyperplane::rebuild_selection(group);
  lb.groups = {group};
  lb.listeners = {{80, hyperplane::LbProtocol::tcp, 0}};
  hyperplane::LbConfig config;
  config.underlay_v4 = kNode;
  config.lbs = {lb};
  return config;
}

uint32_t client_of(size_t i) {
  return 0x0a000a00 + uint32_t(i >> 14);
}
uint16_t port_of(size_t i) {
  return uint16_t(1024 + (i & 0x3fff));
}

struct Node {
  LbTable table;
  LbTranslator translator{table};
  hyperplane::NatTable nat{16};
  hyperplane::NatNodeTranslator node{nat};

  explicit Node(size_t capacity) : table(capacity, hyperplane::LbTimeouts{}, 1 << 20) {
    const uint32_t numbers[] = {5};
    table.set_load_balancers(numbers);
    translator.set_config(lb_config());
    hyperplane::NodeConfig config;
    config.underlay_v4 = kNode;
    node.set_config(config);
    node.set_lb(&translator);
  }
};

void fill(std::vector<dataplane::Packet>& batch, std::vector<uint8_t>& storage,
          const std::vector<std::vector<uint8_t>>& packets, size_t& next) {
  for (size_t i = 0; i < kBatch; ++i) {
    const std::vector<uint8_t>& source = packets[next];
    if (++next == packets.size()) next = 0;
    uint8_t* at = storage.data() + i * kBufferSize + kHeadroom;
    std::memcpy(at, source.data(), source.size());
    dataplane::Packet& p = batch[i];
    p = {};
    p.data = at;
    p.size = uint16_t(source.size());
    p.headroom = kHeadroom;
    p.capacity = uint16_t(kBufferSize - kHeadroom);
  }
}

template <bool kForward>
void established(benchmark::State& state) {
  const size_t flows = size_t(state.range(0));
  const size_t payload = size_t(state.range(1));
  const auto holder = std::make_unique<Node>(flows + 1024);
  Node& n = *holder;
  std::vector<std::vector<uint8_t>> packets;  // client, reply, client, reply, ...
  {
    std::vector<uint8_t> buffer(kBufferSize);
    for (size_t i = 0; i < flows; ++i) {
      const auto syn =
          geneve(tcp(client_of(i), port_of(i), kListener, 80, packet::kTcpSyn, 0), kRouter, 21);
      dataplane::Packet p;
      std::memcpy(buffer.data() + kHeadroom, syn.data(), syn.size());
      p.data = buffer.data() + kHeadroom;
      p.size = uint16_t(syn.size());
      p.headroom = kHeadroom;
      p.capacity = uint16_t(kBufferSize - kHeadroom);
      n.node.process({&p, 1}, 10);
      if (p.verdict != dataplane::Verdict::encapsulate) std::abort();
      const uint32_t target = packet::parse_ip({p.data, p.size}).tuple.dst.v4_host_order();
      const int t = int(target - kTargets[0]);
      packets.push_back(geneve(
          tcp(client_of(i), port_of(i), kListener, 80, packet::kTcpAck, payload), kRouter, 21));
      packets.push_back(
          geneve(tcp(target, 8080, client_of(i), port_of(i), packet::kTcpAck, payload), kHosts[t],
                 uint32_t(31 + t)));
    }
    n.table.clear_journal();
  }
  std::vector<uint8_t> storage(kBatch * kBufferSize);
  std::vector<dataplane::Packet> batch(kBatch);
  size_t next = 0;
  uint64_t good = 0, total = 0;
  for (auto _ : state) {
    fill(batch, storage, packets, next);
    if constexpr (kForward) {
      n.node.process(batch, 11);
      for (const dataplane::Packet& p : batch) good += p.verdict == dataplane::Verdict::encapsulate;
    } else {
      for (const dataplane::Packet& p : batch) good += packet::parse_ip({p.data, p.size}).ok();
    }
    benchmark::DoNotOptimize(storage.data());
    total += kBatch;
  }
  if (good != total) state.SkipWithError("a packet was not forwarded");
  state.SetItemsProcessed(int64_t(total));
}

void BM_LbNodeEstablished(benchmark::State& state) {
  established<true>(state);
}
void BM_LbNodePeerCopyParse(benchmark::State& state) {
  established<false>(state);
}
BENCHMARK(BM_LbNodeEstablished)->Args({10'000, 6})->Args({10'000, 1400})->Args({1'000'000, 6});
BENCHMARK(BM_LbNodePeerCopyParse)->Args({10'000, 6})->Args({10'000, 1400})->Args({1'000'000, 6});

void BM_LbNodeNewConnections(benchmark::State& state) {
  const size_t ports = size_t(state.range(0));  // distinct client tuples before a fresh table
  auto n = std::make_unique<Node>(ports + 1024);
  std::vector<std::vector<uint8_t>> packets;
  for (size_t i = 0; i < ports; ++i) {
    packets.push_back(
        geneve(tcp(client_of(i), port_of(i), kListener, 80, packet::kTcpSyn, 0), kRouter, 21));
  }
  std::vector<uint8_t> storage(kBatch * kBufferSize);
  std::vector<dataplane::Packet> batch(kBatch);
  size_t next = 0;
  uint64_t good = 0, total = 0;
  for (auto _ : state) {
    if (next + kBatch > packets.size()) {  // every tuple has its flow: start over, untimed
      state.PauseTiming();
      n.reset();
      n = std::make_unique<Node>(ports + 1024);
      next = 0;
      state.ResumeTiming();
    }
    fill(batch, storage, packets, next);
    n->node.process(batch, 11);
    n->table.clear_journal();  // the node drains it to the peers after every batch
    for (const dataplane::Packet& p : batch) good += p.verdict == dataplane::Verdict::encapsulate;
    total += kBatch;
  }
  if (good != total) state.SkipWithError("a SYN was not forwarded");
  if (n->table.counters(0)[size_t(hyperplane::LbMetric::NewFlowCount)] == 0) {
    state.SkipWithError("no new flow");
  }
  state.SetItemsProcessed(int64_t(total));
}
BENCHMARK(BM_LbNodeNewConnections)->Arg(1 << 20);

void BM_MaglevBuild(benchmark::State& state) {
  const size_t targets = size_t(state.range(0));
  const uint32_t size = uint32_t(state.range(1));
  std::vector<uint64_t> keys;
  for (size_t i = 0; i < targets; ++i) {
    keys.push_back(hyperplane::maglev_key(0x0a010000 + uint32_t(i), 8080));
  }
  for (auto _ : state) {
    hyperplane::MaglevTable table(keys, size);
    benchmark::DoNotOptimize(table.slots().data());
  }
  state.SetLabel(std::to_string(targets) + " targets, M=" + std::to_string(size));
}
BENCHMARK(BM_MaglevBuild)
    ->Args({1000, hyperplane::MaglevTable::kLargeSize})
    ->Args({1000, hyperplane::MaglevTable::kDefaultSize})
    ->Args({3, hyperplane::MaglevTable::kDefaultSize})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
