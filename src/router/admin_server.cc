#include "router/admin_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/prometheus_text.h"
#include "io/pcap_writer.h"
#include "pki/tls_peer.h"
#include "router/metrics_text.h"
#include "router/router.h"
#include "router/trace_request.h"

namespace openvpc::router {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxCaptureSeconds = 3600;
constexpr size_t kFramesPerChunk = 64;

// A decimal query parameter within [0, max]; `fallback` when absent, nullopt when malformed.
std::optional<uint32_t> number_parameter(const httplib::Request& req, const char* name,
                                         uint32_t fallback, uint32_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const uint32_t value = uint32_t(std::stoul(text));
  if (value > max) return std::nullopt;
  return value;
}

uint32_t find_eni(const RouterStatus& status, const std::string& eni) {
  for (const auto& port : status.ports) {
    if (port.name == eni || std::to_string(port.eni) == eni) return port.eni;
  }
  return 0;
}

struct CaptureSession {
  explicit CaptureSession(io::PcapWriter writer) : pcap(std::move(writer)) {}
  Clock::time_point deadline;
  uint32_t count = 0;  // 0: no limit
  uint32_t written = 0;
  bool header_sent = false;
  io::PcapWriter pcap;  // Ethernet frames into memory; each chunk is what it wrote since
  std::vector<CapturedFrame> frames;
};

// One chunk of a capture's pcap stream: the file header first, then the frames that arrived
// within ~100 ms; done() once the time or the count is reached, or the server stops.
bool stream_capture(EniCapture& capture, const std::atomic<bool>& stopping, CaptureSession& s,
                    httplib::DataSink& sink) {
  if (!s.header_sent) {
    s.header_sent = true;
    const std::string header = s.pcap.take();
    return sink.write(header.data(), header.size());
  }
  const Clock::time_point wait_until =
      std::min(s.deadline, Clock::now() + std::chrono::milliseconds(100));
  s.frames.clear();
  while (true) {
    const size_t limit =
        s.count == 0 ? kFramesPerChunk : std::min<size_t>(kFramesPerChunk, s.count - s.written);
    capture.take(s.frames, limit);
    if (!s.frames.empty() || Clock::now() >= wait_until || stopping.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const CapturedFrame& frame : s.frames) {
    if (!s.pcap.write(frame.bytes, frame.timestamp, frame.original_size)) return false;
  }
  const std::string chunk = s.pcap.take();
  s.written += uint32_t(s.frames.size());
  if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
  if ((s.count != 0 && s.written >= s.count) || Clock::now() >= s.deadline || stopping.load()) {
    sink.done();
  }
  return true;
}

}  // namespace

AdminServer::AdminServer(Router& router, std::unique_ptr<httplib::Server> server)
    : router_(router), server_(std::move(server)) {}

AdminServer::~AdminServer() {
  stop();
}

Result<std::unique_ptr<AdminServer>> AdminServer::start(Router& router, const std::string& address,
                                                        uint16_t port, const std::string& tls_dir) {
  std::unique_ptr<httplib::Server> server;
  if (tls_dir.empty()) {
    server = std::make_unique<httplib::Server>();
  } else {
    auto https = std::make_unique<httplib::SSLServer>(
        [&](SSL_CTX& ctx) { return pki::configure_mutual_tls_server(ctx, tls_dir); });
    if (!https->is_valid()) {
      return Error{"router.admin",
                   "cannot serve HTTPS with " + tls_dir + "/{ca,cert,key}.pem (openvpc host add)"};
    }
    // Only operators: a host's certificate (a router's, say) does not open another's admin.
    https->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      auto identity = pki::tls_peer_identity(req.ssl);
      if (identity && identity->role == pki::Role::operator_) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.status = 403;
      res.set_content("an operator certificate is needed (openvpc host add --operator)\n",
                      "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    });
    server = std::move(https);
  }
  std::unique_ptr<AdminServer> admin(new AdminServer(router, std::move(server)));
  admin->route();
  const int bound = port == 0 ? admin->server_->bind_to_any_port(address)
                              : (admin->server_->bind_to_port(address, port) ? port : -1);
  if (bound <= 0) {
    return Error{"router.admin", "cannot listen on " + address + ":" + std::to_string(port)};
  }
  admin->port_ = uint16_t(bound);
  admin->thread_ = std::thread([server = admin->server_.get()] { server->listen_after_bind(); });
  spdlog::info("admin endpoint on {}://{}:{} (/metrics, /trace, /capture)",
               tls_dir.empty() ? "http" : "https", address, bound);
  return admin;
}

void AdminServer::stop() {
  stopping_.store(true);
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void AdminServer::route() {
  server_->set_tcp_nodelay(true);
  server_->set_payload_max_length(64 * 1024);
  server_->set_read_timeout(10, 0);
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const RouterStatus status = router_.published_status();
    const std::vector<WorkerSnapshot> workers = router_.snapshots();
    RouterMetricsInput input;
    input.status = &status;
    input.workers = workers;
    input.capture = router_.capture().stats();
    input.connection_allowance = router_.connection_allowance();
    res.set_content(router_metrics_text(input), std::string(PrometheusText::kContentType));
  });
  server_->Post("/trace", [this](const httplib::Request& req, httplib::Response& res) {
    auto request = parse_trace_request(req.body);
    const auto program = router_.program();
    if (request && !program) request = Error{"trace.no_program", "no program in force yet"};
    auto text = request ? trace_packet(*program, *request) : Result<std::string>(request.error());
    if (!text) {
      res.status = text.error().code == "trace.unknown_eni" ? 404 : 400;
      res.set_content(text.error().code + ": " + text.error().message + "\n", "text/plain");
      return;
    }
    res.set_content(*text, "text/plain");
  });
  server_->Get("/capture", [this](const httplib::Request& req, httplib::Response& res) {
    const uint32_t eni = find_eni(router_.published_status(), req.get_param_value("eni"));
    const auto seconds = number_parameter(req, "seconds", 10, kMaxCaptureSeconds);
    const auto count = number_parameter(req, "count", 0, 1'000'000'000);
    if (!seconds || *seconds == 0 || !count) {
      res.status = 400;
      res.set_content(
          "seconds must be 1.." + std::to_string(kMaxCaptureSeconds) + ", count a number\n",
          "text/plain");
      return;
    }
    if (eni == 0) {
      res.status = 404;
      res.set_content("ENI '" + req.get_param_value("eni") + "' is not on this host\n",
                      "text/plain");
      return;
    }
    auto pcap = io::PcapWriter::open_buffer(io::PcapLinkType::ethernet, EniCapture::kSnapLength);
    if (!pcap) {
      res.status = 500;
      res.set_content(pcap.error().message + "\n", "text/plain");
      return;
    }
    if (!router_.capture().start(eni)) {
      res.status = 409;
      res.set_content("another capture is running on this router\n", "text/plain");
      return;
    }
    auto session = std::make_shared<CaptureSession>(std::move(*pcap));
    session->deadline = Clock::now() + std::chrono::seconds(*seconds);
    session->count = *count;
    res.set_chunked_content_provider(
        "application/vnd.tcpdump.pcap",
        [this, session](size_t, httplib::DataSink& sink) {
          return stream_capture(router_.capture(), stopping_, *session, sink);
        },
        [this](bool) { router_.capture().stop(); });
  });
}

}  // namespace openvpc::router
