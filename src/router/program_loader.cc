#include "router/program_loader.h"

#include <net/if.h>

#include <algorithm>
#include <utility>

namespace openvpc::router {

namespace {

// `--instance` overrides; otherwise an instance's ENI goes into the namespace named after it.
std::string namespace_for(const program::Eni& eni, const std::vector<InstanceBinding>& bindings) {
  for (const auto& binding : bindings) {
    if (binding.eni == std::to_string(eni.id) || (!eni.name.empty() && binding.eni == eni.name)) {
      return binding.namespace_name;
    }
  }
  return eni.instance_id;
}

// What the program says beyond services_config_from_program()'s defaults: the region, each
// VPC's DNS attributes and each ENI's private name.
void apply_program_services(const program::Program& program,
                            dataplane::services::ServicesConfig& config) {
  if (!program.region.empty()) config.region = program.region;
  for (auto& vpc : config.vpcs) {
    for (const auto& source : program.vpcs) {
      if (source.id != vpc.id) continue;
      vpc.dns_support = source.dns_support;
      vpc.dns_hostnames = source.dns_hostnames;
    }
  }
  for (auto& eni : config.enis) {
    for (const auto& source : program.enis) {
      if (source.id == eni.id && !source.hostname.empty()) eni.hostname = source.hostname;
    }
  }
}

}  // namespace

Result<LoadedProgram> load_program(const program::Program& program, const HostSettings& host) {
  if (!program.host_underlay.is_v4() ||
      program.host_underlay.v4_host_order() != host.underlay_address) {
    return make_error("program.wrong_host",
                      "program is for underlay " + program.host_underlay.to_string() +
                          ", this router is " +
                          packet::IpAddress::v4(host.underlay_address).to_string());
  }
  auto compiled = dataplane::compile(program);
  if (!compiled) return compiled.error();

  LoadedProgram loaded;
  loaded.generation = program.generation;
  loaded.compiled = std::move(*compiled);
  for (const auto& eni : program.enis) {
    EniPortPlan plan{eni.id, eni.name, host.tap_prefix + std::to_string(eni.id), eni.mac,
                     namespace_for(eni, host.instances)};
    if (plan.tap_name.size() >= IFNAMSIZ) {
      return make_error("program.invalid", "TAP name " + plan.tap_name + " of ENI " +
                                               std::to_string(eni.id) + " is longer than " +
                                               std::to_string(IFNAMSIZ - 1) + " characters");
    }
    if (plan.mac.is_multicast() || plan.mac == packet::MacAddress{}) {
      return make_error("program.invalid", "ENI " + std::to_string(eni.id) + " has MAC " +
                                               plan.mac.to_string() + ", not a unicast address");
    }
    loaded.ports.push_back(std::move(plan));
  }
  std::sort(loaded.ports.begin(), loaded.ports.end(),
            [](const EniPortPlan& a, const EniPortPlan& b) { return a.eni < b.eni; });

  dataplane::services::ServicesDefaults defaults;
  defaults.mtu = host.mtu;
  auto services = dataplane::services::services_config_from_program(program, defaults);
  apply_program_services(program, services);
  loaded.services =
      std::make_shared<const dataplane::services::ServicesConfig>(std::move(services));
  return loaded;
}

}  // namespace openvpc::router
