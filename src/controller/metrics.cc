#include "controller/metrics.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "common/prometheus_text.h"
#include "hyperplane/nat_table.h"

namespace openvpc::controller {

namespace {

using Type = PrometheusText::Type;

void api_families(PrometheusText& out,
                  const std::map<std::pair<std::string, int>, uint64_t>& requests) {
  out.family("openvpc_controller_api_requests_total", Type::counter,
             "API requests by action and HTTP status code.");
  for (const auto& [key, count] : requests) {
    const std::string code = std::to_string(key.second);
    out.sample("openvpc_controller_api_requests_total", {{"action", key.first}, {"code", code}},
               count);
  }
}

// A network load balancer's metrics as the controller shows them: CloudWatch's name, the
// family, whether a gauge, and how nodes' reports combine. Flows and bytes are each node's own,
// so they add up; every node of the shard checks every target, so a host count is the largest
// any node reports, not the sum.
struct LoadBalancerMetric {
  std::string_view name, family;
  bool gauge, largest;
};
constexpr LoadBalancerMetric kLoadBalancerMetrics[] = {
    {"ActiveFlowCount", "openvpc_load_balancer_active_flow_count", true, false},
    {"NewFlowCount", "openvpc_load_balancer_new_flow_count_total", false, false},
    {"ProcessedBytes", "openvpc_load_balancer_processed_bytes_total", false, false},
    {"HealthyHostCount", "openvpc_load_balancer_healthy_host_count", true, true},
    {"UnHealthyHostCount", "openvpc_load_balancer_unhealthy_host_count", true, true},
    {"TCP_Client_Reset_Count", "openvpc_load_balancer_tcp_client_reset_count_total", false, false},
    {"TCP_Target_Reset_Count", "openvpc_load_balancer_tcp_target_reset_count_total", false, false},
};
constexpr size_t kLoadBalancerMetricCount = std::size(kLoadBalancerMetrics);

void load_balancer_families(PrometheusText& out, const std::vector<mapping::HostStatus>& hosts) {
  std::map<std::string, std::array<uint64_t, kLoadBalancerMetricCount>> balancers;
  for (const auto& host : hosts) {
    for (const auto& resource : host.resource_metrics) {
      if (!resource.resource.starts_with("net/")) continue;
      auto& figures = balancers.try_emplace(resource.resource).first->second;
      for (size_t i = 0; i < kLoadBalancerMetricCount; ++i) {
        for (const auto& [reported, value] : resource.values) {
          if (reported != kLoadBalancerMetrics[i].name) continue;
          figures[i] =
              kLoadBalancerMetrics[i].largest ? std::max(figures[i], value) : figures[i] + value;
        }
      }
    }
  }
  for (size_t i = 0; i < kLoadBalancerMetricCount; ++i) {
    const auto& metric = kLoadBalancerMetrics[i];
    out.family(metric.family, metric.gauge ? Type::gauge : Type::counter,
               "The network load balancer's " + std::string(metric.name) +
                   (metric.largest ? ", the largest any of its hyperplane nodes reports."
                                   : ", summed over its hyperplane nodes."));
    for (const auto& [name, figures] : balancers) {
      out.sample(metric.family, {{"load_balancer", name}}, figures[i]);
    }
  }
}

}  // namespace

void ApiMetrics::record(const std::string& action, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{action, status}];
  Latency& latency = latency_[action];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++latency.buckets[i];
      break;
    }
  }
  ++latency.count;
  latency.sum += seconds;
}

