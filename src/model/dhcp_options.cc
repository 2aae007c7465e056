// DHCP options sets: what each interface's DHCP lease carries besides its address.
#include <algorithm>
#include <utility>

#include "model/cidr.h"
#include "model/operations.h"

namespace openvpc::model {

namespace {

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> kKeys = {"domain-name", "domain-name-servers",
                                                 "ntp-servers", "netbios-name-servers",
                                                 "netbios-node-type"};
  return kKeys;
}

}  // namespace

std::map<std::string, std::vector<std::string>> default_dhcp_configurations(
    const std::string& region_name) {
  std::string domain =
      region_name == "us-east-1" ? "ec2.internal" : region_name + ".compute.internal";
  return {{"domain-name", {domain}}, {"domain-name-servers", {"AmazonProvidedDNS"}}};
}

std::string default_dhcp_options(Region& region, const Caller& caller) {
  auto configurations = default_dhcp_configurations(caller.region);
  for (const auto& [id, options] : std::as_const(region.dhcp_options)) {
    if (options.owner == caller.account_id && options.configurations == configurations) return id;
  }
  // The id is derived from the account rather than drawn from caller.ids, so creating a VPC
  // draws the same ids as before default sets existed (programs' golden files stay put).
  uint64_t seed = 0xcbf29ce484222325ull;  // FNV-1a of the account id
  for (char c : caller.account_id) seed = (seed ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  std::string id;
  do {
    id = IdSource(seed++).resource_id("dopt");
  } while (region.dhcp_options.contains(id));
  region.dhcp_options[id] = DhcpOptions{id, caller.account_id, configurations, {}};
  return id;
}

Result<std::string> create_dhcp_options(
    Region& region, const Caller& caller,
    const std::map<std::string, std::vector<std::string>>& configurations) {
  if (configurations.empty()) {
    return make_error("MissingParameter", "The request must contain DhcpConfiguration");
  }
  for (const auto& [key, values] : configurations) {
    if (std::find(known_keys().begin(), known_keys().end(), key) == known_keys().end()) {
      return invalid_parameter("Value (" + key + ") for parameter key is invalid.");
    }
    if (values.empty() || values.size() > 4) {
      return invalid_parameter("Value for parameter " + key + " must have 1 to 4 values.");
    }
    bool addresses =
        key == "domain-name-servers" || key == "ntp-servers" || key == "netbios-name-servers";
    for (const auto& value : values) {
      if (addresses && value != "AmazonProvidedDNS" && !parse_ipv4(value)) {
        return invalid_parameter("Value (" + value + ") for parameter " + key + " is invalid.");
      }
    }
  }
  auto count = std::count_if(region.dhcp_options.cbegin(), region.dhcp_options.cend(),
                             [&](const auto& e) { return e.second.owner == caller.account_id; });
  if (count >= caller.limits.dhcp_options_per_account) {
    return make_error("DhcpOptionsLimitExceeded",
                      "The maximum number of DHCP option sets has been reached.");
  }
  DhcpOptions options{caller.ids->resource_id("dopt"), caller.account_id, configurations, {}};
  std::string id = options.id;
  region.dhcp_options[id] = std::move(options);
  return id;
}

Result<void> associate_dhcp_options(Region& region, const Caller& caller,
                                    const std::string& dhcp_options_id, const std::string& vpc_id) {
  auto vpc = find_owned(region.vpcs, caller, vpc_id, "InvalidVpcID.NotFound", "vpc");
  if (!vpc) return vpc.error();
  if (dhcp_options_id != "default") {
    auto options = find_owned(region.dhcp_options, caller, dhcp_options_id,
                              "InvalidDhcpOptionID.NotFound", "dhcp options");
    if (!options) return options.error();
  }
  (*vpc)->dhcp_options_id = dhcp_options_id;
  return {};
}

Result<void> delete_dhcp_options(Region& region, const Caller& caller, const std::string& id) {
  auto options =
      find_owned(region.dhcp_options, caller, id, "InvalidDhcpOptionID.NotFound", "dhcp options");
  if (!options) return options.error();
  bool in_use = std::any_of(region.vpcs.cbegin(), region.vpcs.cend(),
                            [&](const auto& e) { return e.second.dhcp_options_id == id; });
  if (in_use) {
    return dependency_violation("The dhcpOptions '" + id +
                                "' has dependencies and cannot be deleted.");
  }
  region.dhcp_options.erase(id);
  return {};
}

}  // namespace openvpc::model
