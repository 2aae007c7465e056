// options.h — the controller's command line and its limit overrides.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/operations.h"
#include "model/program_compiler.h"

namespace openvpc::controller {

struct ControllerOptions {
  std::string listen = "127.0.0.1";
  int port = 8773;  // 0: any free port (see port_file)
  std::string port_file;
  std::string store = "sqlite";  // sqlite | etcd
  std::string data_dir = "openvpc-data";
  std::vector<std::string> etcd_endpoints = {"http://127.0.0.1:2379"};
  std::string region = "us-east-1";
  std::string tls_cert, tls_key;
  std::vector<std::string> limit_overrides;  // NAME=VALUE, names as in model::Limits
  // The mapping service (routers subscribe here): off unless a port is given (0: any free).
  std::string mapping_listen = "127.0.0.1";
  int mapping_port = -1;
  std::string mapping_port_file;
  // The mapping service speaks mutual TLS with the CA in DATA_DIR/pki (mapping_tls.h) unless
  // --insecure (plaintext: peers are who they claim to be).
  bool insecure = false;
  std::vector<std::string> hosts;  // ID=UNDERLAY_ADDRESS, e.g. h1=127.0.0.2
  // IPv4 CIDRs elastic and launch-time public IPs come from (model::kDefaultPublicPools).
  std::vector<std::string> public_pools;
  int hyperplane_shard_size = 3;  // hyperplane nodes per NAT gateway (shuffle shard)
  // After a start: shards stay as stored while the nodes resubscribe (HyperplanePlacement).
  int hyperplane_grace_seconds = 30;
  // Several controllers on one etcd: how long a controller's record of a node it holds lasts
  // unrenewed (it renews every third of this; fleet_membership.h).
  int fleet_lease_seconds = 10;
  // EC2's API request throttling (api/request_throttle.h): "ec2", "off" or CLASS=CAP/REFILL,...
  std::string api_throttle = "ec2";
};

void add_options(CLI::App& app, ControllerOptions& options);
// Applies "vpcs_per_account=10"-style overrides to the default limits.
Result<model::Limits> parse_limits(const std::vector<std::string>& overrides);
// Checks --public-pool values: IPv4 CIDRs, /16 to /32, not overlapping one another.
Result<std::vector<std::string>> parse_public_pools(const std::vector<std::string>& pools);
// Turns "h1=127.0.0.2"-style host registrations into compile options (host id -> underlay).
Result<model::CompileOptions> parse_hosts(const std::vector<std::string>& hosts);

}  // namespace openvpc::controller
