// bench_dataplane.cc — in-memory pipeline throughput (one core) and instructions per packet.
//
// Program: one local ENI sending to remote ENIs; 50 SG rules (the matching egress rule last),
// 20 NACL entries (the allow last), 50 routes, 100k (VPC, IP) -> host mappings.
// Traffic: 64-byte TCP frames (Ethernet + IPv4 + TCP + 10 bytes), encapsulated to remote hosts.
//   BM_CachedFlows/N  N active flows, every flow already in the flow cache (the fast path).
//   BM_NewFlows       every packet starts a new flow (slow path + connection + flow install).
//   BM_ShapedBulk/Q   64 cached flows of an ENI over its bandwidth allowance: every packet is
//                     copied into the ENI's queue and released as the bucket pays (pipeline_
//                     shaper.cc); Q 0 = the fair queue alone, 1 = with CoDel (fq_codel).
// Each batch first copies the 256 frames into the buffers (as a port's receive would), then
// runs Pipeline::process; both are timed.
//
// Instructions per packet (bench/README.md): run one mode under callgrind, counting only the
// steady state (the function measure_steady_state), and divide Ir by the packets printed:
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measure_steady_state*'
//       build-dp/bench/bench_dataplane --instructions=cached:1000   (or new:0)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/pipeline.h"
#include "packet/builder.h"
#include "packet/checksum.h"

