// program_loader.h — turns a fetched program into what this host runs, or refuses it.
//
// load_program() is pure (no devices touched): it compiles the program (dataplane::compile),
// checks it against this host (its underlay address, TAP names that fit IFNAMSIZ) and derives
// the local services' configuration and the list of ENI ports to have. A program that fails
// any check is refused with one clear Error ("program.invalid" / "program.wrong_host") and
// the router keeps running the previous one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "dataplane/compiled_program.h"
#include "dataplane/services/services_config.h"
#include "program/program.h"
#include "router/options.h"

namespace openvpc::router {

// One ENI port this host should have.
struct EniPortPlan {
  uint32_t eni = 0;
  std::string name;      // the ENI's name in the program
  std::string tap_name;  // tap_prefix + number
  packet::MacAddress mac;
  std::string namespace_name;  // empty: the TAP stays in the router's namespace
  bool operator==(const EniPortPlan&) const = default;
};

struct HostSettings {
  uint32_t underlay_address = 0;  // host order
  std::string tap_prefix = "ovpc-";
  uint16_t mtu = 9001;
  std::vector<InstanceBinding> instances;
};

struct LoadedProgram {
  uint64_t generation = 0;
  std::shared_ptr<const dataplane::CompiledProgram> compiled;
  std::shared_ptr<const dataplane::services::ServicesConfig> services;
  std::vector<EniPortPlan> ports;  // sorted by ENI number
};

Result<LoadedProgram> load_program(const program::Program& program, const HostSettings& host);

}  // namespace openvpc::router
