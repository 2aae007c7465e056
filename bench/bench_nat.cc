// NAT gateway translation per packet, in memory, one core (issue #12): hyperplane::NatTable
// on real IPv4 packets, against a peer measured in the same run — the same loop without the
// translation (copy the packet into the batch buffer and parse it), so the ratio is what the
// NAT itself costs on top of touching and parsing the packet.
//
// Every packet's verdict is checked: a packet that is not `translated` fails the benchmark.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <span>
#include <vector>

#include "hyperplane/flow_replication.h"
#include "hyperplane/nat_table.h"
#include "hyperplane/replicator.h"
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

// Replication's per-flow work on the owner, as hyperplane::Replicator::drain does it: each
// journal entry (created or retired flow) encoded as a record into the datagram of each of the
// shard's other nodes (k = 3: two peers), the header written when a datagram is full. The
// datagrams are not sent (no socket: the system call is measured by io_loopback_bench).
struct ReplicationEncoder {
  static constexpr size_t kPeers = 2;
  std::array<std::array<uint8_t, openvpc::hyperplane::kMaxReplicationDatagram>, kPeers> out{};
  std::array<uint16_t, kPeers> count{};
  uint64_t records = 0, datagrams = 0;

  void drain(NatTable& table) {
    using namespace openvpc::hyperplane;
    for (const NatJournalEntry& e : table.journal()) {
      const ReplicationRecord record{e.retired ? ReplicationOp::erase : ReplicationOp::upsert,
                                     e.gateway_number, e.flow};
      for (size_t p = 0; p < kPeers; ++p) {
        encode_record(out[p].data() + kReplicationHeaderSize + count[p] * kReplicationRecordSize,
                      record);
        ++records;
        if (++count[p] == kMaxRecords) {
          encode_header(out[p].data(), {0, count[p], records});
          benchmark::DoNotOptimize(out[p].data());
          ++datagrams;
          count[p] = 0;
        }
      }
    }
    table.clear_journal();
  }
};

// A new translation: a SYN from a new inside port takes a flow and a port, and the remote's RST
// retires it (steady state over `live` other flows). Items are new translations. With
// kReplicate the journal is drained every 16 new flows (32 entries: one batch) and encoded for
// two peers; the plain case is its peer in the same run (it leaves the journal full, which
// costs one comparison per entry).
// One new translation and its retirement at a time: a SYN from a fresh inside port (and address
// every 60k) out, the remote's RST back in; true when both were translated.
struct FlowChurn {
  std::vector<uint8_t> syn_template = tcp(0x0b000001, 1, kRemote, 80, packet::kTcpSyn, 0);
  std::vector<uint8_t> rst_template = tcp(kRemote, 80, kNat, 1, packet::kTcpRst, 0);
  std::vector<uint8_t> buffer = std::vector<uint8_t>(2048), rst = rst_template;
  uint64_t n = 0;

  bool next(NatTable& table, uint32_t now) {
    std::memcpy(buffer.data(), syn_template.data(), syn_template.size());
    const std::span<uint8_t> syn(buffer.data(), syn_template.size());
    const uint32_t inside = 0x0b000001 + uint32_t(n / 60000);
    const auto port = uint16_t(1024 + n % 60000);
    ++n;
    auto meta = packet::parse_ip(syn);
    packet::store_be32(&buffer[12], inside);
    packet::store_be16(&buffer[meta.l4_offset], port);
    packet::store_be16(&buffer[10], 0);  // the parser verifies the header checksum
    packet::store_be16(&buffer[10], packet::ipv4_header_checksum(buffer.data(), 20));
    meta = packet::parse_ip(syn);  // (the TCP checksum is now stale: the NAT only updates it)
    bool ok = table.translate_out(syn, meta, 0, now) == NatVerdict::translated;
    const auto out = packet::parse_ip(syn);
    std::memcpy(rst.data(), rst_template.data(), rst_template.size());
    packet::store_be16(&rst[20 + 2], out.tuple.src_port);  // 20: no IP options
    const auto rst_meta = packet::parse_ip(rst);
    ok &= table.translate_in(rst, rst_meta, 0, now) == NatVerdict::translated;
    return ok;
  }
};

