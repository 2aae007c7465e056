// bench_packet.cc — src/packet micro-benchmarks: parsing a 64-byte TCP frame, parsing a
// Geneve-encapsulated packet, and writing a Geneve encapsulation (ns per packet).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "packet/builder.h"
#include "packet/checksum.h"
#include "packet/geneve.h"
#include "packet/parser.h"

namespace {

using namespace openvpc::packet;

IpSpec tenant_ip() {
  return IpSpec{.src = *IpAddress::parse("10.0.1.5"), .dst = *IpAddress::parse("10.0.2.7")};
}

// Ethernet 14 + IPv4 20 + TCP 20 + 10 bytes of payload = a 64-byte frame.
std::vector<uint8_t> tcp_frame_64() {
  const std::vector<uint8_t> payload(10, 0x61);
  const auto frame = with_ethernet(
      FrameSpec{},
      build_tcp(tenant_ip(), TcpSpec{.src_port = 40000, .dst_port = 443, .flags = kTcpAck},
                payload));
  return frame;
}

void BM_ParseTcpFrame64(benchmark::State& state) {
  const auto frame = tcp_frame_64();
  if (frame.size() != 64 || !parse_frame(frame).ok()) state.SkipWithError("bad sample");
  for (auto _ : state) {
    PacketMeta meta = parse_frame(frame);
    benchmark::DoNotOptimize(meta);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseTcpFrame64);

void BM_ParseGeneveTcp(benchmark::State& state) {
  const GeneveEncap encap{.outer_src_v4 = 0x7f000101,
                          .outer_dst_v4 = 0x7f000102,
                          .src_port = 50000,
                          .vni = 1001,
                          .source_eni = 1,
                          .destination_eni = 2};
  const auto packet =
      build_geneve(encap, build_tcp(tenant_ip(), TcpSpec{.src_port = 1, .dst_port = 2}));
  if (!parse_ip(packet).ok()) state.SkipWithError("bad sample");
  for (auto _ : state) {
    PacketMeta meta = parse_ip(packet);
    benchmark::DoNotOptimize(meta);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseGeneveTcp);

// The data plane's encapsulation step: flow hash for the source port + the 52-byte header,
// written in front of an inner packet already in the buffer.
void BM_WriteGeneveEncap(benchmark::State& state) {
  const auto frame = tcp_frame_64();
  const PacketMeta meta = parse_frame(frame);
  std::vector<uint8_t> buffer(kGeneveEncapSize + frame.size());
  std::memcpy(buffer.data() + kGeneveEncapSize, frame.data() + 14, frame.size() - 14);
  GeneveEncap encap{.outer_src_v4 = 0x7f000101,
                    .outer_dst_v4 = 0x7f000102,
                    .vni = 1001,
                    .source_eni = 1,
                    .destination_eni = 2};
  for (auto _ : state) {
    encap.src_port = flow_source_port(meta.tuple);
    write_geneve_encap(buffer.data(), encap, uint16_t(frame.size() - 14));
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WriteGeneveEncap);

// NAT-style rewrite of a source address + port with incremental checksum updates.
void BM_IncrementalChecksumRewrite(benchmark::State& state) {
  uint16_t ip_checksum = 0x1234, tcp_checksum = 0x5678;
  uint32_t address = 0x0a000105;
  for (auto _ : state) {
    ip_checksum = checksum_update32(ip_checksum, address, address + 1);
    tcp_checksum = checksum_update32(tcp_checksum, address, address + 1);
    tcp_checksum = checksum_update16(tcp_checksum, 40000, 50000);
    ++address;
    benchmark::DoNotOptimize(ip_checksum);
    benchmark::DoNotOptimize(tcp_checksum);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IncrementalChecksumRewrite);

}  // namespace

BENCHMARK_MAIN();
