// openvpc-controller: serves the EC2 Query API and the admin endpoints over HTTP(S), keeps
// the desired state in the store (SQLite by default, or etcd).
//
//   openvpc-controller --data-dir DIR [--store sqlite|etcd --etcd-endpoints URL,..]
//                      [--listen 127.0.0.1 --port 8773 --port-file FILE]
//                      [--tls-cert PEM --tls-key PEM] [--region us-east-1]
//                      [--limit vpcs_per_account=5 ...]
//                      [--mapping-port PORT --mapping-port-file FILE --mapping-listen ADDR]
//                      [--host h1=127.0.0.2 ...] [--fleet-lease-seconds 10]
// With --mapping-port it also runs the mapping service: every committed change (this
// controller's or another's on the same store) is compiled into the affected hosts' programs
// and streamed to their routers. With --store etcd the controllers share the live edge and
// hyperplane fleet through the store (fleet_sync.h). GET /metrics (no auth, like /healthz) serves
// Prometheus text (metrics.h). Logs go to stderr through spdlog. Stops cleanly on SIGINT/SIGTERM.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/query.h"
#include "api/service.h"
#include "common/prometheus_text.h"
#include "controller/admin.h"
#include "controller/fleet_sync.h"
#include "controller/flow_log_status.h"
#include "controller/hyperplane_acks.h"
#include "controller/hyperplane_placement.h"
#include "controller/mapping_tls.h"
#include "controller/metrics.h"
#include "controller/options.h"
#include "controller/program_publisher.h"
#include "controller/target_health.h"
#include "mapping/mapping_server.h"
#include "model/region_store.h"
#include "store/store.h"

namespace {

using namespace openvpc;

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

api::HttpRequestView request_view(const httplib::Request& req) {
  api::HttpRequestView view;
  view.method = req.method;
  size_t question = req.target.find('?');
  view.path = req.path.empty() ? "/" : req.path;
  view.query = question == std::string::npos ? "" : req.target.substr(question + 1);
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower == "remote_addr" || lower == "remote_port" || lower == "local_addr" ||
        lower == "local_port") {
      continue;  // httplib's own pseudo headers, never sent by a client
    }
    auto [it, inserted] = view.headers.emplace(lower, value);
    if (!inserted) it->second += "," + value;
  }
  view.body = req.body;
  return view;
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Names this controller process in the fleet records (fleet_membership.h): unique among the
// controllers sharing a store, and telling an operator where to look.
std::string controller_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "controller");
  return std::string(host) + ":" + std::to_string(getpid());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The EC2 action a request names, for metrics: "unknown" unless the service has it.
std::string action_of(const api::HttpRequestView& view, const api::ApiService& service) {
  auto params = api::Params::parse(view.method == "GET" ? view.query : view.body);
  if (!params) return "unknown";
  const std::string action = params->get_or("Action", "");
  return service.actions().contains(action) ? action : "unknown";
}

// What /metrics shows besides the request counters: hosts and resource counts.
struct MetricsSources {
  std::function<std::vector<mapping::HostStatus>()> hosts;
  std::function<std::vector<mapping::NodeStatus>()> nodes;
  std::function<std::vector<std::pair<std::string, uint64_t>>()> resources;
  std::function<mapping::MappingRefusalCounts()> refusals;
};

// after_change runs after every request that may have changed the Region (publishes programs
// before the client hears the answer).
void serve(httplib::Server& server, api::ApiService& service, controller::AdminService& admin,
           const std::function<void()>& after_change, controller::ApiMetrics& metrics,
           const MetricsSources& sources) {
  auto ec2 = [&](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    const api::HttpRequestView view = request_view(req);
    auto answer = service.handle(view, req.remote_addr);
    if (answer.status == 200) after_change();
    res.status = answer.status;
    res.set_content(answer.body, "text/xml;charset=UTF-8");
    metrics.record(action_of(view, service), answer.status, seconds_since(start));
  };
  server.Post("/", ec2);
  server.Get("/", ec2);
  auto admin_verb = [&](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    auto answer = admin.handle(req.matches[1], request_view(req));
    if (answer.status == 200) after_change();
    res.status = answer.status;
    res.set_content(answer.body, "application/json");
    const std::string verb = req.matches[1];
    const bool known = verb == "accounts" || verb == "keys" || verb == "audit" ||
                       verb == "status" || verb == "hosts";
    metrics.record(known ? "admin/" + verb : "admin/unknown", answer.status, seconds_since(start));
  };
  server.Post(R"(/admin/([a-z]+))", admin_verb);
  server.Get(R"(/admin/(hosts|status|hyperplane))", admin_verb);
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        metrics.text(sources.hosts(), sources.resources(), sources.nodes(), sources.refusals()),
        std::string(PrometheusText::kContentType));
  });
  server.set_tcp_nodelay(true);
  server.set_payload_max_length(1 << 20);
  server.set_read_timeout(30, 0);
}

