// etcd_client.h — requests to an etcd v3 cluster through its JSON gateway (POST /v3/...),
// spread over several endpoints: a request goes to the endpoint that answered last, and moves
// on to the next one when that one cannot be reached.
//
// Failover is safe by construction: a request that may already have been applied (the
// connection broke after it was sent) is retried elsewhere only when it is idempotent (reads);
// a transaction then fails with store.unavailable rather than being applied twice.
// A request that fails on a reused keep-alive connection (the server may have closed it) is
// tried once more on a fresh connection to the same endpoint when that is safe.
// Thread-safe: each request borrows an idle HTTP connection from a small per-endpoint pool.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace httplib {
class Client;
}

namespace openvpc::store::etcd {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string url() const { return "http://" + host + ":" + std::to_string(port); }
};

// "http://host:port" (or "host:port"); https is not supported.
Result<Endpoint> parse_endpoint(std::string_view url);

// An HTTP client for endpoint with the settings every etcd request uses (TCP_NODELAY,
// keep-alive, bounded connect and read timeouts).
std::unique_ptr<httplib::Client> make_http_client(const Endpoint& endpoint,
                                                  std::chrono::milliseconds read_timeout);

// An etcd gateway error body ({"error", "code", "message"}) as a store error.
struct GatewayError {
  Error error;
  int grpc_code = 0;
};
GatewayError parse_gateway_error(int http_status, const std::string& body);

class Client {
 public:
  static Result<std::unique_ptr<Client>> create(const std::vector<std::string>& endpoints);
  ~Client();

  // POSTs body to path (e.g. "/v3/kv/range") and returns the JSON answer.
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body, bool idempotent);
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }
  // The endpoint that answered last: where to try first.
  size_t preferred() const { return preferred_.load(); }

 private:
  struct Pool {
    std::mutex mutex;
    std::vector<std::unique_ptr<httplib::Client>> idle;
  };
  explicit Client(std::vector<Endpoint> endpoints);
  // An idle connection of endpoint index if there is one (reused = true), else a new one.
  std::unique_ptr<httplib::Client> borrow(size_t index, bool& reused);
  void give_back(size_t index, std::unique_ptr<httplib::Client> client);

  std::vector<Endpoint> endpoints_;
  std::vector<std::unique_ptr<Pool>> pools_;
  std::atomic<size_t> preferred_ = 0;
};

}  // namespace openvpc::store::etcd
