#include "router/counter_totals.h"

#include <algorithm>

namespace openvpc::router {

namespace {

template <size_t N>
void add_into(std::array<uint64_t, N>& total, const std::array<uint64_t, N>& more) {
  for (size_t i = 0; i < N; ++i) total[i] += more[i];
}

template <typename T, size_t N>
void add_into(T& total, const T& more, const std::array<CounterField<T>, N>& fields) {
  for (const auto& field : fields) total.*field.member += more.*field.member;
}

void add_into(dataplane::EniCounters& total, const dataplane::EniCounters& more) {
  add_into(total, more, kEniTrafficFields);
  add_into(total.drops, more.drops);
}

}  // namespace

RouterTotals sum(std::span<const WorkerSnapshot> workers) {
  RouterTotals t;
  for (const WorkerSnapshot& w : workers) {
    add_into(t.pipeline.verdicts, w.pipeline.verdicts);
    add_into(t.pipeline.drops, w.pipeline.drops);
    add_into(t.pipeline.parse_errors, w.pipeline.parse_errors);
    add_into(t.pipeline, w.pipeline, kPipelineCounterFields);
    for (const auto& [eni, counters] : w.enis) add_into(t.enis[eni], counters);
    for (const auto& [eni, c] : w.connections) {
      const auto [it, first] = t.connections.try_emplace(eni, c);
      if (first) continue;
      it->second.tracked += c.tracked;
      it->second.allowance_exceeded += c.allowance_exceeded;
      it->second.allowance_available =
          std::min(it->second.allowance_available, c.allowance_available);
    }
    for (const auto& [eni, queued] : w.bandwidth_queued) t.bandwidth_queued[eni] += queued;
    add_into(t.services.values, w.services.values);
    add_into(t.router, w.router, kWorkerCounterFields);
    t.flow_count += w.flow_count;
    t.connection_count += w.connection_count;
    // The receiving worker's socket receives, every worker's sends.
    t.underlay.received += w.underlay_receive.received;
    t.underlay.receive_truncated += w.underlay_receive.receive_truncated;
    t.underlay.sent += w.underlay_send.sent;
    t.underlay.send_errors += w.underlay_send.send_errors;
    t.underlay.send_would_block += w.underlay_send.send_would_block;
  }
  return t;
}

}  // namespace openvpc::router