Result<std::unique_ptr<store::Store>> open_store(const controller::ControllerOptions& options) {
  if (options.store == "etcd") return store::open_etcd_store(options.etcd_endpoints);
  return store::open_sqlite_store(options.data_dir);
}

// cpp-httplib serves each connection on one pool thread for as long as it is kept alive, and
// its pool defaults to 8 threads: nine SDK clients holding keep-alive connections (boto3 and
// the AWS CLI do) would leave the ninth waiting for a connection to time out. A larger pool
// keeps that out of reach of ordinary use; a connection serves many requests (the default is
// 5, after which clients reconnect) and an idle one is closed after 5 s.
constexpr size_t kApiThreads = 64;
constexpr size_t kRequestsPerConnection = 1000;

void configure_connections(httplib::Server& server) {
  server.new_task_queue = [] { return new httplib::ThreadPool(kApiThreads); };
  server.set_keep_alive_max_count(kRequestsPerConnection);
}

// HTTPS when a certificate is given; nullptr (after a message) when it cannot be loaded.
std::unique_ptr<httplib::Server> make_server(const controller::ControllerOptions& options) {
  std::unique_ptr<httplib::Server> server;
  if (options.tls_cert.empty()) {
    server = std::make_unique<httplib::Server>();
  } else {
    auto tls =
        std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!tls->is_valid()) {
      spdlog::critical("cannot load TLS certificate/key");
      return nullptr;
    }
    server = std::move(tls);
  }
  configure_connections(*server);
  return server;
}

void write_port_file(const std::string& path, int port) {
  if (path.empty()) return;
  std::string temporary = path + ".tmp";
  std::ofstream(temporary) << port << "\n";
  std::rename(temporary.c_str(), path.c_str());
}

// The bound port (options.port, or any free one for 0), written atomically to --port-file.
int bind_port(httplib::Server& server, const controller::ControllerOptions& options) {
  int port = options.port == 0
                 ? server.bind_to_any_port(options.listen)
                 : (server.bind_to_port(options.listen, options.port) ? options.port : -1);
  if (port <= 0) {
    spdlog::critical("cannot listen on {}:{}", options.listen, options.port);
    return -1;
  }
  write_port_file(options.port_file, port);
  return port;
}

// Serves until SIGINT/SIGTERM (blocked in every thread; one thread waits for them).
void serve_until_stopped(httplib::Server& server, const sigset_t& stop_signals) {
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    server.stop();
  });
  server.listen_after_bind();
  pthread_kill(stopper.native_handle(), SIGTERM);  // wake the waiter if the server stopped itself
  stopper.join();
}

}  // namespace

