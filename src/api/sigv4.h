// sigv4.h — AWS Signature Version 4: verifying the requests the API receives and signing the
// ones the openvpc CLI sends.
//
// Verification follows AWS's order and error codes: no Authorization header ->
// MissingAuthenticationToken; malformed header or missing X-Amz-Date -> IncompleteSignature;
// unknown access key -> AuthFailure; date more than 15 minutes from now -> RequestExpired;
// wrong scope, secret, body or signed header -> SignatureDoesNotMatch. The clock and the key
// lookup are injected. The payload hash is always computed from the body received, so an
// altered body cannot verify.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace openvpc::api {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string hex(std::string_view bytes);
// "20261123T112608Z" <-> seconds since the epoch.
std::string amz_date(int64_t unix_seconds);
std::optional<int64_t> parse_amz_date(std::string_view text);

struct HttpRequestView {
  std::string method = "POST";
  std::string path = "/";
  std::string query;                           // raw, without '?'
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

struct SignatureScope {
  std::string region = "us-east-1";
  std::string service = "ec2";
};

struct VerifiedCaller {
  std::string access_key_id;
};

using SecretLookup = std::function<std::optional<std::string>(const std::string& access_key_id)>;

// The SERVICE of the Authorization header's credential scope (KEY/DATE/REGION/SERVICE/...), or
// "" when there is none: what decides which API a request is for (ec2, sts, iam).
std::string signed_service(const HttpRequestView& request);

Result<VerifiedCaller> verify_signature(const HttpRequestView& request, const SignatureScope& scope,
                                        const SecretLookup& secret_of, int64_t now);

// Adds host (if absent), x-amz-date and authorization headers signing every header present.
void sign_request(HttpRequestView& request, const SignatureScope& scope,
                  const std::string& access_key_id, const std::string& secret_access_key,
                  int64_t now);

}  // namespace openvpc::api
