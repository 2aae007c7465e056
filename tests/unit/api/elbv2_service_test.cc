// The ELBv2 Query API through ApiService::handle: requests signed for elasticloadbalancing get
// ELB's envelope, error shape and codes; EC2 requests are untouched.
#include <gtest/gtest.h>

#include <regex>

#include "../model/memory_store.h"
#include "api/elbv2.h"
#include "api/service.h"
#include "model/account.h"

namespace openvpc::api {
namespace {

constexpr int64_t kNow = 1'700'000'000;

class Elbv2ServiceTest : public ::testing::Test {
 protected:
  Elbv2ServiceTest()
      : regions_(store_),
        service_(
            regions_, {}, [this] { return now_; }, 1) {
    model::IdSource ids(3);
    auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
      auto account = model::create_account(region, ids, "alice", false);
      if (!account) return account.error();
      auto created = model::create_access_key(region, ids, *account);
      if (!created) return created.error();
      key_ = *created;
      return {};
    });
    EXPECT_TRUE(committed.ok());
  }

  HttpResponse call(const std::string& body, const std::string& service = "elasticloadbalancing") {
    HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = body;
    sign_request(request, {"us-east-1", service}, key_.access_key_id, key_.secret_access_key, now_);
    return service_.handle(request, "127.0.0.1");
  }
  static std::string code_of(const HttpResponse& response) {
    std::smatch match;
    if (std::regex_search(response.body, match, std::regex("<Code>([^<]*)</Code>"))) {
      return match[1];
    }
    return response.status == 200 ? "ok" : "?";
  }
  static std::string first(const std::string& body, const std::string& element) {
    std::smatch match;
    std::regex_search(body, match, std::regex("<" + element + ">([^<]*)</" + element + ">"));
    return match.size() > 1 ? match[1].str() : "";
  }
  // A VPC with one subnet, through the EC2 side; returns {vpc, subnet}.
  std::pair<std::string, std::string> network() {
    auto vpc = call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16", "ec2");
    std::string vpc_id = first(vpc.body, "vpcId");
    auto subnet = call("Action=CreateSubnet&VpcId=" + vpc_id + "&CidrBlock=10.0.1.0%2F24", "ec2");
    return {vpc_id, first(subnet.body, "subnetId")};
  }

  int64_t now_ = kNow;
  testing::MemoryStore store_;
  model::RegionStore regions_;
  ApiService service_;
  model::AccessKey key_;
};

TEST_F(Elbv2ServiceTest, SuccessEnvelopeIsElbs) {
  auto [vpc, subnet] = network();
  auto response = call(
      "Action=CreateLoadBalancer&Version=2015-12-01&Name=lb&Type=network"
      "&Scheme=internal&Subnets.member.1=" +
      subnet);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body.find("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<CreateLoadBalancerResponse xmlns=\"" +
                               std::string(kElbv2Namespace) +
                               "\"><CreateLoadBalancerResult><LoadBalancers><member>"
                               "<LoadBalancerArn>arn:aws:elasticloadbalancing:us-east-1:"),
            0u)
      << response.body;
  EXPECT_TRUE(std::regex_search(
      response.body,
      std::regex("</LoadBalancers></CreateLoadBalancerResult><ResponseMetadata><RequestId>"
                 "[0-9a-f-]{36}</RequestId></ResponseMetadata></CreateLoadBalancerResponse>$")))
      << response.body;
  EXPECT_EQ(first(response.body, "VpcId"), vpc);
  EXPECT_EQ(first(response.body, "PrivateIPv4Address"), "10.0.1.4");

  auto empty = call("Action=DeleteListener&ListenerArn=x");
  EXPECT_EQ(empty.status, 400);
  auto deleted =
      call("Action=DeleteLoadBalancer&LoadBalancerArn=" + first(response.body, "LoadBalancerArn"));
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_NE(deleted.body.find("<DeleteLoadBalancerResult></DeleteLoadBalancerResult>"),
            std::string::npos);
}

