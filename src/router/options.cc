#include "router/options.h"

#include "mapping/mapping_client.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>

#include "program/cidr.h"
#include "router/cpu_affinity.h"

namespace openvpc::router {

namespace {

Result<InstanceBinding> parse_instance(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    return make_error("options.invalid", "--instance wants ENI=NAMESPACE, got '" + text + "'");
  }
  return InstanceBinding{text.substr(0, equals), text.substr(equals + 1)};
}

bool loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0;
}

// "" -> underlay:9180 (127.0.0.1:9180 when the underlay is not loopback); "off" -> disabled;
// "ADDRESS:PORT" (IPv4, port 0 = any free port).
Result<void> parse_admin(const std::string& text, const std::string& underlay,
                         RouterOptions& options) {
  options.admin_given = !text.empty();
  if (text.empty()) {
    options.admin_address = loopback(underlay) ? underlay : "127.0.0.1";
    return {};
  }
  if (text == "off") return {};
  const size_t colon = text.rfind(':');
  const std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  const auto address =
      program::parse_address(text.substr(0, colon == std::string::npos ? 0 : colon));
  if (!address || !address->is_v4() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    return make_error("options.invalid", "--admin wants ADDRESS:PORT or off, got '" + text + "'");
  }
  options.admin_address = text.substr(0, colon);
  options.admin_port = uint16_t(std::stoul(port));
  return {};
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
                                    "HOST:PORT of the controller's mapping service (several "
                                    "controllers on one store: comma-separated; the router "
                                    "moves to the next when its own goes)");
  app.add_option("--tls-dir", options.tls_dir,
                 "DIR with ca.pem, cert.pem, key.pem (openvpc host add): mutual TLS to the "
                 "controller, and HTTPS for an admin endpoint off loopback");
  app.add_flag("--insecure", options.insecure, "talk to a plaintext (--insecure) controller");
  program->excludes(controller);
  controller->excludes(program);
  app.add_option("--workers", options.worker_count, "worker threads")->check(CLI::Range(1u, 64u));
  std::string cpus;
  app.add_option("--cpus", cpus,
                 "CPUs the workers run on, as taskset -c takes them (0-3,6): worker i on the "
                 "list's i-th, round-robin (default: any)");
  app.add_option("--max-connections", options.max_connections,
                 "tracked connections per worker, all ENIs together (rounded up to a power of "
                 "two)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 24));
  app.add_option("--eni-pps-allowance", options.eni_pps_allowance,
                 "packets per second each ENI may send, and receive (each worker enforces "
                 "it for the flows it handles; 0: unlimited)")
      ->check(CLI::Range(0u, 1'000'000'000u));
  app.add_option("--eni-bandwidth-allowance", options.eni_bandwidth_allowance_mbits,
                 "Mbit/s each ENI may send, and receive (frames the instance sends or is "
                 "given; each worker enforces it; 0: unlimited)")
      ->check(CLI::Range(0u, 100'000u));
  std::string bandwidth_queue = "fq_codel";
  app.add_option("--eni-bandwidth-queue", bandwidth_queue,
                 "fq_codel|fair|none: a packet an ENI sends into the VPC over its bandwidth "
                 "allowance waits in the ENI's queue, fair per inner flow, with CoDel dropping "
                 "or marking CE what waits too long (fq_codel) or without (fair), or is dropped "
                 "(none)")
      ->check(CLI::IsMember({"fq_codel", "fair", "none"}));
  app.add_option("--log-level", options.log_level, "trace|debug|info|warn|error|critical|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--state-dir", options.state_dir, "directory for counters.json");
  app.add_option("--tap-prefix", options.tap_prefix, "TAP name prefix (name = prefix + ENI id)");
  app.add_option("--mtu", options.mtu, "TAP MTU")->check(CLI::Range(576u, 9001u));
  std::string tso = "on";
  app.add_option("--tso", tso, "on|off: TCP segmentation offload through the instance TAPs")
      ->check(CLI::IsMember({"on", "off"}));
  std::string tap_io = "auto";
  app.add_option("--tap-io", tap_io,
                 "auto|io_uring|syscalls: TAP reads and writes batched through io_uring, or "
                 "one system call per frame (auto: io_uring where the kernel allows it)")
      ->check(CLI::IsMember({"auto", "io_uring", "syscalls"}));
  std::string underlay_mtu = "auto";
  app.add_option("--underlay-mtu", underlay_mtu,
                 "auto|1280-65536: TCP super-frames larger than this are cut before they "
                 "leave (auto: the MTU of the interface holding --underlay-ip)");
  app.add_option("--instance", instances, "ENI=NAMESPACE: create the instance namespace");
  app.add_option("--counters-interval", options.counters_interval_seconds,
                 "seconds between counters.json rewrites")
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--flow-log-window-seconds", options.flow_log_window_seconds,
                 "test/demo knob: flow-log aggregation window for every flow log (0: each "
                 "flow log's MaxAggregationInterval)")
      ->check(CLI::Range(0u, 600u));
  app.add_option("--flow-log-root", options.flow_log_root,
                 "directory under which every flow log's file lives (ROOT/ACCOUNT/DESTINATION)")
      ->check([](const std::string& root) {
        return !root.empty() && root.front() == '/' ? std::string() : "must be an absolute path";
      });
  app.add_option("--flow-log-rotate-bytes", options.flow_log_rotate_bytes,
                 "rotate a flow-log file before it grows past this size (0: never)");
  app.add_option("--flow-log-keep-files", options.flow_log_keep_files,
                 "rotated flow-log files kept (DESTINATION.1 ... .N)")
      ->check(CLI::Range(0u, 100u));
  std::string admin;
  app.add_option("--admin", admin,
                 "ADDRESS:PORT of the admin endpoint (/metrics, /trace, /capture), or off "
                 "(default: port 9180 on the underlay address if loopback, else 127.0.0.1); "
                 "off loopback it serves HTTPS to operator certificates and needs --tls-dir");
  bool admin_tls = false;
  app.add_flag("--admin-tls", admin_tls,
               "serve the admin endpoint over HTTPS (operator certificates) on loopback too");
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
  if (!options.controller_address.empty()) {
    if (auto tls = mapping::check_tls_choice(options.tls_dir, options.insecure); !tls) {
      return tls.error();
    }
  }
  const auto address = program::parse_address(underlay);
  if (!address || !address->is_v4()) {
    return make_error("options.invalid", "--underlay-ip must be an IPv4 address: " + underlay);
  }
  options.underlay_address = address->v4_host_order();
  if (auto parsed = parse_admin(admin, underlay, options); !parsed) return parsed.error();
  if (!options.admin_address.empty()) {
    options.admin_https = admin_tls || !loopback(options.admin_address);
    if (options.admin_https && options.tls_dir.empty()) {
      return make_error("options.invalid",
                        "the admin endpoint on " + options.admin_address +
                            " serves HTTPS to operators: it needs --tls-dir (or --admin "
                            "127.0.0.1:PORT, or --admin off)");
    }
  }
  options.tso = tso == "on";
  options.tap_io = tap_io == "io_uring"   ? RouterOptions::TapIo::io_uring
                   : tap_io == "syscalls" ? RouterOptions::TapIo::syscalls
                                          : RouterOptions::TapIo::automatic;
  options.eni_bandwidth_queue = bandwidth_queue == "fair" ? RouterOptions::BandwidthQueue::fair
                                : bandwidth_queue == "none"
                                    ? RouterOptions::BandwidthQueue::none
                                    : RouterOptions::BandwidthQueue::fq_codel;
  if (underlay_mtu != "auto") {
    char* end = nullptr;
    const unsigned long mtu = std::strtoul(underlay_mtu.c_str(), &end, 10);
    if (underlay_mtu.empty() || *end != '\0' || mtu < 1280 || mtu > 65536) {
      return make_error("options.invalid",
                        "--underlay-mtu must be auto or 1280-65536: " + underlay_mtu);
    }
    options.underlay_mtu = uint32_t(mtu);
  }
  if (!cpus.empty()) {
    auto list = parse_cpu_list(cpus);
    if (!list) return list.error();
    const std::vector<unsigned> allowed = allowed_cpus();
    for (unsigned cpu : *list) {
      if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
        return make_error("options.invalid", "--cpus: CPU " + std::to_string(cpu) +
                                                 " is not one this process may run on (" +
                                                 format_cpu_list(allowed) + ")");
      }
    }
    options.cpus = std::move(*list);
  }
  for (const auto& text : instances) {
    auto binding = parse_instance(text);
    if (!binding) return binding.error();
    options.instances.push_back(std::move(*binding));
  }
  return options;
}

}  // namespace openvpc::router
