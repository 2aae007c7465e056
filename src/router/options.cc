#include "router/options.h"

#include <CLI/CLI.hpp>

#include "program/cidr.h"

namespace openvpc::router {

namespace {

Result<InstanceBinding> parse_instance(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    return make_error("options.invalid", "--instance wants ENI=NAMESPACE, got '" + text + "'");
  }
  return InstanceBinding{text.substr(0, equals), text.substr(equals + 1)};
}

}  // namespace

Result<RouterOptions> parse_options(int argc, const char* const* argv) {
  RouterOptions options;
  std::string underlay;
  std::vector<std::string> instances;
  CLI::App app{"openvpc-router: the per-host virtual router"};
  app.add_option("--host-id", options.host_id, "this host's id (logs, counters)")->required();
  app.add_option("--underlay-ip", underlay, "this host's IPv4 underlay address")->required();
  auto* program = app.add_option("--program", options.program_path, "per-host program (JSON)");
  auto* controller = app.add_option("--controller", options.controller_address,
                                    "HOST:PORT of the controller's mapping service");
  program->excludes(controller);
  controller->excludes(program);
  app.add_option("--workers", options.worker_count, "worker threads")->check(CLI::Range(1u, 64u));
  app.add_option("--log-level", options.log_level, "trace|debug|info|warn|error|critical|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--state-dir", options.state_dir, "directory for counters.json");
  app.add_option("--tap-prefix", options.tap_prefix, "TAP name prefix (name = prefix + ENI id)");
  app.add_option("--mtu", options.mtu, "TAP MTU")->check(CLI::Range(576u, 9001u));
  app.add_option("--instance", instances, "ENI=NAMESPACE: create the instance namespace");
  app.add_option("--counters-interval", options.counters_interval_seconds,
                 "seconds between counters.json rewrites")
      ->check(CLI::Range(0.05, 3600.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return make_error("options.help", app.help());
  } catch (const CLI::ParseError& e) {
    return make_error("options.invalid", e.what());
  }
  if (options.program_path.empty() == options.controller_address.empty()) {
    return make_error("options.invalid", "exactly one of --program and --controller is needed");
  }
  const auto address = program::parse_address(underlay);
  if (!address || !address->is_v4()) {
    return make_error("options.invalid", "--underlay-ip must be an IPv4 address: " + underlay);
  }
  options.underlay_address = address->v4_host_order();
  for (const auto& text : instances) {
    auto binding = parse_instance(text);
    if (!binding) return binding.error();
    options.instances.push_back(std::move(*binding));
  }
  return options;
}

}  // namespace openvpc::router
