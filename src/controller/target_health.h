// target_health.h — the hyperplane nodes' health checks, folded into the model's targets.
//
// A node reports in its Acks (mapping/resource_metrics.h) one ResourceMetrics per target group
// it checks: resource = the group's ARN, one value per target whose state it has concluded,
// named "target <address>:<port>" ("target [fd00::5]:80" for IPv6), 1 healthy, 0 unhealthy.
// fold_target_health() reads the reports of the connected hosts that are in the shard of a
// load balancer a listener of which forwards to the group (reports from other hosts, stale
// ones of a disconnected node, and unparsable names are ignored), and decides per registered
// target: unhealthy when every node that reported it found it unhealthy, healthy when any one
// found it healthy. Each node routes by its own checks, so "unhealthy" is recorded only once
// no node of the shard sends the target a new connection (a majority would record it while a
// node whose checks run later still does). It maps address:port back to the
// target: an instance target by its instance's primary private address, an ip target by its
// address. A target no node reported keeps what the model had. It returns only what differs
// from the model; apply_target_health() records those (model::record_target_health), so the
// controller can skip the store write when nothing changed. Pure functions: the controller
// calls them about once a second with the mapping service's hosts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mapping/host_table.h"
#include "mapping/resource_metrics.h"
#include "model/region.h"
#include "program/program.h"

namespace openvpc::controller {

struct TargetHealthChange {
  std::string target_group_arn, target_id;
  int port = 0;
  std::string health;  // "healthy" | "unhealthy"
  bool operator==(const TargetHealthChange&) const = default;
};

std::vector<TargetHealthChange> fold_target_health(const model::Region& region,
                                                   const std::vector<mapping::HostStatus>& hosts);

// Records the changes; whether any registered target changed.
bool apply_target_health(model::Region& region, const std::vector<TargetHealthChange>& changes);

}  // namespace openvpc::controller
