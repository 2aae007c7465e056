// bench_edge.cc — the internet gateway's edge translation per packet, in memory, one core
// (issue #11): edge::EdgeTranslator over a table of 10,000 public IPv4 addresses, batches of
// 256, both directions, against peers measured in the same run on the same packets:
//   BM_EdgeOut/N   from hosts: Geneve (outer IPv4/UDP/Geneve/VPC option) + an inner IPv4/TCP
//                  packet of N bytes -> source made public, sent outside as an Ethernet frame
//   BM_EdgeIn/N    from outside: Ethernet + IPv4/TCP of N bytes to a public address -> TTL - 1,
//                  destination made private, Geneve-encapsulated to the ENI's host
//   BM_PeerCopyParse/N/D   the same loop without the translation: copy each packet of
//                  direction D (0 out, 1 in) into its receive buffer (as a port would), parse it
//   BM_PeerCopyChecksum/N/D  copy, parse, and recompute the inner IPv4 header and TCP
//                  checksums from scratch: what a NAT without incremental updates would do
// N = 50 (a 64-byte frame from outside) or 1400. Flows cycle over all 10,000 bindings.
//
// Every packet's verdict is checked after each batch: one that is not translated (deliver out,
// encapsulate in) fails the benchmark — a dropped packet is not throughput.
//
// Instructions per packet (bench/README.md): a fixed run counted only inside
// measure_steady_state, Ir divided by the packets the binary prints:
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measure_steady_state*'
//       build/bench/bench_edge --instructions=out:50     (or in:50, out:1400, in:1400)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "edge/edge_translator.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"

namespace {

using namespace openvpc;
using dataplane::Verdict;
using packet::IpAddress;

constexpr uint32_t kBindings = 10'000;
constexpr size_t kBatch = 256;
constexpr size_t kHeadroom = 128;
constexpr size_t kBufferSize = 2048;
constexpr uint32_t kEdge = 0xc0a80064;         // 192.168.0.100
constexpr uint32_t kOutsideHost = 0xc6336407;  // 198.51.100.7
constexpr uint32_t kGateway = 0xc6336401;      // 198.51.100.1
const auto kGatewayMac = program::mac_literal("02:9a:00:00:00:01");
const auto kEdgeMac = program::mac_literal("02:ed:00:00:00:02");

uint32_t private_of(uint32_t i) {
  return 0x0a010000 + i;  // 10.1.x.y
}
uint32_t public_of(uint32_t i) {
  return 0x64400000 + i;  // 100.64.x.y
}
uint32_t host_of(uint32_t i) {
  return 0xc0a80100 + i % 200;  // 192.168.1.0-199
}

program::Program bench_program() {
  program::Program p;
  p.generation = 1;
  p.host_underlay = IpAddress::v4(kEdge);
  p.vpcs = {{7, "bench", {program::cidr_literal("10.0.0.0/8")}}};
  for (uint32_t i = 0; i < kBindings; ++i) {
    p.mappings.push_back({7, IpAddress::v4(private_of(i)), IpAddress::v4(host_of(i)), 1000 + i,
                          true, IpAddress::v4(public_of(i))});
  }
  return p;
}

std::vector<uint8_t> tcp(uint32_t src, uint32_t dst, size_t ip_size) {
  packet::TcpSpec t;
  t.src_port = 40000;
  t.dst_port = 443;
  t.seq = 12345;
  t.flags = packet::kTcpAck;
  std::vector<uint8_t> payload(ip_size - 40);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i);
  return packet::build_tcp({.src = IpAddress::v4(src), .dst = IpAddress::v4(dst)}, t, payload);
}

enum class Direction { out, in };

// kBindings packets, one per binding, all of the same size.
std::vector<std::vector<uint8_t>> packets(Direction d, size_t ip_size) {
  std::vector<std::vector<uint8_t>> all;
  for (uint32_t i = 0; i < kBindings; ++i) {
    if (d == Direction::out) {
      packet::GeneveEncap e;
      e.outer_src_v4 = host_of(i);
      e.outer_dst_v4 = kEdge;
      e.src_port = uint16_t(49152 + i % 1000);
      e.vni = 7;
      e.source_eni = 1000 + i;
      all.push_back(packet::build_geneve(e, tcp(private_of(i), kOutsideHost, ip_size)));
    } else {
      all.push_back(packet::with_ethernet({kGatewayMac, kEdgeMac, std::nullopt},
                                          tcp(kOutsideHost, public_of(i), ip_size)));
    }
  }
  return all;
}

struct Bench {
  Bench(Direction d, size_t ip_size)
      : direction(d),
        source(packets(d, ip_size)),
        translator(config()),
        buffers(kBatch * kBufferSize),
        batch(kBatch) {
    auto table = edge::compile_edge_table(bench_program());
    if (!table) std::abort();
    translator.set_table(*table);
    // Learn the outside gateway's MAC, as the edge does at start.
    auto arp = packet::build_arp_request(kGatewayMac, IpAddress::v4(kGateway),
                                         IpAddress::v4(config().outside_address));
    arp.resize(128);
    dataplane::Packet p;
    p.data = arp.data();
    p.size = 42;
    p.capacity = 128;
    p.in_port = {dataplane::PortKind::gateway, 0};
    translator.process({&p, 1});
    if (!translator.next_hop_known()) std::abort();
  }
  static edge::EdgeConfig config() {
    edge::EdgeConfig c;
    c.outside_address = 0xc6336402;
    c.outside_gateway = kGateway;
    c.outside_mac = kEdgeMac;
    return c;
  }
  // Copies the next kBatch packets into the receive buffers.
  void receive() {
    for (size_t i = 0; i < kBatch; ++i) {
      const std::vector<uint8_t>& bytes = source[next];
      if (++next == source.size()) next = 0;
      uint8_t* buffer = &buffers[i * kBufferSize];
      std::memcpy(buffer + kHeadroom, bytes.data(), bytes.size());
      dataplane::Packet& p = batch[i];
      p = dataplane::Packet{};
      p.data = buffer + kHeadroom;
      p.size = uint16_t(bytes.size());
      p.headroom = kHeadroom;
      p.capacity = uint16_t(kBufferSize - kHeadroom);
      p.in_port = direction == Direction::out ? dataplane::Port::underlay()
                                              : dataplane::Port{dataplane::PortKind::gateway, 0};
    }
  }
  // Packets of the batch with the translated verdict.
  size_t translated() const {
    const Verdict want = direction == Direction::out ? Verdict::deliver : Verdict::encapsulate;
    size_t n = 0;
    for (const auto& p : batch) n += p.verdict == want;
    return n;
  }

