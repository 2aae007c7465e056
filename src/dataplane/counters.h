// counters.h — what a Pipeline counts: plain arrays indexed by the verdict and reason enums.
//
// Counters are per worker and written only by that worker; a reader (the /metrics exporter)
// sums workers and may see a batch half-counted, which is fine for monotonic counters.
// Every dropped packet increments exactly one drop reason, pipeline-wide and, when the packet
// can be attributed to a local ENI (its in port, or its destination for the underlay), for
// that ENI too.
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/verdict.h"
#include "packet/parser.h"

namespace openvpc::dataplane {

struct EniCounters {
  uint64_t rx_packets = 0;  // frames received from the instance
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;  // frames delivered to the instance
  uint64_t tx_bytes = 0;
  uint64_t ce_marked = 0;  // its bandwidth queue's CoDel marked CE instead of dropping (codel.h)
  std::array<uint64_t, kDropReasonCount> drops{};
};

struct PipelineCounters {
  std::array<uint64_t, kVerdictCount> verdicts{};
  std::array<uint64_t, kDropReasonCount> drops{};
  std::array<uint64_t, packet::kParseErrorCount> parse_errors{};
  uint64_t flow_hits = 0;
  uint64_t flow_misses = 0;  // first packets and re-classified stale entries
  uint64_t flow_stale = 0;   // entries of an older generation or a dead connection
  uint64_t flow_evictions = 0;
  uint64_t connections_created = 0;
  uint64_t program_swaps = 0;
};

}  // namespace openvpc::dataplane