int main(int argc, char** argv) {
  controller::ControllerOptions options;
  CLI::App app{"openvpc-controller: the EC2-compatible VPC API"};
  controller::add_options(app, options);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [controller] %v");
  auto limits = controller::parse_limits(options.limit_overrides);
  if (!limits) {
    spdlog::critical("{}", limits.error().message);
    return 2;
  }
  auto public_pools = controller::parse_public_pools(options.public_pools);
  if (!public_pools) {
    spdlog::critical("{}", public_pools.error().message);
    return 2;
  }
  auto throttle = api::parse_throttle(options.api_throttle);
  if (!throttle) {
    spdlog::critical("{}", throttle.error().message);
    return 2;
  }
  auto compile_options = controller::parse_hosts(options.hosts);
  if (!compile_options) {
    spdlog::critical("{}", compile_options.error().message);
    return 2;
  }
  compile_options->region = options.region;  // private DNS names and DHCP domain follow it
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  auto store = open_store(options);
  if (!store) {
    spdlog::critical("store: {}: {}", store.error().code, store.error().message);
    return 1;
  }
  model::RegionStore regions(**store);
  std::random_device entropy;
  uint64_t seed = (uint64_t{entropy()} << 32) ^ entropy();
  model::IdSource bootstrap_ids(seed ^ 0xb007);
  auto admin_key = controller::bootstrap_admin(regions, bootstrap_ids, options.data_dir);
  if (!admin_key) {
    spdlog::critical("bootstrap: {}", admin_key.error().message);
    return 1;
  }
  // The mapping service: publisher -> server (publish), server -> publisher (lookup), the
  // routers' Acks -> DescribeFlowLogs.
  std::unique_ptr<mapping::MappingServer> mapping_server;
  api::ApiService service(regions,
                          {options.region, *limits, true,
                           [&] {
                             return mapping_server
                                        ? controller::flow_log_errors(mapping_server->hosts())
                                        : api::FlowLogErrors{};
                           },
                           *public_pools, *throttle},
                          now_seconds, seed);
  controller::AdminService admin(regions, options.region, now_seconds, seed ^ 0xad);

  std::atomic<bool> stopping{false};
  // What each hyperplane node runs: the versions published to it (below) against the one it
  // last ACKed (the mapping service's).
  // Only nodes attached here count: a node attached to another controller (etcd, fleet_sync.h)
  // ACKs that controller's versions, and that controller moves the states on for it.
  controller::HyperplaneAcks acks([&](const std::string& node) -> std::optional<uint64_t> {
    if (!mapping_server) return std::nullopt;
    for (const auto& attached : mapping_server->nodes()) {
      if (attached.node_id == node) return mapping_server->acked_version(node);
    }
    return std::nullopt;
  });
  controller::HyperplanePlacement placement(regions, options.hyperplane_shard_size, acks,
                                            now_seconds, options.hyperplane_grace_seconds);
  admin.set_hyperplane_source([&] { return placement.describe(); });
  controller::ProgramPublisher publisher(
      regions, *compile_options,
      [&](const std::string& host, const program::Program& program) {
        return mapping_server->publish(host, program);
      },
      [&](const std::string& node, uint64_t version, const program::Program& program) {
        acks.published(node, version, program);
      },
      [&](std::span<const mapping::HostProgram> programs) {
        return mapping_server->publish_all(programs);
      });
  // The live edge and hyperplane fleet — on etcd, every controller's nodes (fleet_sync.h) —
  // decides the routers' edge lists, the nodes' programs and placement. It runs only when
  // membership changes, not on the records' renewals.
  auto apply_fleet = [&](const std::vector<controller::FleetNode>& live) {
    std::map<std::string, std::string> edges, hyperplane_nodes;
    std::vector<std::string> hyperplane;
    for (const auto& node : live) {
      if (node.role == mapping::NodeRole::edge) edges[node.node_id] = node.underlay;
      if (node.role == mapping::NodeRole::hyperplane) {
        hyperplane_nodes[node.node_id] = node.underlay;
        hyperplane.push_back(node.node_id);
      }
    }
    spdlog::info("edge nodes: {}, hyperplane nodes: {}", edges.size(), hyperplane.size());
    // First the programs (a dead node's slots show as down: routers and edges move its flows
    // to its successor at once), then placement (which refills its slots).
    if (mapping_server) publisher.set_fleet(std::move(edges), std::move(hyperplane_nodes));
    if (auto placed = placement.set_live_nodes(std::move(hyperplane)); !placed) {
      spdlog::warn("hyperplane placement: {}", placed.error().message);
    }
  };
  // SQLite has one controller: the fleet is the nodes attached to it, nothing is shared.
  controller::FleetSync fleet(options.store == "etcd" ? store->get() : nullptr, controller_id(),
                              std::chrono::seconds(options.fleet_lease_seconds), steady_ms,
                              apply_fleet);
  placement.set_controller_source([&] {
    std::map<std::string, std::string> holders;
    for (const auto& node : fleet.live()) holders[node.node_id] = node.controller;
    return holders;
  });
  if (options.mapping_port >= 0) {
    mapping::MappingServerOptions mapping_options;
    mapping_options.address = options.mapping_listen + ":" + std::to_string(options.mapping_port);
    if (!options.insecure) {
      auto tls = controller::mapping_credentials(options.data_dir, options.mapping_listen);
      if (!tls) {
        spdlog::critical("mapping service TLS: {}", tls.error().message);
        return 1;
      }
      mapping_options.tls = std::move(*tls);
    }
    mapping_options.lookup = [&](uint32_t vni, const program::IpAddress& address) {
      return publisher.lookup(vni, address);
    };
    // Runs on a gRPC thread: only raises a flag; the upkeep thread reconciles.
    mapping_options.on_ack = [&](const std::string&, uint64_t) { acks.acknowledged(); };
    mapping_options.on_nodes = [&] {
      // Streams end as the mapping service stops: that is the controller going, not the nodes.
      if (stopping.load()) return;
      if (auto written = fleet.set_local(mapping_server->nodes()); !written) {
        spdlog::warn("fleet: {}: {}", written.error().code, written.error().message);
      }
    };
    mapping_server = std::make_unique<mapping::MappingServer>(std::move(mapping_options));
    auto refreshed = publisher.refresh();  // every host's program before any router asks
    if (!refreshed) {
      spdlog::critical("compiling programs: {}", refreshed.error().message);
      return 1;
    }
    // The other controllers' nodes, before any router asks for a program.
    if (auto synced = fleet.sync(); !synced) {
      spdlog::warn("fleet: {}: {}", synced.error().code, synced.error().message);
    }
    auto mapping_port = mapping_server->start();
    if (!mapping_port) {
      spdlog::critical("mapping service: {}", mapping_port.error().message);
      return 1;
    }
    write_port_file(options.mapping_port_file, *mapping_port);
    spdlog::info("mapping service on {}:{} ({} hosts, {})", options.mapping_listen, *mapping_port,
                 refreshed->size(),
                 options.insecure ? "plaintext: --insecure" : "mutual TLS, CA in DATA_DIR/pki");
    admin.set_host_source([&] { return mapping_server->hosts(); }, *compile_options);
    publisher.watch(**store);
  } else if (auto synced = fleet.sync(); !synced) {  // placement still needs the fleet
    spdlog::warn("fleet: {}: {}", synced.error().code, synced.error().message);
  }
  fleet.start();
  spdlog::info("fleet: controller id {} ({})", controller_id(),
               options.store == "etcd" ? "nodes shared through the store" : "one controller");
  // A named std::function: serve()'s handlers keep a reference to it for the server's life.
  const std::function<void()> after_change = [&] {
    if (auto placed = placement.reconcile(); !placed) {
      spdlog::warn("hyperplane placement: {}", placed.error().message);
    }
    if (mapping_server) (void)publisher.refresh();
  };

  auto server = make_server(options);
  if (!server) return 1;
  controller::ApiMetrics metrics;
  MetricsSources sources;
  sources.hosts = [&]() -> std::vector<mapping::HostStatus> {
    return mapping_server ? mapping_server->hosts() : std::vector<mapping::HostStatus>{};
  };
  sources.nodes = [&]() -> std::vector<mapping::NodeStatus> {
    return mapping_server ? mapping_server->nodes() : std::vector<mapping::NodeStatus>{};
  };
  sources.refusals = [&]() -> mapping::MappingRefusalCounts {
    return mapping_server ? mapping_server->refusals() : mapping::MappingRefusalCounts{};
  };
  sources.resources = [&]() -> std::vector<std::pair<std::string, uint64_t>> {
    auto region = regions.snapshot();
    if (!region) return {};
    return controller::resource_counts(**region);
  };
  serve(*server, service, admin, after_change, metrics, sources);
  int port = bind_port(*server, options);
  if (port <= 0) return 1;
  spdlog::info("listening on {}:{} ({} store, admin account {})", options.listen, port,
               options.store, admin_key->account_id);
  // Once the restart grace is over, place again: a node that did not come back loses its slots.
  std::jthread settler([&](std::stop_token stop) {
    while (!stop.stop_requested() && !placement.settle()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!stop.stop_requested() && mapping_server) (void)publisher.refresh();
  });
  // Every 200 ms: when the nodes' ACKs may have made a waiting NAT gateway or load balancer
  // ready, reconcile (it becomes available) and recompile. About once a second: fold the
  // hyperplane nodes' health reports into the targets, and when a draining target's delay has
  // ended, reconcile (it is dropped) and recompile.
  std::jthread upkeep([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      for (int i = 0; i < 5 && !stop.stop_requested(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (!stop.stop_requested() && placement.news()) after_change();
      }
      if (stop.stop_requested()) break;
      if (auto region = regions.snapshot(); mapping_server && region.ok()) {
        auto changes = controller::fold_target_health(**region, mapping_server->hosts());
        if (!changes.empty()) {
          auto recorded = regions.mutate([&](model::Region& r) -> Result<void> {
            controller::apply_target_health(r, changes);
            return {};
          });
          if (!recorded) spdlog::warn("target health: {}", recorded.error().message);
        }
      }
      if (placement.due()) after_change();
    }
  });
  serve_until_stopped(*server, stop_signals);
  upkeep.request_stop();
  upkeep.join();
  settler.request_stop();
  settler.join();
  stopping = true;
  fleet.stop();
  publisher.stop();
  if (mapping_server) mapping_server->stop();
  return 0;
}
