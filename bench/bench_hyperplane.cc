// Hyperplane micro-benchmarks (issues #12, #13): the NAT port allocator of one slot under
// steady churn (a new translation takes a port, the oldest flow frees one), shuffle-shard
// placement of one resource over 8 and 100 nodes, and a load balancer's Maglev table: its
// build for 10 to 1,000 targets and a lookup.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "hyperplane/maglev.h"
#include "hyperplane/port_space.h"
#include "model/placement.h"

namespace {

using openvpc::hyperplane::Destination;
using openvpc::hyperplane::PortAllocator;

// state.range(0) flows in use over state.range(1) destinations; each iteration allocates one
// port for a new flow and releases the oldest (a ring of live flows).
void BM_PortAllocateRelease(benchmark::State& state) {
  const auto flows = static_cast<size_t>(state.range(0));
  const auto destinations = static_cast<uint32_t>(state.range(1));
  PortAllocator ports(openvpc::hyperplane::slot_range(0, 3), openvpc::hyperplane::slot_cap(0, 3),
                      flows + 1, destinations + 1);
  struct Live {
    Destination destination;
    uint16_t port;
  };
  std::vector<Live> ring(flows);
  uint64_t n = 0;
  auto destination = [&](uint64_t i) {
    return Destination{0x0a000104, 0xc0000000u + static_cast<uint32_t>(i % destinations), 443, 6};
  };
  for (size_t i = 0; i < flows; ++i) {
    auto d = destination(n);
    ring[i] = {d, *ports.allocate(d, static_cast<uint32_t>(n * 2654435761u))};
    ++n;
  }
  size_t oldest = 0;
  for (auto _ : state) {
    ports.release(ring[oldest].destination, ring[oldest].port);
    auto d = destination(n);
    auto port = ports.allocate(d, static_cast<uint32_t>(n * 2654435761u));
    benchmark::DoNotOptimize(port);
    ring[oldest] = {d, port.value_or(0)};
    if (++oldest == flows) oldest = 0;
    ++n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PortAllocateRelease)->Args({10'000, 1})->Args({18'000, 1})->Args({1'000'000, 1000});

void BM_PlaceShard(benchmark::State& state) {
  std::vector<std::string> nodes;
  for (int i = 0; i < state.range(0); ++i) nodes.push_back("hp-" + std::to_string(i));
  const int k = static_cast<int>(state.range(1));
  uint64_t n = 0;
  for (auto _ : state) {
    auto shard = openvpc::model::place_shard("nat-" + std::to_string(n++), {}, nodes, k);
    benchmark::DoNotOptimize(shard);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PlaceShard)->Args({8, 3})->Args({100, 5});

}  // namespace

std::vector<uint64_t> maglev_targets(int64_t count) {
  std::vector<uint64_t> keys;
  for (int64_t i = 0; i < count; ++i) {
    keys.push_back(openvpc::hyperplane::maglev_key(0x0a000000u + uint32_t(i), 80));
  }
  return keys;
}

// state.range(0) targets into a table of state.range(1) slots; the time is one whole build.
void BM_MaglevBuild(benchmark::State& state) {
  const auto keys = maglev_targets(state.range(0));
  for (auto _ : state) {
    openvpc::hyperplane::MaglevTable table(keys, uint32_t(state.range(1)));
    if (table.lookup(0) < 0) state.SkipWithError("empty table");
    benchmark::DoNotOptimize(table.slots().data());
  }
}
BENCHMARK(BM_MaglevBuild)
    ->Args({10, openvpc::hyperplane::MaglevTable::kDefaultSize})
    ->Args({1000, openvpc::hyperplane::MaglevTable::kDefaultSize})
    ->Args({1000, openvpc::hyperplane::MaglevTable::kLargeSize})
    ->Unit(benchmark::kMillisecond);

void BM_MaglevLookup(benchmark::State& state) {
  const auto keys = maglev_targets(1000);
  openvpc::hyperplane::MaglevTable table(keys);
  uint64_t h = 1;
  int64_t found = 0;
  for (auto _ : state) {
    h = h * 6364136223846793005ull + 1442695040888963407ull;
    found += table.lookup(h >> 11) >= 0;
  }
  if (found != state.iterations()) state.SkipWithError("a lookup found no target");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MaglevLookup);

BENCHMARK_MAIN();