template <bool kReplicate>
void new_flows(benchmark::State& state) {
  const auto live = size_t(state.range(0));
  Established flows(live, 6);
  ReplicationEncoder encoder;
  flows.table.clear_journal();
  FlowChurn churn;
  uint64_t ok = 0;
  for (auto _ : state) {
    ok += churn.next(flows.table, 3);
    if (kReplicate && churn.n % 16 == 0) encoder.drain(flows.table);
  }
  const uint64_t n = churn.n;
  if (ok != n) state.SkipWithError("a packet was not translated");
  // Every new flow and every retirement reached both peers' datagrams.
  if (kReplicate && encoder.records != 2 * ReplicationEncoder::kPeers * (n - n % 16)) {
    state.SkipWithError("a flow was not replicated");
  }
  state.SetItemsProcessed(int64_t(n));
  if (kReplicate) state.counters["datagrams"] = double(encoder.datagrams);
}

void BM_NatNewFlow(benchmark::State& state) {
  new_flows<false>(state);
}
void BM_NatNewFlowReplicated(benchmark::State& state) {
  new_flows<true>(state);
}
BENCHMARK(BM_NatNewFlow)->Arg(10'000);
BENCHMARK(BM_NatNewFlowReplicated)->Arg(10'000);

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// Replication between two nodes over loopback UDP (127.31.83.1 -> .2, port 6082), end to end:
// per iteration node A creates and retires 16 flows (32 journal entries), drains them into one
// datagram, and node B receives it and applies the 32 records to its table. B's histogram
// gives the send-to-apply latency (p50/p99 counters, microseconds, bucket upper bounds). Items
// are records; every one must be applied (16 inserted, 16 erased) or the run fails.
void BM_ReplicationLoopback(benchmark::State& state) {
  using namespace openvpc::hyperplane;
  constexpr uint32_t kA = 0x7f1f5301, kB = 0x7f1f5302;
  auto a = Replicator::open(kA);
  auto b = Replicator::open(kB);
  if (!a || !b) return state.SkipWithError("cannot bind 127.31.83.1-2:6082");
  NatTable table_a(1 << 14), table_b(1 << 14);
  NatGatewayConfig ga = one_gateway(), gb = one_gateway();
  ga.ranges = {slot_range(0, 2)};
  gb.ranges = {slot_range(1, 2)};
  table_a.set_gateways({ga});
  table_b.set_gateways({gb});
  a->set_shards({{1, 0, {kB}}}, 0);
  b->set_shards({{1, 0, {kA}}}, 0);
  a->pump(table_a, 1 << 20, Replicator::kBulkDelayNs);  // the (empty) bulk sync toward B
  FlowChurn churn;
  uint64_t ok = 0, expected = 0;
  for (auto _ : state) {
    for (int i = 0; i < 16; ++i) ok += churn.next(table_a, 3);
    a->drain(table_a, monotonic_ns());
    expected += 32;
    while (b->stats().records_received < expected) {
      pollfd p{b->fd(), POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) return state.SkipWithError("a datagram was lost");
      b->receive(table_b, 3, monotonic_ns());
    }
  }
  const auto& applied = b->stats().applied;
  if (ok != churn.n || applied[size_t(ReplicaResult::inserted)] != churn.n ||
      applied[size_t(ReplicaResult::erased)] != churn.n || table_b.flows() != 0) {
    return state.SkipWithError("a flow was not replicated");
  }
  state.SetItemsProcessed(int64_t(expected));
  state.counters["p50_us"] = double(b->latency().quantile_ns(0.5)) / 1e3;
  state.counters["p99_us"] = double(b->latency().quantile_ns(0.99)) / 1e3;
}

// The peer: the same size datagram (16 + 32 records) over a plain UDP socket pair on loopback
// (127.31.83.3 -> .4), sent and received one at a time, no encoding and no table.
void BM_PeerLoopbackUdp(benchmark::State& state) {
  const int tx = ::socket(AF_INET, SOCK_DGRAM, 0), rx = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in from{}, to{};
  from.sin_family = to.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x7f1f5303);
  to.sin_addr.s_addr = htonl(0x7f1f5304);
  to.sin_port = htons(6082);
  if (::bind(tx, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::bind(rx, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(tx);
    ::close(rx);
    return state.SkipWithError("cannot bind 127.31.83.3-4");
  }
  std::vector<uint8_t> datagram(openvpc::hyperplane::kMaxReplicationDatagram, 0x5a), in(2048);
  uint64_t received = 0;
  for (auto _ : state) {
    ::sendto(tx, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd p{rx, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) break;
    received += ::recv(rx, in.data(), in.size(), 0) == ssize_t(datagram.size());
  }
  ::close(tx);
  ::close(rx);
  if (received != uint64_t(state.iterations())) return state.SkipWithError("a datagram was lost");
  state.SetItemsProcessed(int64_t(received * 32));
}
BENCHMARK(BM_ReplicationLoopback)->UseRealTime();
BENCHMARK(BM_PeerLoopbackUdp)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
