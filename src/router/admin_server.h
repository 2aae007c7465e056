// admin_server.h — the router's admin HTTP endpoint: /metrics, /trace, /capture, /healthz.
//
// One cpp-httplib server on its own threads, bound to --admin ADDRESS:PORT (by default the
// underlay address, port kDefaultAdminPort):
//   GET  /metrics   Prometheus text 0.0.4 (metrics_text.h) from the workers' snapshots
//   POST /trace     JSON TraceRequest (trace_request.h) -> text/plain stage-by-stage trace
//                   against the program in force (no connection state); 400/404 + message
//   GET  /capture?eni=NAME|NUMBER&seconds=S&count=N
//                   streams a pcap (Ethernet) of what the ENI sends and receives, until S
//                   seconds passed (default 10, at most 3600) or N frames were written (0 or
//                   absent: no limit); 409 while another capture runs, 404 for an unknown ENI
//   GET  /healthz   "ok"
// It reads only published state (Router::published_status(), worker snapshots, the compiled
// program's shared_ptr, EniCapture), never a worker's live tables. On a loopback address it
// serves plain HTTP to whoever is on the host (a local operator). With a TLS folder (always
// off loopback: options.h) it serves HTTPS with the host's certificate, demands a client
// certificate from the region's CA and answers 403 unless that certificate's role is operator
// (`openvpc host add --operator`). stop() ends open captures and joins; it must run before
// Router::shutdown().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace httplib {
class Server;
}

namespace openvpc::router {

class Router;

inline constexpr uint16_t kDefaultAdminPort = 9180;

class AdminServer {
 public:
  // Binds address:port and starts serving; "router.admin" error when it cannot bind or cannot
  // use the TLS files. tls_dir: DIR/{ca.pem,cert.pem,key.pem} for HTTPS; empty: plain HTTP.
  static Result<std::unique_ptr<AdminServer>> start(Router& router, const std::string& address,
                                                    uint16_t port, const std::string& tls_dir = "");
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  void stop();
  uint16_t port() const { return port_; }

 private:
  explicit AdminServer(Router& router, std::unique_ptr<httplib::Server> server);
  void route();

  Router& router_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace openvpc::router
