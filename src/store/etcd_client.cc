#include "store/etcd_client.h"

#include <httplib.h>

#include <charconv>

namespace openvpc::store::etcd {
namespace {

// Above one SYN retransmission (1 s), so a briefly full accept queue is not a dead member.
constexpr auto kConnectTimeout = std::chrono::milliseconds(1500);
// Longer than etcd's own request timeout (5 s + two elections), so its answer arrives.
constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr size_t kMaxIdlePerEndpoint = 16;
constexpr size_t kMaxAnswerSize = size_t{1} << 30;

// What happened to one attempt on one endpoint.
enum class Outcome { answered, not_sent, maybe_applied };

Outcome classify(httplib::Error error) {
  switch (error) {
    case httplib::Error::Success:
      return Outcome::answered;
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
    case httplib::Error::BindIPAddress:
      return Outcome::not_sent;
    default:
      return Outcome::maybe_applied;
  }
}

// POSTs once. The gateway ends error answers with an HTTP trailer, which cpp-httplib 0.11
// cannot parse (it reports a read error after the body): the body is taken as it streams in,
// and a complete JSON answer after a status line counts as answered.
Outcome post_once(httplib::Client& client, const std::string& path, const std::string& body,
                  std::string& answer, httplib::Response& response, httplib::Error& error) {
  httplib::Request request;
  request.method = "POST";
  request.path = path;
  request.body = body;
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    answer.append(data, size);
    return answer.size() <= kMaxAnswerSize;
  };
  client.send(request, response, error);
  if (error == httplib::Error::Success) return Outcome::answered;
  if (error == httplib::Error::Read && response.status > 0 && response.status != 200 &&
      nlohmann::json::accept(answer)) {
    return Outcome::answered;
  }
  return classify(error);
}

// Whether another member may serve a request this member refused: any "unavailable" for
// reads; for writes only "no leader", which etcd answers before it applies anything.
bool try_next_member(const GatewayError& refused, bool idempotent) {
  if (refused.error.code != "store.unavailable") return false;
  if (refused.error.message.find("no leader") != std::string::npos) return true;
  return idempotent && refused.grpc_code == 14;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view url) {
  const Error bad = make_error("store.invalid_argument", "etcd: bad endpoint " + std::string(url));
  if (url.starts_with("http://")) url.remove_prefix(7);
  const size_t colon = url.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || url.find('/') != std::string_view::npos) {
    return bad;
  }
  Endpoint endpoint{std::string(url.substr(0, colon)), 0};
  const auto digits = url.substr(colon + 1);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), endpoint.port);
  if (error != std::errc() || end != digits.data() + digits.size() || endpoint.port <= 0 ||
      endpoint.port > 65535) {
    return bad;
  }
  return endpoint;
}

std::unique_ptr<httplib::Client> make_http_client(const Endpoint& endpoint,
                                                  std::chrono::milliseconds read_timeout) {
  auto client = std::make_unique<httplib::Client>(endpoint.host, endpoint.port);
  client->set_tcp_nodelay(true);
  client->set_keep_alive(true);
  client->set_connection_timeout(kConnectTimeout);
  client->set_read_timeout(read_timeout);
  client->set_write_timeout(kRequestTimeout);
  return client;
}

GatewayError parse_gateway_error(int http_status, const std::string& body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  std::string message = "HTTP " + std::to_string(http_status);
  int code = 0;
  if (parsed.is_object()) {
    if (auto found = parsed.find("error"); found != parsed.end() && found->is_string()) {
      message = found->get<std::string>();
    }
    if (auto found = parsed.find("code"); found != parsed.end() && found->is_number_integer()) {
      code = found->get<int>();
    }
  }
  message = "etcd: " + message;
  if (message.find("has been compacted") != std::string::npos) {
    return {make_error("store.compacted", message), code};
  }
  if (code == 3 || message.find("future revision") != std::string::npos) {
    return {make_error("store.invalid_argument", message), code};
  }
  message += " (grpc code " + std::to_string(code) + ")";
  return {make_error("store.unavailable", message), code};
}

Result<std::unique_ptr<Client>> Client::create(const std::vector<std::string>& endpoints) {
  if (endpoints.empty()) return make_error("store.invalid_argument", "etcd: no endpoints");
  std::vector<Endpoint> parsed;
  for (const auto& url : endpoints) {
    auto endpoint = parse_endpoint(url);
    if (!endpoint) return endpoint.error();
    parsed.push_back(std::move(*endpoint));
  }
  return std::unique_ptr<Client>(new Client(std::move(parsed)));
}

Client::Client(std::vector<Endpoint> endpoints) : endpoints_(std::move(endpoints)) {
  for (size_t i = 0; i < endpoints_.size(); ++i) pools_.push_back(std::make_unique<Pool>());
}

Client::~Client() = default;

std::unique_ptr<httplib::Client> Client::borrow(size_t index, bool& reused) {
  Pool& pool = *pools_[index];
  reused = false;
  {
    std::lock_guard lock(pool.mutex);
    if (!pool.idle.empty()) {
      auto client = std::move(pool.idle.back());
      pool.idle.pop_back();
      reused = true;
      return client;
    }
  }
  return make_http_client(endpoints_[index], kRequestTimeout);
}

void Client::give_back(size_t index, std::unique_ptr<httplib::Client> client) {
  Pool& pool = *pools_[index];
  std::lock_guard lock(pool.mutex);
  if (pool.idle.size() < kMaxIdlePerEndpoint) pool.idle.push_back(std::move(client));
}

Result<nlohmann::json> Client::post(const std::string& path, const nlohmann::json& body,
                                    bool idempotent) {
  const std::string text = body.dump();
  const size_t first = preferred_.load();
  std::string failures;
  bool retried_fresh = false;
  for (size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    const size_t index = (first + attempt) % endpoints_.size();
    bool reused = false;
    auto client = borrow(index, reused);
    std::string answer;
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    const Outcome outcome = post_once(*client, path, text, answer, response, error);
    if (outcome != Outcome::answered) {
      failures += " " + endpoints_[index].url() + ": " + httplib::to_string(error) + ";";
      if (outcome == Outcome::maybe_applied && !idempotent) {
        return make_error("store.unavailable",
                          "etcd: connection lost, outcome unknown:" + failures);
      }
      if (reused && outcome == Outcome::maybe_applied && !retried_fresh) {
        retried_fresh = true;  // a stale keep-alive connection: once more, freshly
        std::lock_guard lock(pools_[index]->mutex);
        pools_[index]->idle.clear();
        --attempt;
      }
      continue;  // the client is dropped with its broken connection
    }
    const int status = response.status;
    if (status == 200) give_back(index, std::move(client));
    if (status != 200) {
      GatewayError refused = parse_gateway_error(status, answer);
      if (!try_next_member(refused, idempotent)) return refused.error;
      failures += " " + endpoints_[index].url() + ": " + refused.error.message + ";";
      continue;
    }
    auto parsed = nlohmann::json::parse(answer, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return make_error("store.corrupt",
                        "etcd: answer is not a JSON object: " + answer.substr(0, 200));
    }
    preferred_.store(index);
    return parsed;
  }
  return make_error("store.unavailable", "etcd: no endpoint answered:" + failures);
}

}  // namespace openvpc::store::etcd
