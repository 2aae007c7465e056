// bench_conntrack — connection-tracker throughput and memory (see bench/README.md, conntrack).
//
// BM_NewConnections/N: N new TCP connections (SYN -> SYN_SENT) opened in an empty table
//   sized for N (table construction and destruction not timed); items/s = new connections/s.
// BM_EstablishedPackets/N: ACK segments of N established connections (opened by mid-stream
//   pickup so filling is cheap), hit in a scattered order, with the incremental expiry sweep
//   the pipeline runs per batch; items/s = packets/s.
// Counter bytes_per_connection = table memory / N (key + state + tags + free slots).
#include <benchmark/benchmark.h>

#include <memory>

#include "dataplane/conntrack/conntrack_table.h"
#include "packet/builder.h"

namespace {

using namespace openvpc;

packet::PacketMeta template_segment(uint8_t flags) {
  packet::IpSpec ip;
  ip.src = packet::IpAddress::v4(0x0a000001);
  ip.dst = packet::IpAddress::v4(0x0aff0001);
  packet::TcpSpec tcp;
  tcp.src_port = 1024, tcp.dst_port = 80, tcp.seq = 1000, tcp.ack = 5000, tcp.flags = flags;
  return packet::parse_ip(packet::build_tcp(ip, tcp));
}

// Connection i's client endpoint: 2^24 addresses x ports.
void set_client(packet::PacketMeta& meta, uint64_t i) {
  meta.tuple.src = packet::IpAddress::v4(0x0a000000u | uint32_t(i & 0xffffff));
  meta.tuple.src_port = uint16_t(1024 + (i >> 24));
}

std::unique_ptr<conntrack::ConntrackTable> make_table(size_t n) {
  auto table = std::make_unique<conntrack::ConntrackTable>(n + n / 2, 1);
  conntrack::EniSettings settings;
  settings.allowance = uint32_t(n);
  table->configure_eni(0, settings);
  return table;
}

void BM_NewConnections(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  packet::PacketMeta meta = template_segment(packet::kTcpSyn);
  size_t failed = 0, bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto table = make_table(n);
    state.ResumeTiming();
    // As the pipeline would over a batch of new connections: buckets 16 packets ahead, the
    // slot 8 ahead (ConntrackTable::prefetch / prefetch_slot).
    constexpr size_t kBuckets = 16, kSlot = 8;
    packet::PacketMeta ahead = meta;
    for (size_t i = 0; i < n; ++i) {
      if (i + kBuckets < n) {
        set_client(ahead, i + kBuckets);
        table->prefetch(0, ahead.tuple);
      }
      if (i + kSlot < n) {
        set_client(ahead, i + kSlot);
        table->prefetch_slot(0, ahead.tuple);
      }
      set_client(meta, i);
      failed += !table->open(0, meta, 1).ok();
    }
    state.PauseTiming();
    bytes = table->memory_size();
    table.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(int64_t(state.iterations() * n));
  state.counters["bytes_per_connection"] = double(bytes) / double(n);
  state.counters["failed"] = double(failed);
}
BENCHMARK(BM_NewConnections)
    ->Arg(1 << 20)
    ->Arg(10'000'000)
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

void BM_EstablishedPackets(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  auto table = make_table(n);
  packet::PacketMeta meta = template_segment(packet::kTcpAck);
  for (size_t i = 0; i < n; ++i) {
    set_client(meta, i);
    table->open(0, meta, 1);
  }
  constexpr size_t kBatch = 256;
  constexpr uint64_t kStride = 2654435761u;  // scattered order over all connections
  uint64_t next = 0;
  size_t not_accepted = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kBatch; ++k) {
      set_client(meta, next % n);
      next += kStride;
      not_accepted += table->track(0, meta, 2).verdict != conntrack::Verdict::accept;
    }
    table->sweep(2, 64);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * kBatch));
  state.counters["bytes_per_connection"] = double(table->memory_size()) / double(n);
  state.counters["not_accepted"] = double(not_accepted);
}
BENCHMARK(BM_EstablishedPackets)->Arg(1 << 20)->Arg(10'000'000)->Unit(benchmark::kNanosecond);

// The sweep every Pipeline::process() call ends with (64 slots), on a router's default table
// (65,536 connections) holding `live` connections that never expire. With small batches (a
// router woken for a few frames at a time) it is paid per wakeup, not per 256 packets.
void BM_SweepPerBatch(benchmark::State& state) {
  const size_t live = size_t(state.range(0));
  auto table = make_table(65536);
  packet::PacketMeta meta = template_segment(packet::kTcpAck);
  for (size_t i = 0; i < live; ++i) {
    set_client(meta, i);
    table->open(0, meta, 1);
  }
  size_t freed = 0;
  for (auto _ : state) freed += table->sweep(2, 64);
  state.counters["freed"] = double(freed);  // 0: nothing expires
  state.counters["live"] = double(table->count());
}
BENCHMARK(BM_SweepPerBatch)->Arg(0)->Arg(1)->Arg(1000)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
