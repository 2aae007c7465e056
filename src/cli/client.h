// client.h — the openvpc CLI's way to the controller: SigV4-signed EC2 Query calls (the same
// API the AWS CLI uses) and JSON admin calls (POST /admin/<verb>, signed with the admin key).
//
// Errors come back as openvpc::Error with the EC2 code (or "ConnectionFailed" when the
// controller cannot be reached). Not thread-safe; one client per thread. A client keeps its
// connection open between calls (HTTP keep-alive, as the AWS SDKs do).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/xml_reader.h"
#include "common/result.h"

namespace httplib {
class Client;
}

namespace openvpc::cli {

struct Credentials {
  std::string access_key_id, secret_access_key;
};

// Reads an AWS-credentials-style file ([default] aws_access_key_id=.. aws_secret_access_key=..).
Result<Credentials> read_credentials(const std::string& path);

class ApiClient {
 public:
  ApiClient(std::string endpoint, Credentials credentials, std::string region);
  ~ApiClient();
  ApiClient(ApiClient&&) noexcept;

  // One EC2 action; the parsed response document on success.
  Result<XmlNode> call(const std::string& action, std::map<std::string, std::string> params);
  // Every page of a Describe* action (follows nextToken), items of set_name concatenated.
  Result<std::vector<XmlNode>> describe_all(const std::string& action, const std::string& set_name);
  Result<nlohmann::json> admin(const std::string& verb, const nlohmann::json& body);

 private:
  Result<std::pair<int, std::string>> post(const std::string& path, const std::string& body,
                                           const std::string& content_type);

  std::string endpoint_, host_;
  Credentials credentials_;
  std::string region_;
  std::unique_ptr<httplib::Client> connection_;  // opened by the first call
};

}  // namespace openvpc::cli
