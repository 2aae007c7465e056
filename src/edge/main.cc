// main.cc — openvpc-edge: one edge node of the internet gateway, until SIGTERM/SIGINT.
//
//   openvpc-edge --node-id e1 --underlay-ip 127.0.0.10 --controller 127.0.0.1:8774
//       (--tls-dir DIR | --insecure) --outside-dev oe1 [--outside-netns internet]
//       --outside-address 192.0.2.2/30 --outside-gateway 192.0.2.1 [--admin ADDRESS:PORT|off]
//       [--log-level info]
//
// The node serves GET /metrics (edge_metrics.h) and /healthz on --admin (default: the underlay
// address, port 9181). Exit status: 0 after a clean shutdown, 1 when it could not start, 2 for
// a bad command line.
#include <httplib.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/prometheus_text.h"
#include "edge/edge_metrics.h"
#include "edge/edge_node.h"
#include "mapping/mapping_client.h"

namespace {

using openvpc::edge::EdgeNode;
using openvpc::edge::EdgeOptions;

constexpr int kDefaultAdminPort = 9181;

// Serves /metrics until stop(); nullptr when disabled. Fails when an address cannot be bound.
std::unique_ptr<httplib::Server> start_admin(EdgeNode& node, const EdgeOptions& options,
                                             std::thread& thread, bool& failed) {
  failed = false;
  if (options.admin == "off") return nullptr;
  std::string host = options.underlay_ip;
  int port = kDefaultAdminPort;
  if (!options.admin.empty()) {
    const size_t colon = options.admin.rfind(':');
    host = options.admin.substr(0, colon);
    port =
        colon == std::string::npos ? kDefaultAdminPort : std::stoi(options.admin.substr(colon + 1));
  }
  auto server = std::make_unique<httplib::Server>();
  server->Get("/metrics", [&node, &options](const httplib::Request&, httplib::Response& res) {
    res.set_content(openvpc::edge::edge_metrics_text(node.snapshot(), options.node_id),
                    std::string(openvpc::PrometheusText::kContentType));
  });
  server->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  if (!server->bind_to_port(host, port)) {
    failed = !options.admin.empty();
    spdlog::warn("admin endpoint: cannot listen on {}:{}", host, port);
    return nullptr;
  }
  thread = std::thread([s = server.get()] { s->listen_after_bind(); });
  return server;
}

}  // namespace

int main(int argc, char** argv) {
  EdgeOptions options;
  CLI::App app{"openvpc-edge: an internet gateway edge node"};
  app.add_option("--node-id", options.node_id, "this node's id")->required();
  app.add_option("--underlay-ip", options.underlay_ip, "underlay IPv4 address (Geneve 6081)")
      ->required();
  app.add_option("--controller", options.controller,
                 "the mapping service, ADDRESS:PORT (several controllers: comma-separated)")
      ->required();
  bool insecure = false;
  app.add_option("--tls-dir", options.tls_dir,
                 "DIR with ca.pem, cert.pem, key.pem (openvpc host add --role edge)");
  app.add_flag("--insecure", insecure, "talk to a plaintext (--insecure) controller");
  app.add_option("--outside-dev", options.outside_dev, "the outside TAP device's name")->required();
  app.add_option("--outside-netns", options.outside_netns,
                 "network namespace to move the outside device into");
  app.add_option("--outside-address", options.outside_address,
                 "this node's address on the outside link, A.B.C.D/LEN")
      ->required();
  app.add_option("--outside-gateway", options.outside_gateway, "the outside next hop, A.B.C.D")
      ->required();
  app.add_option("--outside-mtu", options.outside_mtu, "MTU of the outside link")
      ->check(CLI::Range(576, 9000));
  app.add_option("--admin", options.admin, "ADDRESS:PORT for /metrics, or off");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  if (auto tls = openvpc::mapping::check_tls_choice(options.tls_dir, insecure); !tls) {
    std::fprintf(stderr, "%s\n", tls.error().message.c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + options.node_id + "] %v");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  auto node = EdgeNode::create(options);
  if (!node) {
    spdlog::critical("cannot start: {}: {}", node.error().code, node.error().message);
    return 1;
  }
  std::thread admin_thread;
  bool admin_failed = false;
  auto admin = start_admin(**node, options, admin_thread, admin_failed);
  if (admin_failed) return 1;
  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("signal {}: shutting down", signal);
    (*node)->stop();
  });
  spdlog::info("edge node {} on {} (outside {} {})", options.node_id, options.underlay_ip,
               options.outside_dev, options.outside_address);
  (*node)->run();
  if (admin) {
    admin->stop();
    admin_thread.join();
  }
  waiter.join();
  return 0;
}
