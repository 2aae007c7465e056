// NAT gateway translation per packet, in memory, one core (issue #12): hyperplane::NatTable
// on real IPv4 packets, against a peer measured in the same run — the same loop without the
// translation (copy the packet into the batch buffer and parse it), so the ratio is what the
// NAT itself costs on top of touching and parsing the packet.
//
// Every packet's verdict is checked: a packet that is not `translated` fails the benchmark.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <span>
#include <vector>

#include "hyperplane/nat_table.h"
#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"

namespace {

using openvpc::hyperplane::NatGatewayConfig;
using openvpc::hyperplane::NatTable;
using openvpc::hyperplane::NatVerdict;
namespace packet = openvpc::packet;

constexpr uint32_t kNat = 0x0a000164;     // 10.0.1.100
constexpr uint32_t kRemote = 0xcb00710a;  // 203.0.113.10
constexpr size_t kBatch = 32;

NatGatewayConfig one_gateway() {
  NatGatewayConfig config;
  config.number = 1;
  config.addresses = {kNat};
  config.ranges = {openvpc::hyperplane::slot_range(0, 1)};
  config.cap_per_range = openvpc::hyperplane::slot_cap(0, 1);
  return config;
}

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

// `flows` established TCP flows from distinct inside sources to one remote address; the packets
// alternate: one from inside, the reply from outside, over all flows.
struct Established {
  NatTable table;
  std::vector<std::vector<uint8_t>> packets;  // out, in, out, in, ...

  Established(size_t flows, size_t payload) : table(flows + 1024) {
    table.set_gateways({one_gateway()});
    for (size_t i = 0; i < flows; ++i) {
      const uint32_t inside = 0x0a000a00 + uint32_t(i >> 14);
      const auto port = uint16_t(1024 + (i & 0x3fff));
      const auto service = uint16_t(1000 + i / 50'000);  // EC2's cap: 55,000 per destination
      auto syn = tcp(inside, port, kRemote, service, packet::kTcpSyn, 0);
      const auto meta = packet::parse_ip(syn);
      if (table.translate_out(syn, meta, 0, 1) != NatVerdict::translated) std::abort();
      const uint16_t nat_port = packet::parse_ip(syn).tuple.src_port;
      packets.push_back(tcp(inside, port, kRemote, service, packet::kTcpAck, payload));
      packets.push_back(tcp(kRemote, service, kNat, nat_port, packet::kTcpAck, payload));
    }
  }
};

// Copies a batch of packets into the batch buffers (as a NIC ring would hand them over) and
// parses each; then, with kTranslate, prefetches (index slots, then flows) and translates.
template <bool kTranslate>
void run(benchmark::State& state) {
  Established flows(size_t(state.range(0)), size_t(state.range(1)));
  std::vector<std::vector<uint8_t>> batch(kBatch, std::vector<uint8_t>(2048));
  std::array<packet::PacketMeta, kBatch> metas;
  std::array<std::span<uint8_t>, kBatch> buffers;
  std::array<uint64_t, kBatch> hashes{};
  size_t next = 0;
  uint64_t translated = 0, packets = 0, bytes = 0;
  for (auto _ : state) {
    const size_t first = next;  // even: the batch starts with a packet from inside
    for (size_t i = 0; i < kBatch; ++i) {
      const std::vector<uint8_t>& source = flows.packets[next];
      if (++next == flows.packets.size()) next = 0;
      std::memcpy(batch[i].data(), source.data(), source.size());
      buffers[i] = std::span<uint8_t>(batch[i].data(), source.size());
      metas[i] = packet::parse_ip(buffers[i]);
      bytes += source.size();
    }
    if constexpr (kTranslate) {
      for (size_t i = 0; i < kBatch; ++i) {
        hashes[i] = flows.table.prefetch_index(metas[i], ((first + i) & 1) != 0);
      }
      for (size_t i = 0; i < kBatch; ++i) flows.table.prefetch_flow(hashes[i], (first + i) & 1);
      for (size_t i = 0; i < kBatch; ++i) {
        const bool out = ((first + i) & 1) == 0;
        const NatVerdict v = out ? flows.table.translate_out(buffers[i], metas[i], 0, 2)
                                 : flows.table.translate_in(buffers[i], metas[i], 0, 2);
        translated += v == NatVerdict::translated;
      }
    } else {
      for (size_t i = 0; i < kBatch; ++i) translated += metas[i].ok();
    }
    benchmark::DoNotOptimize(batch.data());
    packets += kBatch;
  }
  if (translated != packets) state.SkipWithError("a packet was not translated");
  state.SetItemsProcessed(int64_t(packets));
  state.SetBytesProcessed(int64_t(bytes));
}

void BM_NatEstablished(benchmark::State& state) {
  run<true>(state);
}
void BM_NatPeerCopyParse(benchmark::State& state) {
  run<false>(state);
}
BENCHMARK(BM_NatEstablished)->Args({10'000, 6})->Args({10'000, 1400})->Args({1'000'000, 6});
BENCHMARK(BM_NatPeerCopyParse)->Args({10'000, 6})->Args({10'000, 1400})->Args({1'000'000, 6});

// A new translation: a SYN from a new inside port takes a flow and a port, and the remote's RST
// retires it (steady state over `live` other flows). Items are new translations.
void BM_NatNewFlow(benchmark::State& state) {
  const auto live = size_t(state.range(0));
  Established flows(live, 6);
  const auto syn_template = tcp(0x0b000001, 1, kRemote, 80, packet::kTcpSyn, 0);
  const auto rst_template = tcp(kRemote, 80, kNat, 1, packet::kTcpRst, 0);
  std::vector<uint8_t> buffer(2048), rst(rst_template);
  uint64_t n = 0, ok = 0;
  for (auto _ : state) {
    std::memcpy(buffer.data(), syn_template.data(), syn_template.size());
    const std::span<uint8_t> syn(buffer.data(), syn_template.size());
    // A distinct source port (and address every 60k) per new flow, patched into the template.
    const uint32_t inside = 0x0b000001 + uint32_t(n / 60000);
    const auto port = uint16_t(1024 + n % 60000);
    auto meta = packet::parse_ip(syn);
    packet::store_be32(&buffer[12], inside);
    packet::store_be16(&buffer[meta.l4_offset], port);
    packet::store_be16(&buffer[10], 0);  // the parser verifies the header checksum
    packet::store_be16(&buffer[10], packet::ipv4_header_checksum(buffer.data(), 20));
    meta = packet::parse_ip(syn);  // (the TCP checksum is now stale: the NAT only updates it)
    ok += flows.table.translate_out(syn, meta, 0, 3) == NatVerdict::translated;
    const auto out = packet::parse_ip(syn);
    std::memcpy(rst.data(), rst_template.data(), rst_template.size());
    packet::store_be16(&rst[20 + 2], out.tuple.src_port);  // 20: no IP options
    const auto rst_meta = packet::parse_ip(rst);
    ok += flows.table.translate_in(rst, rst_meta, 0, 3) == NatVerdict::translated;
    ++n;
  }
  if (ok != 2 * n) state.SkipWithError("a packet was not translated");
  state.SetItemsProcessed(int64_t(n));
}
BENCHMARK(BM_NatNewFlow)->Arg(10'000);

}  // namespace

BENCHMARK_MAIN();
