#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "api/query.h"

namespace openvpc::api {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr int64_t kMaxSkewSeconds = 15 * 60;

Error incomplete(std::string_view why) {
  return make_error("IncompleteSignature", std::string(why));
}

std::string trim(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = url_decode(pair.substr(0, eq));
    auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    pairs.emplace_back(uri_encode(name ? *name : std::string(pair.substr(0, eq))),
                       uri_encode(value ? *value : ""));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

// The string to sign for a request with the given signed header list (names ';'-joined).
std::string string_to_sign(const HttpRequestView& request, const std::string& signed_headers,
                           const std::string& date, const std::string& scope) {
  std::string canonical = request.method + "\n" + uri_encode(request.path, true) + "\n" +
                          canonical_query(request.query) + "\n";
  std::string_view names = signed_headers;
  while (!names.empty()) {
    size_t semi = names.find(';');
    std::string name(names.substr(0, semi));
    names = semi == std::string_view::npos ? std::string_view{} : names.substr(semi + 1);
    auto it = request.headers.find(name);
    canonical += name + ":" + (it == request.headers.end() ? "" : trim(it->second)) + "\n";
  }
  canonical += "\n" + signed_headers + "\n" + sha256_hex(request.body);
  return std::string(kAlgorithm) + "\n" + date + "\n" + scope + "\n" + sha256_hex(canonical);
}

std::string signature(const std::string& secret, const std::string& day,
                      const SignatureScope& scope, const std::string& to_sign) {
  std::string key = hmac_sha256("AWS4" + secret, day);
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  return hex(hmac_sha256(key, to_sign));
}

struct AuthorizationHeader {
  std::string access_key_id, day, region, service, signed_headers, signature;
};

Result<AuthorizationHeader> parse_authorization(std::string_view header) {
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm) {
    return incomplete("Unsupported authorization type");
  }
  std::map<std::string, std::string> fields;
  std::string_view rest = header.substr(kAlgorithm.size());
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string part = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string::npos)
      return incomplete("Authorization header requires '=' in each field");
    fields[part.substr(0, eq)] = part.substr(eq + 1);
  }
  for (const char* required : {"Credential", "SignedHeaders", "Signature"}) {
    if (fields[required].empty()) {
      return incomplete(std::string("Authorization header requires '") + required + "' parameter.");
    }
  }
  std::vector<std::string> scope;
  std::string_view credential = fields["Credential"];
  while (true) {
    size_t slash = credential.find('/');
    scope.emplace_back(credential.substr(0, slash));
    if (slash == std::string_view::npos) break;
    credential.remove_prefix(slash + 1);
  }
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty()) {
    return incomplete("Credential must have the form KEY/DATE/REGION/SERVICE/aws4_request");
  }
  return AuthorizationHeader{
      scope[0], scope[1], scope[2], scope[3], fields["SignedHeaders"], fields["Signature"]};
}

}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return hex(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string amz_date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::optional<int64_t> parse_amz_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  auto number = [&](size_t at, size_t length) {
    return std::stoi(std::string(text.substr(at, length)));
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(4, 2) - 1;
  tm.tm_mday = number(6, 2);
  tm.tm_hour = number(9, 2);
  tm.tm_min = number(11, 2);
  tm.tm_sec = number(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::string signed_service(const HttpRequestView& request) {
  auto auth = request.headers.find("authorization");
  if (auth == request.headers.end()) return "";
  auto header = parse_authorization(auth->second);
  return header ? header->service : "";
}

Result<VerifiedCaller> verify_signature(const HttpRequestView& request, const SignatureScope& scope,
                                        const SecretLookup& secret_of, int64_t now) {
  auto auth = request.headers.find("authorization");
  if (auth == request.headers.end() || auth->second.empty()) {
    return make_error("MissingAuthenticationToken", "Request is missing Authentication Token");
  }
  auto header = parse_authorization(auth->second);
  if (!header) return header.error();
  auto date_header = request.headers.find("x-amz-date");
  if (date_header == request.headers.end()) {
    return incomplete(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  auto date = parse_amz_date(date_header->second);
  if (!date)
    return incomplete("X-Amz-Date must be in the ISO8601 basic format YYYYMMDD'T'HHMMSS'Z'");
  auto secret = secret_of(header->access_key_id);
  if (!secret) {
    return make_error("AuthFailure",
                      "AWS was not able to validate the provided access credentials");
  }
  if (*date > now + kMaxSkewSeconds || *date < now - kMaxSkewSeconds) {
    return make_error("RequestExpired",
                      "Request has expired. Timestamp date is " + date_header->second);
  }
  if (header->day != date_header->second.substr(0, 8) || header->region != scope.region ||
      header->service != scope.service) {
    return make_error("SignatureDoesNotMatch",
                      "Credential should be scoped to a valid region, "
                      "service and date: " +
                          scope.region + "/" + scope.service);
  }
  if ((";" + header->signed_headers + ";").find(";host;") == std::string::npos) {
    return incomplete("SignedHeaders must include host");
  }
  std::string credential_scope =
      header->day + "/" + scope.region + "/" + scope.service + "/aws4_request";
  std::string expected = signature(
      *secret, header->day, scope,
      string_to_sign(request, header->signed_headers, date_header->second, credential_scope));
  if (expected.size() != header->signature.size() ||
      CRYPTO_memcmp(expected.data(), header->signature.data(), expected.size()) != 0) {
    return make_error("SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method.");
  }
  return VerifiedCaller{header->access_key_id};
}

void sign_request(HttpRequestView& request, const SignatureScope& scope,
                  const std::string& access_key_id, const std::string& secret_access_key,
                  int64_t now) {
  request.headers.erase("authorization");
  std::string date = amz_date(now);
  request.headers["x-amz-date"] = date;
  std::string signed_headers;
  for (const auto& [name, value] : request.headers) {
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }
  std::string day = date.substr(0, 8);
  std::string credential_scope = day + "/" + scope.region + "/" + scope.service + "/aws4_request";
  std::string sig = signature(secret_access_key, day, scope,
                              string_to_sign(request, signed_headers, date, credential_scope));
  request.headers["authorization"] = std::string(kAlgorithm) + " Credential=" + access_key_id +
                                     "/" + credential_scope + ", SignedHeaders=" + signed_headers +
                                     ", Signature=" + sig;
}

}  // namespace openvpc::api
