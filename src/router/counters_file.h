// counters_file.h — the router's counters as one JSON document (STATE_DIR/counters.json).
//
// Tests and people read the router's counters from this file as well as from /metrics; the
// router thread rewrites it atomically (write + rename) every interval. It is the workers'
// snapshots summed (counter_totals.h) and named by the same counter lists /metrics uses: per
// ENI rx/tx packets and bytes and drops by reason (non-zero reasons only), pipeline-wide
// verdicts, drops and flow/connection counters, local-service events, the router's own losses,
// the underlay socket, the program state (applied generation, refusals, last error) and each
// flow log's delivery.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "io/underlay_socket.h"
#include "router/flow_log_files.h"
#include "router/program_loader.h"
#include "router/worker.h"

namespace openvpc::router {

struct RouterStatus {
  std::string host_id;
  std::string underlay_address;
  uint64_t generation = 0;  // of the program running
  uint64_t programs_applied = 0;
  uint64_t programs_refused = 0;
  std::string last_error;  // of the last refused program; empty when none
  std::vector<EniPortPlan> ports;
  std::vector<FlowLogDelivery> flow_logs;  // per flow log on this host (flow_log_files.h)
};

std::string counters_json(const RouterStatus& status, std::span<const WorkerSnapshot> workers);

// Writes text to path through path + ".tmp" and rename(2), so readers never see half a file.
Result<void> write_file_atomically(const std::string& path, const std::string& text);

}  // namespace openvpc::router