std::string ApiMetrics::text(const std::vector<mapping::HostStatus>& hosts,
                             const std::vector<std::pair<std::string, uint64_t>>& resources,
                             const std::vector<mapping::NodeStatus>& nodes,
                             const mapping::MappingRefusalCounts& refusals) const {
  PrometheusText out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    api_families(out, requests_);
    constexpr std::string_view kLatency = "openvpc_controller_api_request_duration_seconds";
    out.family(kLatency, Type::histogram, "API request latency in seconds, by action.");
    for (const auto& [action, latency] : latency_) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        cumulative += latency.buckets[i];
        const std::string le = PrometheusText::format_double(kLatencyBuckets[i]);
        out.sample("openvpc_controller_api_request_duration_seconds_bucket",
                   {{"action", action}, {"le", le}}, cumulative);
      }
      out.sample("openvpc_controller_api_request_duration_seconds_bucket",
                 {{"action", action}, {"le", "+Inf"}}, latency.count);
      out.sample("openvpc_controller_api_request_duration_seconds_sum", {{"action", action}},
                 latency.sum);
      out.sample("openvpc_controller_api_request_duration_seconds_count", {{"action", action}},
                 latency.count);
    }
  }
  out.family("openvpc_controller_hosts", Type::gauge, "Hosts the mapping service knows.");
  out.sample("openvpc_controller_hosts", {}, uint64_t{hosts.size()});
  out.family("openvpc_host_connected", Type::gauge,
             "1 while the host's router holds a mapping stream, else 0.");
  for (const auto& host : hosts) {
    out.sample("openvpc_host_connected", {{"host_id", host.host_id}},
               uint64_t{host.connected ? 1u : 0u});
  }
  out.family("openvpc_host_desired_program_version", Type::gauge,
             "The program version the controller wants the host to run.");
  for (const auto& host : hosts) {
    out.sample("openvpc_host_desired_program_version", {{"host_id", host.host_id}},
               host.desired_version);
  }
  out.family("openvpc_host_acked_program_version", Type::gauge,
             "The program version the host's router ACKed (in force).");
  for (const auto& host : hosts) {
    out.sample("openvpc_host_acked_program_version", {{"host_id", host.host_id}},
               host.acked_version);
  }
  out.family("openvpc_controller_fleet_nodes", Type::gauge,
             "Live edge and hyperplane nodes (their mapping stream is open), by role.");
  for (auto role : {mapping::NodeRole::edge, mapping::NodeRole::hyperplane}) {
    const auto count = std::count_if(nodes.begin(), nodes.end(),
                                     [&](const mapping::NodeStatus& n) { return n.role == role; });
    out.sample("openvpc_controller_fleet_nodes", {{"role", mapping::to_string(role)}},
               uint64_t(count));
  }
  out.family("openvpc_fleet_node", Type::gauge, "1 for each live edge or hyperplane node.");
  for (const auto& node : nodes) {
    const std::string underlay = program::format_address(node.underlay);
    out.sample("openvpc_fleet_node",
               {{"node_id", node.node_id},
                {"role", mapping::to_string(node.role)},
                {"underlay", underlay}},
               uint64_t{1});
  }
  out.family("openvpc_controller_mapping_refused_total", Type::counter,
             "Mapping service calls refused (PERMISSION_DENIED) because the peer's certificate "
             "names another host or role, by reason.");
  for (size_t i = 0; i < refusals.size(); ++i) {
    out.sample("openvpc_controller_mapping_refused_total",
               {{"reason", std::string(mapping::to_string(mapping::MappingRefusal(i)))}},
               refusals[i]);
  }
  // Each NAT gateway's metrics summed over the hyperplane nodes that report them (their Acks):
  // one figure per gateway, as CloudWatch shows it.
  std::map<std::string, hyperplane::NatGatewayCounters> nat_gateways;
  for (const auto& host : hosts) {
    for (const auto& resource : host.resource_metrics) {
      if (!resource.resource.starts_with("nat-")) continue;
      auto& sums = nat_gateways[resource.resource];
      for (size_t i = 0; i < hyperplane::kNatMetricCount; ++i) {
        const auto name = hyperplane::to_string(hyperplane::NatMetric(i));
        for (const auto& [reported, value] : resource.values) {
          if (reported == name) sums[i] += value;
        }
      }
    }
  }
  for (size_t i = 0; i < hyperplane::kNatMetricCount; ++i) {
    const auto metric = hyperplane::NatMetric(i);
    const std::string family = hyperplane::metric_family(metric);
    out.family(family, hyperplane::is_gauge(metric) ? Type::gauge : Type::counter,
               "The NAT gateway's " + std::string(hyperplane::to_string(metric)) +
                   ", summed over its hyperplane nodes.");
    for (const auto& [id, sums] : nat_gateways) {
      out.sample(family, {{"nat_gateway_id", id}}, sums[i]);
    }
  }
  load_balancer_families(out, hosts);
  out.family("openvpc_controller_resources", Type::gauge, "Resources in the region, by kind.");
  for (const auto& [kind, count] : resources) {
    out.sample("openvpc_controller_resources", {{"kind", kind}}, count);
  }
  return out.take();
}

std::vector<std::pair<std::string, uint64_t>> resource_counts(const model::Region& r) {
  return {{"accounts", r.accounts.size()},
          {"vpcs", r.vpcs.size()},
          {"subnets", r.subnets.size()},
          {"route_tables", r.route_tables.size()},
          {"internet_gateways", r.internet_gateways.size()},
          {"security_groups", r.security_groups.size()},
          {"network_acls", r.network_acls.size()},
          {"network_interfaces", r.network_interfaces.size()},
          {"instances", r.instances.size()},
          {"addresses", r.addresses.size()},
          {"dhcp_options", r.dhcp_options.size()},
          {"flow_logs", r.flow_logs.size()}};
}

}  // namespace openvpc::controller
