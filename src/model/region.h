// region.h — a Region: every resource of every account, one consistent snapshot.
//
// The snapshot is what the API validates against and what the (later) per-host program
// compiler reads: compiling is a pure function of a Region. It lives in the store as one key
// per resource under kRegionPrefix ("/openvpc/region/<kind>/<id>", JSON values) plus the
// version key, which every committed change rewrites; comparing on the version key's
// mod_revision makes a read-validate-write cycle one optimistic transaction.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/resources.h"
#include "store/store.h"

namespace openvpc::model {

inline constexpr std::string_view kRegionPrefix = "/openvpc/region/";
inline constexpr std::string_view kVersionKey = "/openvpc/version";

struct Region {
  std::map<std::string, Account> accounts;
  std::map<std::string, AccessKey> access_keys;
  std::map<std::string, Vpc> vpcs;
  std::map<std::string, Subnet> subnets;
  std::map<std::string, RouteTable> route_tables;
  std::map<std::string, InternetGateway> internet_gateways;
  std::map<std::string, SecurityGroup> security_groups;
  std::map<std::string, NetworkAcl> network_acls;
  std::map<std::string, NetworkInterface> network_interfaces;
  std::map<std::string, Instance> instances;
  std::map<std::string, ElasticAddress> addresses;
  std::map<std::string, DhcpOptions> dhcp_options;
  std::map<std::string, FlowLog> flow_logs;
  std::map<std::string, NatGateway> nat_gateways;
  std::map<std::string, LoadBalancer> load_balancers;  // by ARN
  std::map<std::string, TargetGroup> target_groups;    // by ARN
  std::map<std::string, Listener> listeners;           // by ARN
  // ClientToken idempotency: "account/action/token" -> the response body first returned.
  std::map<std::string, std::string> client_tokens;
};

// Decodes the key-values under kRegionPrefix; store.corrupt for undecodable values.
Result<Region> decode_region(const std::vector<store::KeyValue>& kvs);
// The puts and erases that turn before into after (only changed resources).
std::vector<store::Operation> diff_region(const Region& before, const Region& after);

}  // namespace openvpc::model
