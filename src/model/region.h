// region.h — a Region: every resource of every account, one consistent snapshot.
//
// The snapshot is what the API validates against and what the (later) per-host program
// compiler reads: compiling is a pure function of a Region. It lives in the store as one key
// per resource under kRegionPrefix ("/openvpc/region/<kind>/<id>", JSON values) plus the
// version key, which every committed change rewrites; comparing on the version key's
// mod_revision makes a read-validate-write cycle one optimistic transaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/region_index.h"
#include "model/resource_map.h"
#include "model/resources.h"
#include "store/store.h"

namespace openvpc::model {

inline constexpr std::string_view kRegionPrefix = "/openvpc/region/";
inline constexpr std::string_view kVersionKey = "/openvpc/version";

// Each map shares its chunks with the Region it was copied from until written (resource_map.h):
// copying a Region and diffing the copy cost what changed. Read through a const Region (or
// std::as_const) where a loop only reads, so as not to copy every chunk.
struct Region {
  ResourceMap<Account> accounts;
  ResourceMap<AccessKey> access_keys;
  ResourceMap<Vpc> vpcs;
  ResourceMap<Subnet> subnets;
  ResourceMap<RouteTable> route_tables;
  ResourceMap<InternetGateway> internet_gateways;
  ResourceMap<SecurityGroup> security_groups;
  ResourceMap<NetworkAcl> network_acls;
  ResourceMap<NetworkInterface> network_interfaces;
  ResourceMap<Instance> instances;
  ResourceMap<ElasticAddress> addresses;
  ResourceMap<DhcpOptions> dhcp_options;
  ResourceMap<FlowLog> flow_logs;
  ResourceMap<NatGateway> nat_gateways;
  ResourceMap<LoadBalancer> load_balancers;  // by ARN
  ResourceMap<TargetGroup> target_groups;    // by ARN
  ResourceMap<Listener> listeners;           // by ARN
  // ClientToken idempotency: "account/action/token" -> the response body first returned.
  ResourceMap<std::string> client_tokens;
  // Secondary indexes over the maps above (region_index.h): derived, never stored or diffed.
  RegionIndex index;
};

// Decodes the key-values under kRegionPrefix; store.corrupt for undecodable values.
Result<Region> decode_region(const std::vector<store::KeyValue>& kvs);
// The puts and erases that turn before into after (only changed resources).
std::vector<store::Operation> diff_region(const Region& before, const Region& after);

}  // namespace openvpc::model
