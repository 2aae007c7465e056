#include "controller/options.h"

#include <charconv>
#include <map>

#include "model/cidr.h"

namespace openvpc::controller {

void add_options(CLI::App& app, ControllerOptions& options) {
  app.add_option("--listen", options.listen, "address to listen on");
  app.add_option("--port", options.port, "port (0: any free port)");
  app.add_option("--port-file", options.port_file, "write the bound port to this file");
  app.add_option("--store", options.store, "sqlite or etcd")
      ->check(CLI::IsMember({"sqlite", "etcd"}));
  app.add_option("--data-dir", options.data_dir, "SQLite data and admin-credentials directory");
  app.add_option("--etcd-endpoints", options.etcd_endpoints, "etcd client URLs")->delimiter(',');
  app.add_option("--region", options.region, "region name used in signatures");
  app.add_option("--tls-cert", options.tls_cert, "PEM certificate: serve HTTPS");
  app.add_option("--tls-key", options.tls_key, "PEM private key for --tls-cert");
  app.add_option("--limit", options.limit_overrides, "NAME=VALUE, e.g. vpcs_per_account=10");
  app.add_option("--mapping-listen", options.mapping_listen, "mapping service address");
  app.add_option("--mapping-port", options.mapping_port,
                 "serve the mapping service on this port (0: any free port; default: off)");
  app.add_option("--mapping-port-file", options.mapping_port_file,
                 "write the mapping service's bound port to this file");
  app.add_flag("--insecure", options.insecure,
               "serve the mapping service in plaintext (default: mutual TLS, CA in DATA_DIR/pki)");
  app.add_option("--public-pool", options.public_pools,
                 "IPv4 CIDR of public addresses for elastic and launch-time public IPs "
                 "(repeatable; default 198.51.100.0/24)");
  app.add_option("--api-throttle", options.api_throttle,
                 "request throttling per account and action: ec2 (EC2's buckets), off, or "
                 "non_mutating=CAPACITY/REFILL,mutating=CAPACITY/REFILL");
  app.add_option("--hyperplane-shard-size", options.hyperplane_shard_size,
                 "hyperplane nodes each NAT gateway is placed on (shuffle shard; default 3)")
      ->check(CLI::Range(1, 64));
  app.add_option("--hyperplane-grace-seconds", options.hyperplane_grace_seconds,
                 "after a start, keep NAT gateways' shards this long while the hyperplane nodes "
                 "resubscribe (default 30)")
      ->check(CLI::Range(0, 3600));
  app.add_option("--fleet-lease-seconds", options.fleet_lease_seconds,
                 "with --store etcd: how long the other controllers count a node attached to "
                 "this one live after this one stops renewing its record (default 10)")
      ->check(CLI::Range(1, 3600));
  app.add_option("--host", options.hosts,
                 "ID=ADDRESS: a physical host and its underlay address (a host id that is an "
                 "address needs none)");
}

Result<std::vector<std::string>> parse_public_pools(const std::vector<std::string>& pools) {
  if (pools.empty()) return model::kDefaultPublicPools;
  std::vector<program::Cidr> seen;
  std::vector<std::string> out;
  for (const auto& text : pools) {
    auto cidr = model::parse_ipv4_block(text);
    if (!cidr || cidr->prefix_length < 16) {
      return make_error("InvalidParameterValue",
                        "bad public pool '" + text + "' (want an IPv4 CIDR, /16 to /32)");
    }
    for (const auto& other : seen) {
      if (other.overlaps(*cidr)) {
        return make_error("InvalidParameterValue", "public pools overlap: '" + text + "'");
      }
    }
    seen.push_back(*cidr);
    out.push_back(cidr->to_string());
  }
  return out;
}

Result<model::CompileOptions> parse_hosts(const std::vector<std::string>& hosts) {
  model::CompileOptions options;
  for (const auto& text : hosts) {
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || !program::parse_address(text.substr(eq + 1))) {
      return make_error("InvalidParameterValue", "bad host '" + text + "' (want ID=ADDRESS)");
    }
    options.host_underlays[text.substr(0, eq)] = text.substr(eq + 1);
  }
  return options;
}

Result<model::Limits> parse_limits(const std::vector<std::string>& overrides) {
  model::Limits limits;
  std::map<std::string, int*> fields = {
      {"vpcs_per_account", &limits.vpcs_per_account},
      {"cidr_blocks_per_vpc", &limits.cidr_blocks_per_vpc},
      {"subnets_per_vpc", &limits.subnets_per_vpc},
      {"route_tables_per_vpc", &limits.route_tables_per_vpc},
      {"routes_per_table", &limits.routes_per_table},
      {"internet_gateways_per_account", &limits.internet_gateways_per_account},
      {"security_groups_per_vpc", &limits.security_groups_per_vpc},
      {"rules_per_security_group", &limits.rules_per_security_group},
      {"security_groups_per_interface", &limits.security_groups_per_interface},
      {"network_acls_per_vpc", &limits.network_acls_per_vpc},
      {"entries_per_network_acl", &limits.entries_per_network_acl},
      {"network_interfaces_per_account", &limits.network_interfaces_per_account},
      {"instances_per_account", &limits.instances_per_account},
      {"elastic_ips_per_account", &limits.elastic_ips_per_account},
      {"dhcp_options_per_account", &limits.dhcp_options_per_account},
      {"flow_logs_per_resource", &limits.flow_logs_per_resource},
      {"load_balancers_per_account", &limits.load_balancers_per_account},
      {"target_groups_per_account", &limits.target_groups_per_account},
      {"targets_per_target_group", &limits.targets_per_target_group}};
  for (const auto& text : overrides) {
    size_t eq = text.find('=');
    std::string name = text.substr(0, eq);
    auto it = fields.find(name);
    int value = 0;
    if (eq == std::string::npos || it == fields.end()) {
      return make_error("InvalidParameterValue", "unknown limit '" + text + "'");
    }
    auto [end, ec] = std::from_chars(text.data() + eq + 1, text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
      return make_error("InvalidParameterValue", "bad limit value in '" + text + "'");
    }
    *it->second = value;
  }
  return limits;
}

}  // namespace openvpc::controller
