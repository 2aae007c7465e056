// pipeline_shaper_test.cc — the outbound bandwidth shaper (AllowanceSettings::
// queue_bandwidth_out) through the real Pipeline, with an advancing fake clock: what an ENI
// sends over its bandwidth allowance waits in its fair queue and leaves through released() as
// the bucket refills; the rate over a second is the allowance (give or take one burst); a
// small flow's packet leaves ahead of a bulk flow's backlog; the queue's bound holds and what
// it drops is counted as bw_out_allowance_exceeded on the ENI; with CoDel on, what waits too
// long is dropped as bw_out_queue_delay, or marked CE when it is ECN-capable.
#include <gtest/gtest.h>

#include <map>

#include "dataplane/eni_allowance.h"
#include "dataplane/pipeline.h"
#include "harness.h"
#include "packet/ecn.h"

namespace openvpc::dataplane::testing {
namespace {

using D = DropReason;
using V = Verdict;

constexpr uint64_t kStartNs = uint64_t{1000} * 1'000'000'000;
constexpr uint64_t kMillisecond = 1'000'000;
constexpr size_t kBulkPayload = 1000;  // 1,042-byte frames
constexpr size_t kSmallPayload = 10;

// The fair queue alone (--eni-bandwidth-queue fair); shaped_codel(): with CoDel (fq_codel).
PipelineConfig shaped(uint32_t megabits_per_second) {
  PipelineConfig config{1024, 1024};
  config.allowance.megabits_per_second = megabits_per_second;
  config.allowance.queue_bandwidth_out = true;
  config.bandwidth_queue_codel.enabled = false;
  return config;
}

PipelineConfig shaped_codel(uint32_t megabits_per_second) {
  PipelineConfig config = shaped(megabits_per_second);
  config.bandwidth_queue_codel.enabled = true;
  return config;
}

// web1 -> the remote web server (encapsulated), from source port `port`.
Input outbound_udp(uint16_t port, size_t payload) {
  return {port_of(kWeb1),
          from_eni(kWeb1, udp_ip(kWeb1.ip, kRemoteWeb.ip, port, 9000, 64, payload))};
}

struct Tally {
  uint64_t sent = 0;        // encapsulated, from the batch or released()
  uint64_t sent_bytes = 0;  // their frames as web1 sent them
  uint64_t dropped = 0;     // in the batch (the queue full with nothing of web1's own)
  uint64_t held = 0;
};

// One process() at `ms`: counts the batch's and released()'s packets (a released packet is
// encapsulated: its size tells a bulk frame from a small one).
void step(World& world, const std::vector<Input>& inputs, uint64_t ms, Tally& tally,
          uint64_t* small_sent = nullptr) {
  Batch batch(inputs);
  world.pipeline.process(batch.packets, kStartNs + ms * kMillisecond);
  const auto sent = [&](size_t frame) {
    ++tally.sent;
    tally.sent_bytes += frame;
    if (small_sent != nullptr && frame < 100) ++*small_sent;
  };
  for (size_t i = 0; i < batch.packets.size(); ++i) {
    const Packet& p = batch.packets[i];
    if (p.verdict == V::encapsulate) {
      sent(inputs[i].bytes.size());
    } else if (p.verdict == V::held) {
      ++tally.held;
    } else {
      EXPECT_EQ(p.drop_reason, D::bw_out_allowance_exceeded);
      ++tally.dropped;
    }
  }
  const size_t small_frame = outbound_udp(0, kSmallPayload).bytes.size();
  const size_t bulk_frame = outbound_udp(0, kBulkPayload).bytes.size();
  for (const Packet& p : world.pipeline.released()) {
    ASSERT_EQ(p.verdict, V::encapsulate);
    ASSERT_EQ(p.out_port, Port::underlay());
    sent(p.size < bulk_frame ? small_frame : bulk_frame);
  }
}

uint64_t drops_of(const World& world, D reason) {
  const EniCounters* c = world.pipeline.eni_counters(kWeb1.id);
  return c == nullptr ? 0 : c->drops[size_t(reason)];
}

TEST(PipelineShaper, RateOverOneSecondIsTheAllowanceAndTheBoundHolds) {
  World world(standard_program(), shaped(8));                             // 1,000,000 bytes/s
  const std::vector<Input> inputs(4, outbound_udp(40000, kBulkPayload));  // 4 MB/s offered
  const uint64_t frame = inputs[0].bytes.size();
  Tally t;
  size_t most_queued = 0;
  for (uint64_t ms = 0; ms < 1000; ++ms) {
    step(world, inputs, ms, t);
    most_queued = std::max(most_queued, world.pipeline.queued_count());
    ASSERT_EQ(world.pipeline.queued_count(kWeb1.id), world.pipeline.queued_count());  // all web1's
  }
  EXPECT_EQ(world.pipeline.queued_count(kRemoteWeb.id), 0u);  // not a local ENI: no queue
  // 1 MB in the second, plus at most the burst (the bucket starts full), minus one frame.
  const uint64_t burst = std::max<uint64_t>(1'000'000 / EniAllowances::kBurstDivisor,
                                            EniAllowances::kMinimumBurstBytes);
  EXPECT_GE(t.sent_bytes, 1'000'000u - frame);
  EXPECT_LE(t.sent_bytes, 1'000'000u + burst);
  EXPECT_EQ(most_queued, PipelineConfig{}.bandwidth_queue_slots_per_eni);
  EXPECT_EQ(t.dropped, 0u);  // web1 always had packets of its own queued to make room with
  const uint64_t evicted = drops_of(world, D::bw_out_allowance_exceeded);
  EXPECT_GT(evicted, 0u);
  // Every packet offered was sent, dropped from the queue, or still waits.
  EXPECT_EQ(t.sent + evicted + world.pipeline.queued_count(), 4000u);
  EXPECT_EQ(world.pipeline.counters().drops[size_t(D::bw_out_allowance_exceeded)], evicted);
  // Nothing arrives for a second: the queue empties through empty process() calls.
  for (uint64_t ms = 1000; ms < 2000 && world.pipeline.queued_count() > 0; ++ms) {
    step(world, {}, ms, t);
  }
  EXPECT_EQ(world.pipeline.queued_count(), 0u);
  EXPECT_EQ(t.sent + evicted, 4000u);
}

// Large frames meet the byte bound before the packet bound: the queue never holds more than
// the bucket's burst in bytes (a quarter second of the allowance), so the flow that fills it
// waits at most that long, however large its frames.
TEST(PipelineShaper, LargeFramesAreBoundByBytesNotOnlyByPackets) {
  World world(standard_program(), shaped(8));  // 1,000,000 bytes/s: 250,000 bytes queued at most
  const std::vector<Input> inputs(4, outbound_udp(40000, 8000));  // 8,042-byte frames
  const uint64_t frame = inputs[0].bytes.size();
  const uint64_t limit = EniAllowances(shaped(8).allowance).queue_byte_limit();
  ASSERT_EQ(limit, 250'000u);
  Tally t;
  size_t most_queued = 0;
  uint64_t most_bytes = 0;
  for (uint64_t ms = 0; ms < 300; ++ms) {
    step(world, inputs, ms, t);
    most_queued = std::max(most_queued, world.pipeline.queued_count(kWeb1.id));
    most_bytes = std::max(most_bytes, world.pipeline.queued_bytes(kWeb1.id));
    ASSERT_LE(world.pipeline.queued_bytes(kWeb1.id), limit) << ms;
    ASSERT_EQ(world.pipeline.queued_bytes(kWeb1.id), world.pipeline.queued_count(kWeb1.id) * frame);
  }
  EXPECT_GT(most_bytes, limit - frame) << "it fills up to the bound";
  EXPECT_LT(most_queued, PipelineConfig{}.bandwidth_queue_slots_per_eni);
  EXPECT_EQ(t.dropped, 0u);
  const uint64_t evicted = drops_of(world, D::bw_out_allowance_exceeded);
  EXPECT_GT(evicted, 0u);
  EXPECT_EQ(t.sent + evicted + world.pipeline.queued_count(), 1200u);
}

TEST(PipelineShaper, ASmallFlowLeavesAheadOfABulkBacklog) {
  World world(standard_program(), shaped(8));
  const std::vector<Input> bulk(4, outbound_udp(40000, kBulkPayload));
  Tally t;
  for (uint64_t ms = 0; ms < 500; ++ms) step(world, bulk, ms, t);  // burst spent, queue full
  ASSERT_GE(world.pipeline.queued_count(), 60u);
  // A small packet of another flow, with the bulk flow still offering: out within 2 ms,
  // while a FIFO would hold it behind ~64 KB (64 ms at 1 MB/s).
  uint64_t small_sent = 0;
  std::vector<Input> with_small = bulk;
  with_small.push_back(outbound_udp(41000, kSmallPayload));
  step(world, with_small, 500, t, &small_sent);
  for (uint64_t ms = 501; ms < 503 && small_sent == 0; ++ms) step(world, bulk, ms, t, &small_sent);
  EXPECT_EQ(small_sent, 1u);
}

TEST(PipelineShaper, TwoBulkFlowsShareTheAllowanceEqually) {
  World world(standard_program(), shaped(8));
  // Two flows, each offering 2 MB/s against 1 MB/s in all, with frames of different sizes
  // (that tells them apart in released()): DRR gives each half of the bytes.
  std::vector<Input> inputs;
  for (int i = 0; i < 2; ++i) {
    inputs.push_back(outbound_udp(40000, kBulkPayload));
    inputs.push_back(outbound_udp(41000, 600));
    inputs.push_back(outbound_udp(41000, 600));
    inputs.push_back(outbound_udp(41000, 600));
  }
  std::map<uint16_t, uint64_t> bytes_by_size;
  for (uint64_t ms = 0; ms < 1000; ++ms) {
    Batch batch(inputs);
    world.pipeline.process(batch.packets, kStartNs + ms * kMillisecond);
    if (ms < 500) continue;  // the burst is spent and both flows are backlogged after this
    for (const Packet& p : world.pipeline.released()) bytes_by_size[p.size] += p.size;
  }
  ASSERT_EQ(bytes_by_size.size(), 2u);
  const double small = double(bytes_by_size.begin()->second);
  const double large = double(bytes_by_size.rbegin()->second);
  EXPECT_NEAR(small / (small + large), 0.5, 0.03);
}

TEST(PipelineShaper, WithoutTheQueueTheAllowanceDrops) {
  PipelineConfig config = shaped(8);
  config.allowance.queue_bandwidth_out = false;
  World world(standard_program(), config);
  const std::vector<Input> inputs(4, outbound_udp(40000, kBulkPayload));
  Tally t;
  for (uint64_t ms = 0; ms < 1000; ++ms) step(world, inputs, ms, t);
  EXPECT_EQ(t.held, 0u);
  EXPECT_EQ(world.pipeline.queued_count(), 0u);
  EXPECT_GT(t.dropped, 0u);
}

TEST(PipelineShaper, AnEniThatLeavesDropsWhatItQueued) {
  World world(standard_program(), shaped(8));
  const std::vector<Input> inputs(4, outbound_udp(40000, kBulkPayload));
  Tally t;
  for (uint64_t ms = 0; ms < 400; ++ms) step(world, inputs, ms, t);
  const size_t queued = world.pipeline.queued_count();
  ASSERT_GT(queued, 0u);
  const uint64_t before = drops_of(world, D::bw_out_allowance_exceeded);
  program::Program p = standard_program();
  std::erase_if(p.enis, [](const program::Eni& e) { return e.id == kWeb1.id; });
  world.publish(p);
  step(world, {}, 400, t);
  EXPECT_EQ(world.pipeline.queued_count(), 0u);
  EXPECT_EQ(drops_of(world, D::bw_out_allowance_exceeded), before + queued);
}

// An unresponsive flood keeps web1's queue full: CoDel, once its packets have waited more than
// 5 ms for 100 ms, drops them as they leave (bw_out_queue_delay, on the ENI too), at a rising
// rate; every packet is sent, dropped (either way) or still queued. ECN-capable packets are
// marked CE instead and all of them leave: the outer header carries the mark (the receiving
// router hands it to the inner packet, RFC 6040), counted as the ENI's ce_marked.
TEST(PipelineShaper, CodelDropsWhatWaitsTooLongOrMarksItWhenEcnCapable) {
  for (const bool ect : {false, true}) {
    SCOPED_TRACE(ect ? "ECT(0)" : "not ECT");
    World world(standard_program(), shaped_codel(8));
    Input input = outbound_udp(40000, kBulkPayload);
    if (ect) packet::set_ip_ecn(input.bytes.data() + 14, packet::kEcnEct0);
    const std::vector<Input> inputs(4, input);
    Tally t;
    uint64_t marked_out = 0, ect_out = 0;
    for (uint64_t ms = 0; ms < 1000; ++ms) {
      step(world, inputs, ms, t);
      for (const Packet& p : world.pipeline.released()) {
        const uint8_t ecn = p.data[1] & packet::kEcnMask;
        marked_out += ecn == packet::kEcnCe;
        ect_out += ecn == packet::kEcnEct0;
      }
    }
    const uint64_t evicted = drops_of(world, D::bw_out_allowance_exceeded);
    const uint64_t delayed = drops_of(world, D::bw_out_queue_delay);
    EXPECT_EQ(world.pipeline.counters().drops[size_t(D::bw_out_queue_delay)], delayed);
    EXPECT_EQ(t.sent + evicted + delayed + world.pipeline.queued_count(), 4000u);
    const EniCounters* counters = world.pipeline.eni_counters(kWeb1.id);
    ASSERT_NE(counters, nullptr);
    if (ect) {
      EXPECT_EQ(delayed, 0u);
      EXPECT_GT(counters->ce_marked, 5u);
      EXPECT_EQ(marked_out, counters->ce_marked);
      EXPECT_GT(ect_out, 0u);
    } else {
      EXPECT_GT(delayed, 5u);
      EXPECT_EQ(counters->ce_marked, 0u);
      EXPECT_EQ(marked_out, 0u);
    }
  }
}

// The same flood with CoDel off (the fair queue alone) loses nothing to queue delay.
TEST(PipelineShaper, WithoutCodelNothingIsDroppedForWaiting) {
  World world(standard_program(), shaped(8));
  const std::vector<Input> inputs(4, outbound_udp(40000, kBulkPayload));
  Tally t;
  for (uint64_t ms = 0; ms < 1000; ++ms) step(world, inputs, ms, t);
  EXPECT_EQ(drops_of(world, D::bw_out_queue_delay), 0u);
  EXPECT_GT(drops_of(world, D::bw_out_allowance_exceeded), 0u);
}

}  // namespace
}  // namespace openvpc::dataplane::testing
