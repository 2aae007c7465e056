#include "api/sigv4.h"

#include <gtest/gtest.h>

namespace openvpc::api {
namespace {

constexpr int64_t kNow = 1'700'000'000;

SecretLookup secrets() {
  return [](const std::string& key) -> std::optional<std::string> {
    if (key == "AKIDEXAMPLE") return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    return std::nullopt;
  };
}

HttpRequestView signed_request(int64_t at = kNow) {
  HttpRequestView request;
  request.headers["host"] = "127.0.0.1:8773";
  request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
  request.body = "Action=DescribeVpcs&Version=2016-11-15";
  sign_request(request, {}, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", at);
  return request;
}

std::string verify_code(const HttpRequestView& request, SignatureScope scope = {}) {
  auto verified = verify_signature(request, scope, secrets(), kNow);
  return verified.ok() ? "ok" : verified.error().code;
}

// The "get-vanilla" case of AWS's published SigV4 test suite.
TEST(SigV4Test, KnownAnswerFromTheAwsTestSuite) {
  HttpRequestView request;
  request.method = "GET";
  request.headers["host"] = "example.amazonaws.com";
  request.headers["x-amz-date"] = "20150830T123600Z";
  request.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  auto at = parse_amz_date("20150830T123600Z");
  ASSERT_TRUE(at.has_value());
  auto verified = verify_signature(request, {"us-east-1", "service"}, secrets(), *at);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->access_key_id, "AKIDEXAMPLE");
}

TEST(SigV4Test, SignedRequestVerifies) {
  EXPECT_EQ(verify_code(signed_request()), "ok");
}

TEST(SigV4Test, TamperingIsDetected) {
  struct Case {
    const char* what;
    std::function<void(HttpRequestView&)> tamper;
    const char* expected;
  };
  const Case cases[] = {
      {"altered body", [](auto& r) { r.body += "&VpcId.1=vpc-1"; }, "SignatureDoesNotMatch"},
      {"altered signed header", [](auto& r) { r.headers["host"] = "evil"; },
       "SignatureDoesNotMatch"},
      {"unsigned header added", [](auto& r) { r.headers["x-extra"] = "1"; }, "ok"},
      {"wrong secret", [](auto& r) { sign_request(r, {}, "AKIDEXAMPLE", "wrong-secret", kNow); },
       "SignatureDoesNotMatch"},
      {"unknown key", [](auto& r) { sign_request(r, {}, "AKIDOTHER", "s", kNow); }, "AuthFailure"},
      {"expired",
       [](auto& r) {
         sign_request(r, {}, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      kNow - 16 * 60);
       },
       "RequestExpired"},
      {"from the future",
       [](auto& r) {
         sign_request(r, {}, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      kNow + 16 * 60);
       },
       "RequestExpired"},
      {"within skew",
       [](auto& r) {
         sign_request(r, {}, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      kNow - 14 * 60);
       },
       "ok"},
      {"no authorization", [](auto& r) { r.headers.erase("authorization"); },
       "MissingAuthenticationToken"},
      {"no date", [](auto& r) { r.headers.erase("x-amz-date"); }, "IncompleteSignature"},
      {"bad date", [](auto& r) { r.headers["x-amz-date"] = "yesterday"; }, "IncompleteSignature"},
      {"other algorithm", [](auto& r) { r.headers["authorization"] = "AWS3 x"; },
       "IncompleteSignature"},
      {"no signature field",
       [](auto& r) {
         auto& a = r.headers["authorization"];
         a = a.substr(0, a.find(", Signature="));
       },
       "IncompleteSignature"},
      {"short credential",
       [](auto& r) {
         r.headers["authorization"] =
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, SignedHeaders=host, Signature=00";
       },
       "IncompleteSignature"},
  };
  for (const auto& c : cases) {
    HttpRequestView request = signed_request();
    c.tamper(request);
    EXPECT_EQ(verify_code(request), c.expected) << c.what;
  }
}

TEST(SigV4Test, ScopeMustMatchRegionAndService) {
  EXPECT_EQ(verify_code(signed_request(), {"eu-west-1", "ec2"}), "SignatureDoesNotMatch");
  EXPECT_EQ(verify_code(signed_request(), {"us-east-1", "s3"}), "SignatureDoesNotMatch");
}

TEST(AmzDateTest, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(amz_date(kNow), "20231114T221320Z");
  EXPECT_EQ(parse_amz_date(amz_date(kNow)), kNow);
  for (const char* bad : {"", "20231114T221320", "2023111XT221320Z", "20231314T221320Z",
                          "20231114T251320Z", "20231114 221320Z"}) {
    EXPECT_FALSE(parse_amz_date(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace openvpc::api
