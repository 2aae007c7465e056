// services_config.cc — ServicesConfig from the per-host program.
#include "dataplane/services/services_config.h"

#include <algorithm>
#include <cctype>

namespace openvpc::dataplane::services {
namespace {

const program::Subnet* find_subnet(const program::Program& program, uint32_t id) {
  for (const program::Subnet& subnet : program.subnets) {
    if (subnet.id == id) return &subnet;
  }
  return nullptr;
}

VpcServicesConfig vpc_config(const program::Program& program, const program::Vpc& vpc,
                             const ServicesDefaults& defaults) {
  VpcServicesConfig out;
  out.id = vpc.id;
  out.primary_cidr = vpc.cidrs.front();
  out.dhcp_options = defaults.dhcp_options;
  out.dns_support = defaults.dns_support;
  out.dns_hostnames = defaults.dns_hostnames;
  for (const program::Mapping& mapping : program.mappings) {
    if (mapping.vpc != vpc.id || !mapping.address.is_v4()) continue;
    out.addresses.push_back(mapping.address);
    if (mapping.public_address && mapping.public_address->is_v4()) {
      out.public_addresses.emplace_back(*mapping.public_address, mapping.address);
    }
  }
  std::sort(out.public_addresses.begin(), out.public_addresses.end());
  for (const program::Eni& eni : program.enis) {
    const program::Subnet* subnet = find_subnet(program, eni.subnet);
    if (subnet == nullptr || subnet->vpc != vpc.id) continue;
    for (const IpAddress& address : eni.private_addresses) {
      if (address.is_v4()) out.addresses.push_back(address);
    }
  }
  std::sort(out.addresses.begin(), out.addresses.end());
  out.addresses.erase(std::unique(out.addresses.begin(), out.addresses.end()), out.addresses.end());
  for (const program::LoadBalancer& lb : program.load_balancers) {
    if (lb.vpc != vpc.id || lb.dns_name.empty()) continue;
    std::string name = lb.dns_name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name.back() == '.') name.pop_back();
    std::vector<IpAddress> addresses;
    for (const auto& interface : lb.interfaces) {
      if (interface.address.is_v4()) addresses.push_back(interface.address);
    }
    std::sort(addresses.begin(), addresses.end());
    out.named_addresses.emplace_back(std::move(name), std::move(addresses));
  }
  std::sort(out.named_addresses.begin(), out.named_addresses.end());
  return out;
}

}  // namespace

ServicesConfig services_config_from_program(const program::Program& program,
                                            const ServicesDefaults& defaults) {
  ServicesConfig config;
  config.router_mac = program.router_mac;
  config.region = defaults.region;
  config.mtu = defaults.mtu;
  config.lease_seconds = defaults.lease_seconds;
  for (const program::Vpc& vpc : program.vpcs) {
    if (vpc.cidrs.empty() || !vpc.cidrs.front().is_v4()) continue;
    config.vpcs.push_back(vpc_config(program, vpc, defaults));
  }
  for (const program::Eni& eni : program.enis) {
    const program::Subnet* subnet = find_subnet(program, eni.subnet);
    if (subnet == nullptr || !subnet->cidr.is_v4()) continue;
    const bool vpc_known =
        std::any_of(config.vpcs.begin(), config.vpcs.end(),
                    [&](const VpcServicesConfig& v) { return v.id == subnet->vpc; });
    if (!vpc_known) continue;
    EniServicesConfig out;
    out.id = eni.id;
    out.mac = eni.mac;
    out.subnet = subnet->cidr;
    out.vpc = subnet->vpc;
    for (const IpAddress& address : eni.private_addresses) {
      if (address.is_v4()) out.private_addresses.push_back(address);
    }
    if (out.private_addresses.empty()) continue;
    config.enis.push_back(std::move(out));
  }
  return config;
}

}  // namespace openvpc::dataplane::services