  Direction direction;
  std::vector<std::vector<uint8_t>> source;
  size_t next = 0;
  edge::EdgeTranslator translator;
  std::vector<uint8_t> buffers;
  std::vector<dataplane::Packet> batch;
};

void report(benchmark::State& state, uint64_t packets, uint64_t good, size_t wire_bytes) {
  if (good != packets) state.SkipWithError("a packet was not translated");
  state.SetItemsProcessed(int64_t(packets));
  state.SetBytesProcessed(int64_t(packets * wire_bytes));
  state.counters["Mpps"] = benchmark::Counter(double(packets) / 1e6, benchmark::Counter::kIsRate);
}

void edge_run(benchmark::State& state, Direction d) {
  Bench bench(d, size_t(state.range(0)));
  uint64_t packets = 0, good = 0;
  for (auto _ : state) {
    bench.receive();
    bench.translator.process(bench.batch);
    good += bench.translated();
    packets += kBatch;
  }
  report(state, packets, good, bench.source[0].size());
}

void BM_EdgeOut(benchmark::State& state) {
  edge_run(state, Direction::out);
}
void BM_EdgeIn(benchmark::State& state) {
  edge_run(state, Direction::in);
}

// The peers: the same packets of the same direction (range(1): 0 out, 1 in), copied into the
// receive buffers and parsed; with kChecksum, the inner packet's IPv4 header and TCP checksums
// are recomputed from scratch too. A packet counts when it parsed.
template <bool kChecksum>
void peer_run(benchmark::State& state) {
  const bool outbound = state.range(1) == 0;
  Bench bench(outbound ? Direction::out : Direction::in, size_t(state.range(0)));
  uint64_t packets = 0, good = 0;
  for (auto _ : state) {
    bench.receive();
    for (dataplane::Packet& p : bench.batch) {
      const std::span<uint8_t> bytes(p.data, p.size);
      const packet::PacketMeta meta =
          outbound ? packet::parse_ip(bytes) : packet::parse_frame(bytes);
      const bool ok = meta.ok();
      if constexpr (kChecksum) {
        uint8_t* ip = p.data + meta.l3_offset;
        packet::store_be16(ip + 10, 0);
        packet::store_be16(ip + 10, packet::ipv4_header_checksum(ip, 20));
        uint8_t* l4 = p.data + meta.l4_offset;
        packet::store_be16(l4 + 16, 0);
        const uint16_t sum = packet::l4_checksum(meta.tuple.src, meta.tuple.dst, packet::kProtoTcp,
                                                 l4, meta.l3_size - 20u);
        packet::store_be16(l4 + 16, sum);
      }
      p.verdict = ok ? Verdict::deliver : Verdict::drop;
      good += ok;
    }
    benchmark::DoNotOptimize(bench.buffers.data());
    packets += kBatch;
  }
  report(state, packets, good, bench.source[0].size());
}

void BM_PeerCopyParse(benchmark::State& state) {
  peer_run<false>(state);
}
void BM_PeerCopyChecksum(benchmark::State& state) {
  peer_run<true>(state);
}

BENCHMARK(BM_EdgeOut)->Arg(50)->Arg(1400)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EdgeIn)->Arg(50)->Arg(1400)->Unit(benchmark::kMicrosecond);
// Args: IP size, direction (0 out, 1 in).
BENCHMARK(BM_PeerCopyParse)->ArgsProduct({{50, 1400}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PeerCopyChecksum)->ArgsProduct({{50, 1400}, {0, 1}})->Unit(benchmark::kMicrosecond);

// The callgrind mode's measured part: `batches` batches (copy + translate + verdict check).
__attribute__((noinline)) uint64_t measure_steady_state(Bench& bench, size_t batches,
                                                        uint64_t& good) {
  uint64_t packets = 0;
  for (size_t b = 0; b < batches; ++b) {
    bench.receive();
    bench.translator.process(bench.batch);
    good += bench.translated();
    packets += kBatch;
  }
  return packets;
}

int instructions_mode(const std::string& spec) {
  const Direction d = spec.rfind("in", 0) == 0 ? Direction::in : Direction::out;
  const size_t ip_size = std::stoul(spec.substr(spec.find(':') + 1));
  Bench bench(d, ip_size);
  for (size_t b = 0; b < 40; ++b) {  // warm-up: every binding touched once
    bench.receive();
    bench.translator.process(bench.batch);
  }
  uint64_t good = 0;
  const uint64_t packets = measure_steady_state(bench, 200, good);
  std::printf("packets %llu translated %llu direction %s ip_size %zu\n",
              (unsigned long long)packets, (unsigned long long)good,
              d == Direction::in ? "in" : "out", ip_size);
  return good == packets ? 0 : 1;
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
