// main.cc — openvpc-hyperplane: one node of the hyperplane fleet, until SIGTERM/SIGINT.
//
//   openvpc-hyperplane --node-id hp1 --underlay-ip 127.0.12.1 --controller 127.0.0.1:8774
//       (--tls-dir DIR | --insecure) [--nat-idle-timeout 350] [--max-flows 131072]
//       [--max-lb-flows 131072] [--admin ADDRESS:PORT|off] [--log-level info]
//
// The node keeps one Subscribe stream to the mapping service with role "hyperplane" and its
// underlay address: while the stream is open the controller counts it live and places NAT
// gateways on it (controller/hyperplane_placement.h); when the process dies the stream ends
// and its shards are refilled from the other live nodes. It translates the NAT gateways and
// forwards for the network load balancers placed on it (nat_node.h: Geneve on UNDERLAY:6081, flow
// replication on UNDERLAY:6082) and serves GET /metrics (node_metrics.h) and /healthz on --admin
// (default: the underlay address, port 9182). Exit status: 0 after a clean shutdown, 1 when it
// could not start, 2 for a bad command line.
#include <httplib.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/prometheus_text.h"
#include "hyperplane/nat_node.h"
#include "hyperplane/node_metrics.h"
#include "mapping/mapping_client.h"

namespace {

using openvpc::hyperplane::NatNode;
using openvpc::hyperplane::NatNodeOptions;

constexpr int kDefaultAdminPort = 9182;

// --admin as host and port: empty means UNDERLAY:9182; false for text that is not ADDRESS:PORT.
bool parse_admin(const std::string& admin, const std::string& underlay, std::string& host,
                 int& port) {
  host = underlay;
  port = kDefaultAdminPort;
  if (admin.empty()) return true;
  const size_t colon = admin.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = admin.substr(0, colon);
  const std::string digits = admin.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  port = std::stoi(digits);
  return port > 0 && port <= 65535;
}

// Serves /metrics until stop(); nullptr when it cannot listen (`failed` then).
std::unique_ptr<httplib::Server> start_admin(NatNode& node, const NatNodeOptions& options,
                                             const std::string& host, int port, std::thread& thread,
                                             bool& failed) {
  failed = false;
  auto server = std::make_unique<httplib::Server>();
  server->Get("/metrics", [&node, &options](const httplib::Request&, httplib::Response& res) {
    res.set_content(openvpc::hyperplane::node_metrics_text(node.snapshot(), options.node_id),
                    std::string(openvpc::PrometheusText::kContentType));
  });
  server->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  if (!server->bind_to_port(host, port)) {
    failed = true;
    spdlog::warn("admin endpoint: cannot listen on {}:{}", host, port);
    return nullptr;
  }
  thread = std::thread([s = server.get()] { s->listen_after_bind(); });
  return server;
}

}  // namespace

int main(int argc, char** argv) {
  NatNodeOptions options;
  std::string admin, log_level = "info";
  CLI::App app{"openvpc-hyperplane: a hyperplane node (NAT gateways)"};
  app.add_option("--node-id", options.node_id, "this node's id")->required();
  app.add_option("--underlay-ip", options.underlay_ip, "underlay IPv4 address")->required();
  app.add_option("--controller", options.controller,
                 "the mapping service, ADDRESS:PORT (several controllers: comma-separated)")
      ->required();
  bool insecure = false;
  app.add_option("--tls-dir", options.tls_dir,
                 "DIR with ca.pem, cert.pem, key.pem (openvpc host add --role hyperplane)");
  app.add_flag("--insecure", insecure, "talk to a plaintext (--insecure) controller");
  app.add_option("--nat-idle-timeout", options.idle_timeout,
                 "seconds a NAT flow may idle before it is dropped (Amazon: 350)")
      ->check(CLI::Range(1, 86400));
  app.add_option("--max-flows", options.max_flows, "NAT flows (own and replicas) the node can hold")
      ->check(CLI::Range(16, 1 << 24));
  app.add_option("--max-lb-flows", options.max_lb_flows,
                 "load balancer flows (own and replicas) the node can hold")
      ->check(CLI::Range(16, 1 << 24));
  app.add_option("--max-connections-per-destination", options.max_connections_per_destination,
                 "connections per (NAT address, destination IP, port, protocol) over the "
                 "gateway's shard (EC2: 55,000; tests lower it)")
      ->check(CLI::Range(1u, openvpc::hyperplane::kMaxConnectionsPerDestination));
  app.add_option("--admin", admin, "ADDRESS:PORT for /metrics, or off (default UNDERLAY:9182)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return 2;
  }
  if (auto tls = openvpc::mapping::check_tls_choice(options.tls_dir, insecure); !tls) {
    std::fprintf(stderr, "%s\n", tls.error().message.c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + options.node_id + "] %v");
  auto underlay = openvpc::program::parse_address(options.underlay_ip);
  if (!underlay || !underlay->is_v4()) {
    spdlog::critical("--underlay-ip {}: not an IPv4 address", options.underlay_ip);
    return 2;
  }
  std::string admin_host;
  int admin_port = 0;
  if (admin != "off" && !parse_admin(admin, options.underlay_ip, admin_host, admin_port)) {
    spdlog::critical("--admin {}: not ADDRESS:PORT or off", admin);
    return 2;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  auto node = NatNode::create(options);
  if (!node) {
    spdlog::critical("cannot start: {}: {}", node.error().code, node.error().message);
    return 1;
  }
  std::thread admin_thread;
  bool admin_failed = false;
  std::unique_ptr<httplib::Server> server;
  if (admin != "off") {
    server = start_admin(**node, options, admin_host, admin_port, admin_thread, admin_failed);
    if (admin_failed && !admin.empty()) return 1;  // the default address may be taken: go on
  }
  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("signal {}: shutting down", signal);
    (*node)->stop();
  });
  spdlog::info("hyperplane node {} on {} (controller {}, NAT idle timeout {} s)", options.node_id,
               options.underlay_ip, options.controller, options.idle_timeout);
  (*node)->run();
  if (server) {
    server->stop();
    admin_thread.join();
  }
  // run() returns only after stop(), which only the waiter calls: it has taken its signal.
  waiter.join();
  return 0;
}