TEST_F(Elbv2ServiceTest, ErrorsHaveElbShapeAndCodes) {
  const std::pair<const char*, const char*> cases[] = {
      {"Action=DescribeLoadBalancers&Names.member.1=nope", "LoadBalancerNotFound"},
      {"Action=CreateLoadBalancer", "ValidationError"},  // MissingParameter, as ELB says it
      {"Action=CreateLoadBalancer&Name=x&DryRun=true", "ValidationError"},  // not an ELB name
      {"Action=DescribeTargetGroups&PageSize=401", "ValidationError"},
      {"Action=CreateVpc&CidrBlock=10.0.0.0%2F16", "InvalidAction"},  // EC2's, not ELB's
      {"Action=CreateRule", "InvalidAction"},                         // ALB only
      {"Action=DeleteTargetGroup&TargetGroupArn=x", "TargetGroupNotFound"},
      {"Action=DescribeListeners", "ValidationError"},
  };
  for (const auto& [body, code] : cases) {
    auto response = call(body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(code_of(response), code) << body << "\n" << response.body;
    EXPECT_EQ(response.body.find("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse "
                                 "xmlns=\"" +
                                 std::string(kElbv2Namespace) + "\"><Error><Type>Sender</Type>"),
              0u)
        << response.body;
    EXPECT_TRUE(std::regex_search(response.body, std::regex("<RequestId>[0-9a-f-]{36}</RequestId>"
                                                            "</ErrorResponse>$")));
  }
  // EC2 requests keep EC2's shape.
  auto ec2 = call("Action=CreateVpc", "ec2");
  EXPECT_EQ(code_of(ec2), "MissingParameter");
  EXPECT_NE(ec2.body.find("<Response><Errors><Error>"), std::string::npos);
}

TEST_F(Elbv2ServiceTest, DescribePagesWithMarker) {
  auto [vpc, subnet] = network();
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_EQ(call(std::string("Action=CreateTargetGroup&Name=") + name +
                   "&Protocol=TCP&Port=80&VpcId=" + vpc)
                  .status,
              200);
  }
  std::vector<std::string> names;
  std::string marker;
  for (int pages = 0; pages < 5; ++pages) {
    auto response = call("Action=DescribeTargetGroups&PageSize=2" +
                         (marker.empty() ? "" : "&Marker=" + uri_encode(marker)));
    ASSERT_EQ(response.status, 200) << response.body;
    std::string body = response.body;
    std::smatch match;
    while (std::regex_search(body, match, std::regex("<TargetGroupName>([^<]*)<"))) {
      names.push_back(match[1]);
      body = match.suffix();
    }
    marker = first(response.body, "NextMarker");
    if (marker.empty()) break;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Elbv2ThrottleTest, ThrottledAsElbAnswers) {
  testing::MemoryStore store;
  model::RegionStore regions(store);
  ServiceOptions options;
  options.throttle.enabled = true;
  options.throttle.non_mutating = {1, 0.001};  // one call, then (practically) none
  ApiService service(
      regions, options, [] { return kNow; }, 1);
  model::IdSource ids(3);
  model::AccessKey key;
  ASSERT_TRUE(regions
                  .mutate([&](model::Region& region) -> Result<void> {
                    auto account = model::create_account(region, ids, "alice", false);
                    if (!account) return account.error();
                    auto created = model::create_access_key(region, ids, *account);
                    if (!created) return created.error();
                    key = *created;
                    return {};
                  })
                  .ok());
  auto call = [&] {
    HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = "Action=DescribeLoadBalancers&Version=2015-12-01";
    sign_request(request, {"us-east-1", "elasticloadbalancing"}, key.access_key_id,
                 key.secret_access_key, kNow);
    return service.handle(request, "127.0.0.1");
  };
  EXPECT_EQ(call().status, 200);
  auto throttled = call();
  EXPECT_EQ(throttled.status, 400);
  EXPECT_NE(throttled.body.find("<ErrorResponse xmlns=\"" + std::string(kElbv2Namespace) +
                                "\"><Error><Type>Sender</Type><Code>Throttling</Code>"),
            std::string::npos)
      << throttled.body;
}

}  // namespace
}  // namespace openvpc::api
