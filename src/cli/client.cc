#include "cli/client.h"

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "api/query.h"
#include "api/sigv4.h"

namespace openvpc::cli {

namespace {

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r");
  size_t end = text.find_last_not_of(" \t\r");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

}  // namespace

Result<Credentials> read_credentials(const std::string& path) {
  std::ifstream file(path);
  if (!file) return make_error("MissingCredentials", "cannot read credentials file " + path);
  Credentials credentials;
  std::string line;
  bool in_default = true;
  while (std::getline(file, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      in_default = line == "[default]";
      continue;
    }
    size_t eq = line.find('=');
    if (!in_default || eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") credentials.access_key_id = value;
    if (key == "aws_secret_access_key") credentials.secret_access_key = value;
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return make_error("MissingCredentials", "no [default] key in " + path);
  }
  return credentials;
}

ApiClient::ApiClient(std::string endpoint, Credentials credentials, std::string region)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      region_(std::move(region)) {
  size_t scheme = endpoint_.find("://");
  host_ = scheme == std::string::npos ? endpoint_ : endpoint_.substr(scheme + 3);
  host_ = host_.substr(0, host_.find('/'));
}

ApiClient::~ApiClient() = default;
ApiClient::ApiClient(ApiClient&&) noexcept = default;

Result<std::pair<int, std::string>> ApiClient::post(const std::string& path,
                                                    const std::string& body,
                                                    const std::string& content_type) {
  api::HttpRequestView request;
  request.path = path;
  request.headers["host"] = host_;
  request.headers["content-type"] = content_type;
  request.body = body;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  api::sign_request(request, {region_, "ec2"}, credentials_.access_key_id,
                    credentials_.secret_access_key, now);
  if (!connection_) {
    connection_ = std::make_unique<httplib::Client>(endpoint_);
    connection_->set_keep_alive(true);
    connection_->set_tcp_nodelay(true);
    connection_->set_connection_timeout(5, 0);
    connection_->set_read_timeout(30, 0);
  }
  httplib::Headers headers;
  for (const auto& [name, value] : request.headers) {
    if (name != "content-type") headers.emplace(name == "host" ? "Host" : name, value);
  }
  auto response = connection_->Post(path, headers, body, content_type);
  if (!response) {
    return make_error("ConnectionFailed",
                      "cannot reach " + endpoint_ + ": " + httplib::to_string(response.error()));
  }
  return std::pair{response->status, response->body};
}

Result<XmlNode> ApiClient::call(const std::string& action,
                                std::map<std::string, std::string> params) {
  params["Action"] = action;
  params["Version"] = "2016-11-15";
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += api::uri_encode(name) + "=" + api::uri_encode(value);
  }
  auto answer = post("/", body, "application/x-www-form-urlencoded; charset=utf-8");
  if (!answer) return answer.error();
  auto document = parse_xml(answer->second);
  if (!document) return document.error();
  if (answer->first != 200) {
    const XmlNode& error = document->child("Errors").child("Error");
    return make_error(error.text_at("Code"), error.text_at("Message"));
  }
  return document;
}

Result<std::vector<XmlNode>> ApiClient::describe_all(const std::string& action,
                                                     const std::string& set_name) {
  std::vector<XmlNode> items;
  std::string token;
  for (int page = 0; page < 10000; ++page) {
    std::map<std::string, std::string> params{{"MaxResults", "1000"}};
    if (!token.empty()) params["NextToken"] = token;
    auto document = call(action, params);
    if (!document) return document.error();
    for (const XmlNode* item : document->items(set_name)) items.push_back(*item);
    token = document->text_at("nextToken");
    if (token.empty()) break;
  }
  return items;
}

Result<nlohmann::json> ApiClient::admin(const std::string& verb, const nlohmann::json& body) {
  auto answer = post("/admin/" + verb, body.dump(), "application/json");
  if (!answer) return answer.error();
  auto document = nlohmann::json::parse(answer->second, nullptr, false);
  if (document.is_discarded()) return make_error("MalformedResponse", answer->second);
  if (answer->first != 200) {
    return make_error(document["error"].value("code", "Error"),
                      document["error"].value("message", ""));
  }
  return document;
}

}  // namespace openvpc::cli
