// node_health.h — a hyperplane node's health checks wired into its load balancer data path.
//
// NodeHealth owns the node's HealthProber (health_prober.h) and stands between it and the rest
// of the node, on the loop thread:
//   - it is the LbTranslator's ProbeSink: a packet for a load balancer interface's address on a
//     port no listener serves is handed to the prober as a probe's reply;
//   - poll() writes the probe packets due now as datagrams for the node's raw underlay socket,
//     and hands every concluded health change to the translator (LbTranslator::on_health: a
//     target group's Maglev table is rebuilt when its selectable targets change);
//   - reports() says, per target group (resource = its ARN), the health of every target the
//     prober has concluded ("target <address>:<port>", 1 healthy, 0 unhealthy:
//     mapping/resource_metrics.h), for the node's Acks; the controller folds the shard nodes'
//     reports into DescribeTargetHealth.
// set_plan() takes each new program's targets (the prober keeps the state of those that stay).
// poll() and on_probe_reply() allocate nothing; the clock is CLOCK_MONOTONIC in milliseconds.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "hyperplane/health_prober.h"
#include "hyperplane/lb_translator.h"
#include "hyperplane/node_program.h"
#include "io/underlay_socket.h"
#include "mapping/resource_metrics.h"

namespace openvpc::hyperplane {

class NodeHealth final : public ProbeSink {
 public:
  static constexpr size_t kPacketsPerPoll = 64;

  NodeHealth(LbTranslator& translator, uint64_t seed);

  void set_plan(const NodePlan& plan);
  void on_probe_reply(const packet::PacketMeta& meta, std::span<const uint8_t> inner,
                      uint32_t lb_number, uint32_t interface_eni, uint32_t now) override;
  // The probe packets due now (outer IPv4 packets, valid until the next poll).
  std::span<const io::Datagram> poll();
  std::vector<mapping::ResourceMetrics> reports() const;
  const HealthProberCounters& counters() const { return prober_.counters(); }
  uint64_t unmatched_replies() const { return unmatched_; }

 private:
  static uint64_t now_ms();

  LbTranslator& translator_;
  HealthProber prober_;
  std::map<uint32_t, std::string> group_names_;
  std::vector<std::array<uint8_t, HealthProber::kPacketCapacity>> buffers_;
  std::vector<size_t> lengths_;
  std::vector<io::Datagram> out_;
  uint64_t unmatched_ = 0;
};

}  // namespace openvpc::hyperplane