namespace {

using namespace openvpc;
using program::cidr_literal;
using program::Direction;

constexpr uint32_t kMappings = 100'000;
constexpr size_t kBatch = 256;
constexpr size_t kHeadroom = 128;
constexpr size_t kFrameSize = 64;
constexpr size_t kBufferSize = 256;
const auto kHost = packet::IpAddress::v4(0xc0a80001);      // 192.168.0.1
const auto kSourceIp = packet::IpAddress::v4(0x0a000005);  // 10.0.0.5
const auto kSourceMac = program::mac_literal("02:00:00:00:00:05");
const auto kRouterMac = program::mac_literal("02:00:00:00:00:01");

packet::IpAddress destination(uint32_t i) {
  return packet::IpAddress::v4(0x0a010000 + i);
}

program::Program bench_program() {
  program::Program p;
  p.generation = 1;
  p.host_underlay = kHost;
  p.router_mac = kRouterMac;
  p.vpcs = {{7, "bench", {cidr_literal("10.0.0.0/8")}}};
  p.subnets = {{11, "a", 7, cidr_literal("10.0.0.0/16"), 31, 21}};
  program::RouteTable table{21, "main", 7, {}};
  for (uint32_t i = 0; i < 48; ++i) {  // 48 prefixes that never match the traffic
    table.routes.push_back({program::Cidr::make(packet::IpAddress::v4(0xac100000 + (i << 8)), 24),
                            program::RouteTargetKind::nat_gateway, 900 + i});
  }
  table.routes.push_back({cidr_literal("10.0.0.0/8"), program::RouteTargetKind::local, 0});
  table.routes.push_back(
      {cidr_literal("0.0.0.0/0"), program::RouteTargetKind::internet_gateway, 1});
  p.route_tables = {table};
  program::NetworkAcl acl{31, "acl", 7, {}};
  for (uint16_t i = 0; i < 19; ++i) {  // 19 entries that do not match, then the allow
    acl.entries.push_back({uint16_t(100 + i),
                           Direction::egress,
                           {17, {i, i}, -1, -1},
                           cidr_literal("0.0.0.0/0"),
                           program::AclAction::deny});
  }
  acl.entries.push_back(
      {200, Direction::egress, {}, cidr_literal("0.0.0.0/0"), program::AclAction::allow});
  p.network_acls = {acl};
  program::SecurityGroup group{41, "sg", 7, {}, {kSourceIp}};
  for (uint16_t i = 0; i < 49; ++i) {
    group.rules.push_back({Direction::egress,
                           {6, {uint16_t(1000 + i), uint16_t(1000 + i)}, -1, -1},
                           cidr_literal("10.0.0.0/8"),
                           0});
  }
  group.rules.push_back({Direction::egress, {6, {}, -1, -1}, cidr_literal("10.0.0.0/8"), 0});
  p.security_groups = {group};
  p.enis = {{1, "source", 11, kSourceMac, {kSourceIp}, {41}, true}};
  p.mappings.push_back({7, kSourceIp, kHost, 1, true});
  for (uint32_t i = 0; i < kMappings; ++i) {
    p.mappings.push_back(
        {7, destination(i), packet::IpAddress::v4(0xc0a80100 + (i % 200)), 1000 + i, true});
  }
  return p;
}

std::vector<uint8_t> frame(uint32_t flow) {
  packet::IpSpec ip{kSourceIp, destination(flow % kMappings), 64, 0, true, 0, 0, false};
  packet::TcpSpec tcp;
  tcp.src_port = uint16_t(20000 + flow / kMappings);
  tcp.dst_port = 443;
  tcp.flags = packet::kTcpAck;
  const uint8_t payload[10] = {};
  auto f = packet::with_ethernet({kSourceMac, kRouterMac, std::nullopt},
                                 packet::build_tcp(ip, tcp, payload));
  f.resize(kFrameSize);
  return f;
}

// A pipeline over the bench program and 256 receive buffers.
struct Bench {
  // capacity: flow-cache and connection-table entries each.
  explicit Bench(size_t capacity) : Bench(config(capacity)) {}
  explicit Bench(const dataplane::PipelineConfig& pipeline_config)
      : pipeline(publisher, pipeline_config), buffers(kBatch * kBufferSize) {
    auto compiled = dataplane::compile(bench_program());
    if (!compiled) std::abort();
    publisher.publish(*compiled);
    batch.resize(kBatch);
  }
  // The ENI's connection allowance (default 65,536) would drop the connections of flows past
  // it: every flow here must be able to hold one.
  static dataplane::PipelineConfig config(size_t capacity) {
    dataplane::PipelineConfig c;
    c.flow_capacity = capacity;
    c.connection_capacity = capacity;
    c.connection_settings.allowance = uint32_t(capacity);
    return c;
  }
  // Copies frames [first, first + kBatch) of `frames` (wrapping) into the buffers.
  void receive(const std::vector<uint8_t>& frames, size_t count, size_t first) {
    for (size_t i = 0; i < kBatch; ++i) {
      uint8_t* buffer = &buffers[i * kBufferSize];
      std::memcpy(buffer + kHeadroom, &frames[((first + i) % count) * kFrameSize], kFrameSize);
      batch[i] = dataplane::Packet{};
      batch[i].data = buffer + kHeadroom;
      batch[i].size = kFrameSize;
      batch[i].headroom = kHeadroom;
      batch[i].capacity = kBufferSize - kHeadroom;
      batch[i].in_port = dataplane::Port::eni(1);
    }
  }
  dataplane::ProgramPublisher publisher;
  dataplane::Pipeline pipeline;
  std::vector<uint8_t> buffers;
  std::vector<dataplane::Packet> batch;
};

std::vector<uint8_t> all_frames(size_t flows) {
  std::vector<uint8_t> frames(flows * kFrameSize);
  for (size_t f = 0; f < flows; ++f) {
    const auto bytes = frame(uint32_t(f));
    std::memcpy(&frames[f * kFrameSize], bytes.data(), kFrameSize);
  }
  return frames;
}

// A new flow per packet: patch the source port and destination of a template frame, and make
// it a SYN (a connection's first packet; the TCP checksum is not the router's to check).
void make_new_flow(uint8_t* frame_bytes, uint64_t n) {
  uint8_t* ip = frame_bytes + 14;
  ip[20 + 13] = packet::kTcpSyn;
  packet::store_be32(ip + 16, 0x0a010000 + uint32_t(n % kMappings));
  packet::store_be16(ip + 20, uint16_t(1024 + (n / kMappings) % 60000));
  packet::store_be16(ip + 10, 0);
  packet::store_be16(ip + 10, packet::ipv4_header_checksum(ip, 20));
}

// Room for every flow at a load factor of at most one half, so nothing is evicted.
size_t cached_capacity(size_t flows) {
  return flows * 2 + 4096;
}

void warm(Bench& bench, const std::vector<uint8_t>& frames, size_t flows) {
  for (size_t first = 0; first < flows; first += kBatch) {
    bench.receive(frames, flows, first);
    bench.pipeline.process(bench.batch, 1'000'000'000);
  }
}

void BM_CachedFlows(benchmark::State& state) {
  const size_t flows = size_t(state.range(0));
  const auto frames = all_frames(flows);
  Bench bench(cached_capacity(flows));
  warm(bench, frames, flows);
  const uint64_t hits_before = bench.pipeline.counters().flow_hits;
  const uint64_t misses_before = bench.pipeline.counters().flow_misses;
  size_t first = 0;
  for (auto _ : state) {
    bench.receive(frames, flows, first);
    bench.pipeline.process(bench.batch, 2'000'000'000);
    first = (first + kBatch) % flows;
  }
  const auto& c = bench.pipeline.counters();
  const double hits = double(c.flow_hits - hits_before);
  state.counters["hit_ratio"] = hits / (hits + double(c.flow_misses - misses_before));
  state.counters["Mpps"] =
      benchmark::Counter(double(state.iterations() * kBatch) / 1e6, benchmark::Counter::kIsRate);
  if (bench.batch[0].verdict != dataplane::Verdict::encapsulate) state.SkipWithError("no encap");
}
BENCHMARK(BM_CachedFlows)->Arg(1000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

// Arg: flow-cache and connection-table entries. The clock advances so that connections expire
// (SYN_SENT: 120 s) as fast as new ones come: a quarter of the table stays live, new connections
// take expired slots — the steady state of a busy router, not a table that fills once and then
// drops everything (a frozen clock did that). Every packet's verdict is checked.
void BM_NewFlows(benchmark::State& state) {
  const auto frames = all_frames(1);
  const auto capacity = size_t(state.range(0));
  Bench bench(capacity);
  const uint64_t step_ns = uint64_t(120e9 * double(kBatch) / double(capacity / 4));
  uint64_t n = 0, now_ns = 2'000'000'000, not_encapsulated = 0;
  dataplane::DropReason first_drop = dataplane::DropReason::none;
  for (auto _ : state) {
    bench.receive(frames, 1, 0);
    for (auto& p : bench.batch) make_new_flow(p.data, n++);
    bench.pipeline.process(bench.batch, now_ns);
    now_ns += step_ns;
    for (const auto& p : bench.batch) {
      if (p.verdict == dataplane::Verdict::encapsulate) continue;
      if (not_encapsulated++ == 0) first_drop = p.drop_reason;
    }
  }
  // Only flows whose packet left encapsulated count; the others are reported, and more than
  // 0.1 % of them fails the run.
  state.counters["new_flows_per_s"] =
      benchmark::Counter(double(n - not_encapsulated), benchmark::Counter::kIsRate);
  state.counters["dropped"] = double(not_encapsulated);
  state.counters["table_entries"] = double(bench.pipeline.connection_count());
  if (not_encapsulated * 1000 > n) {
    state.SkipWithError((std::to_string(not_encapsulated) + " packets not encapsulated, first: " +
                         std::string(dataplane::to_string(first_drop)))
                            .c_str());
  }
}
BENCHMARK(BM_NewFlows)->Arg(1 << 16)->Arg(1 << 21)->Unit(benchmark::kMicrosecond);

// The shaped path's cost, fair queue alone against fq_codel in one run. 32 frames of 64 flows
// a batch; the clock advances so that the ENI's 100 Mbit/s bucket pays for 95 % of what is
// offered: the queue stays backlogged (every packet is held, then released), and the 5 % over
// are dropped from the longest sub-queue. Only released packets count as throughput; every
// packet must be held or dropped from a full queue (anything else fails the run).
void BM_ShapedBulk(benchmark::State& state) {
  constexpr size_t kFlows = 64, kShapedBatch = 32;
  constexpr uint64_t kMegabits = 100;
  const auto frames = all_frames(kFlows);
  auto config = Bench::config(cached_capacity(kFlows));
  config.allowance.megabits_per_second = kMegabits;
  config.allowance.queue_bandwidth_out = true;
  config.bandwidth_queue_codel.enabled = state.range(0) != 0;
  Bench bench(config);
  const uint64_t batch_bytes = kShapedBatch * kFrameSize;
  const uint64_t step_ns = batch_bytes * 8 * 1000 / kMegabits * 95 / 100;  // 95 % paid
  uint64_t now_ns = 2'000'000'000, released = 0, unexpected = 0, offered = 0;
  size_t first = 0;
  // Warm-up, the clock stopped: the bucket's burst is spent and the queue fills.
  for (int i = 0; i < 100'000 && bench.pipeline.queued_count() < 60; ++i) {
    bench.receive(frames, kFlows, first);
    first = (first + kShapedBatch) % kFlows;
    bench.pipeline.process(dataplane::PacketBatch(bench.batch.data(), kShapedBatch), now_ns);
  }
  for (auto _ : state) {
    bench.receive(frames, kFlows, first);
    first = (first + kShapedBatch) % kFlows;
    now_ns += step_ns;
    bench.pipeline.process(dataplane::PacketBatch(bench.batch.data(), kShapedBatch), now_ns);
    offered += kShapedBatch;
    for (size_t i = 0; i < kShapedBatch; ++i) {
      const auto& p = bench.batch[i];
      const bool full = p.verdict == dataplane::Verdict::drop &&
                        p.drop_reason == dataplane::DropReason::bw_out_allowance_exceeded;
      unexpected += p.verdict != dataplane::Verdict::held && !full;
    }
    released += bench.pipeline.released().size();
  }
  state.counters["released_Mpps"] =
      benchmark::Counter(double(released) / 1e6, benchmark::Counter::kIsRate);
  state.counters["released_share"] = double(released) / double(offered);
  if (unexpected != 0 || released * 2 < offered) {
    state.SkipWithError((std::to_string(unexpected) +
                         " packets neither queued nor dropped "
                         "for a full queue, " +
                         std::to_string(released) + " of " + std::to_string(offered) + " released")
                            .c_str());
  }
}
BENCHMARK(BM_ShapedBulk)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The callgrind mode's measured part: `batches` batches after warm-up.
__attribute__((noinline)) uint64_t measure_steady_state(Bench& bench,
                                                        const std::vector<uint8_t>& frames,
                                                        size_t flows, bool new_flows,
                                                        size_t batches) {
  uint64_t packets = 0;
  for (size_t b = 0; b < batches; ++b) {
    bench.receive(frames, flows, (b * kBatch) % flows);
    if (new_flows) {
      for (auto& p : bench.batch) make_new_flow(p.data, packets + (&p - bench.batch.data()));
    }
    bench.pipeline.process(bench.batch, 2'000'000'000);
    packets += kBatch;
  }
  return packets;
}

int instructions_mode(const std::string& spec) {
  const bool new_flows = spec.rfind("new", 0) == 0;
  const size_t flows = new_flows ? 1 : std::stoul(spec.substr(spec.find(':') + 1));
  const auto frames = all_frames(flows);
  Bench bench(new_flows ? 1 << 16 : cached_capacity(flows));
  if (!new_flows) warm(bench, frames, flows);
  const size_t batches = 200;
  const uint64_t packets = measure_steady_state(bench, frames, flows, new_flows, batches);
  const auto& c = bench.pipeline.counters();
  std::printf("packets %llu hits %llu misses %llu stale %llu evictions %llu verdict %s\n",
              (unsigned long long)packets, (unsigned long long)c.flow_hits,
              (unsigned long long)c.flow_misses, (unsigned long long)c.flow_stale,
              (unsigned long long)c.flow_evictions,
              std::string(dataplane::to_string(bench.batch[0].verdict)).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--instructions=", 0) == 0) return instructions_mode(arg.substr(15));
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
