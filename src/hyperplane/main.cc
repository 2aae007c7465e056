// main.cc — openvpc-hyperplane: one node of the hyperplane fleet, until SIGTERM/SIGINT.
//
//   openvpc-hyperplane --node-id hp1 --underlay-ip 127.0.12.1 --controller 127.0.0.1:8774
//       (--tls-dir DIR | --insecure) [--log-level info]
//
// The node keeps one Subscribe stream to the mapping service with role "hyperplane" and its
// underlay address: while the stream is open the controller counts it live and places NAT
// gateways on it (controller/hyperplane_placement.h); when the process dies the stream ends
// and its shards are refilled from the other live nodes. It ACKs every program it is sent.
// The translation data path (issue #12, L3) is not here yet. Exit status: 0 after a clean
// shutdown, 2 for a bad command line.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "mapping/mapping_client.h"
#include "program/cidr.h"
#include "program/program.h"

int main(int argc, char** argv) {
  std::string node_id, underlay_ip, controller, log_level = "info";
  CLI::App app{"openvpc-hyperplane: a hyperplane node (NAT gateways)"};
  app.add_option("--node-id", node_id, "this node's id")->required();
  app.add_option("--underlay-ip", underlay_ip, "underlay IPv4 address")->required();
  app.add_option("--controller", controller, "the mapping service, ADDRESS:PORT")->required();
  std::string tls_dir;
  bool insecure = false;
  app.add_option("--tls-dir", tls_dir,
                 "DIR with ca.pem, cert.pem, key.pem (openvpc host add --role hyperplane)");
  app.add_flag("--insecure", insecure, "talk to a plaintext (--insecure) controller");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  if (auto tls = openvpc::mapping::check_tls_choice(tls_dir, insecure); !tls) {
    std::fprintf(stderr, "%s\n", tls.error().message.c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + node_id + "] %v");
  auto underlay = openvpc::program::parse_address(underlay_ip);
  if (!underlay || !underlay->is_v4()) {
    spdlog::critical("--underlay-ip {}: not an IPv4 address", underlay_ip);
    return 2;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  openvpc::mapping::MappingClientOptions options;
  options.target = controller;
  options.host_id = node_id;
  options.role = "hyperplane";
  options.tls_dir = tls_dir;
  options.underlay = *underlay;
  options.keepalive = std::chrono::milliseconds(1000);
  openvpc::mapping::MappingClient client(
      options, [](const openvpc::program::Program&, uint64_t version) -> openvpc::Result<void> {
        spdlog::debug("program version {}", version);
        return {};
      });
  client.start();
  spdlog::info("hyperplane node {} on {} (controller {})", node_id, underlay_ip, controller);
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("signal {}: shutting down", signal);
  client.stop();
  return 0;
}
