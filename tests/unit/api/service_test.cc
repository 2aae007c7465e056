#include "api/service.h"

#include <gtest/gtest.h>

#include <regex>

#include "../model/memory_store.h"
#include "model/account.h"

namespace openvpc::api {
namespace {

constexpr int64_t kNow = 1'700'000'000;

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest()
      : regions_(store_),
        service_(
            regions_, {}, [this] { return now_; }, 1) {
    model::IdSource ids(3);
    auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
      for (auto* key : {&alice_, &bob_}) {
        auto account = model::create_account(region, ids, key == &alice_ ? "alice" : "bob", false);
        if (!account) return account.error();
        auto created = model::create_access_key(region, ids, *account);
        if (!created) return created.error();
        *key = *created;
      }
      return {};
    });
    EXPECT_TRUE(committed.ok());
  }

  HttpResponse call(const std::string& body, const model::AccessKey* key = nullptr) {
    HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = body;
    const model::AccessKey& signer = key ? *key : alice_;
    sign_request(request, {}, signer.access_key_id, signer.secret_access_key, now_);
    return service_.handle(request, "127.0.0.1");
  }
  static std::string code_of(const HttpResponse& response) {
    std::smatch match;
    if (std::regex_search(response.body, match, std::regex("<Code>([^<]*)</Code>")))
      return match[1];
    return response.status == 200 ? "ok" : "?";
  }
  static std::string first(const std::string& body, const std::string& element) {
    std::smatch match;
    std::regex_search(body, match, std::regex("<" + element + ">([^<]*)</" + element + ">"));
    return match.size() > 1 ? match[1].str() : "";
  }

  int64_t now_ = kNow;
  testing::MemoryStore store_;
  model::RegionStore regions_;
  ApiService service_;
  model::AccessKey alice_, bob_;
};

TEST_F(ServiceTest, SuccessEnvelope) {
  auto response = call("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_NE(
      response.body.find("<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                         "<requestId>"),
      std::string::npos);
  EXPECT_EQ(first(response.body, "vpcId").rfind("vpc-", 0), 0u);
  EXPECT_EQ(first(response.body, "cidrBlock"), "10.0.0.0/16");
}

TEST_F(ServiceTest, ErrorsHaveEc2ShapeAndCodes) {
  const std::pair<const char*, const char*> cases[] = {
      {"Action=CreateVpc&CidrBlock=10.0.0.0%2F8", "InvalidVpc.Range"},
      {"Action=CreateVpc", "MissingParameter"},
      {"Action=NoSuchThing", "InvalidAction"},
      {"Version=2016-11-15", "MissingParameter"},
      {"Action=CreateVpc&CidrBlock=10.0.0.0%2F16&DryRun=true", "DryRunOperation"},
      {"Action=CreateVpc&DryRun=maybe", "InvalidParameterValue"},
      {"Action=DescribeVpcs&MaxResults=3", "InvalidParameterValue"},
      {"Action=DescribeVpcs&Filter.1.Name=bogus&Filter.1.Value.1=x", "InvalidParameterValue"},
      {"Action=DescribeVpcs&VpcId.1=vpc-00000000000000000", "InvalidVpcID.NotFound"},
      {"Action=DescribeVpcs&A=1&A=2", "InvalidParameterValue"},
      {"Action=DescribeVpcs&NoSuchParameter=1", "UnknownParameter"},
      {"Action=CreateVpc&CidrBlock=10.0.0.0%2F16&SubnetId=subnet-1", "UnknownParameter"},
      {"Action=%ZZ", "InvalidParameterValue"},
      {"Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=x", "InvalidParameterValue"},
      {"Action=CreateNetworkAclEntry&NetworkAclId=acl-1&RuleNumber=1&Protocol=6&RuleAction=maybe"
       "&CidrBlock=0.0.0.0%2F0",
       "InvalidParameterValue"},
  };
  for (const auto& [body, expected] : cases) {
    auto response = call(body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(code_of(response), expected) << body;
    EXPECT_NE(response.body.find("<Response><Errors><Error><Code>"), std::string::npos);
    EXPECT_NE(response.body.find("<RequestID>"), std::string::npos);
  }
}

TEST_F(ServiceTest, UnsignedAndBadlySignedRequests) {
  HttpRequestView request;
  request.body = "Action=DescribeVpcs";
  auto unsigned_response = service_.handle(request);
  EXPECT_EQ(code_of(unsigned_response), "MissingAuthenticationToken");
  model::AccessKey forged = alice_;
  forged.secret_access_key = "wrong";
  EXPECT_EQ(code_of(call("Action=DescribeVpcs", &forged)), "SignatureDoesNotMatch");
  forged.access_key_id = "AKIANOSUCHKEY0000000";
  EXPECT_EQ(code_of(call("Action=DescribeVpcs", &forged)), "AuthFailure");
}

TEST_F(ServiceTest, AccountsAreIsolated) {
  auto created = call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16");
  std::string vpc = first(created.body, "vpcId");
  EXPECT_EQ(code_of(call("Action=DescribeVpcs&VpcId.1=" + vpc, &bob_)), "InvalidVpcID.NotFound");
  EXPECT_EQ(code_of(call("Action=DeleteVpc&VpcId=" + vpc, &bob_)), "InvalidVpcID.NotFound");
  EXPECT_EQ(code_of(call("Action=CreateSubnet&VpcId=" + vpc + "&CidrBlock=10.0.1.0%2F24", &bob_)),
            "InvalidVpcID.NotFound");
  auto listing = call("Action=DescribeVpcs", &bob_);
  EXPECT_EQ(listing.body.find(vpc), std::string::npos);
  EXPECT_NE(call("Action=DescribeVpcs").body.find(vpc), std::string::npos);
}

TEST_F(ServiceTest, ClientTokenMakesRunInstancesIdempotent) {
  std::string vpc = first(call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16").body, "vpcId");
  std::string subnet =
      first(call("Action=CreateSubnet&VpcId=" + vpc + "&CidrBlock=10.0.1.0%2F24").body, "subnetId");
  std::string run = "Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=1&SubnetId=" + subnet +
                    "&ClientToken=token-1";
  auto first_run = call(run);
  auto second_run = call(run);
  ASSERT_EQ(first_run.status, 200) << first_run.body;
  EXPECT_EQ(first(first_run.body, "instanceId"), first(second_run.body, "instanceId"));
  auto listing = call("Action=DescribeInstances");
  size_t instances = 0;
  for (size_t at = 0; (at = listing.body.find("<reservationId>", at)) != std::string::npos; ++at) {
    ++instances;
  }
  EXPECT_EQ(instances, 1u);
  EXPECT_EQ(code_of(call(run + "&InstanceType=m5.large")), "IdempotentParameterMismatch");
  now_ += 25 * 3600;  // tokens expire after a day: the same token launches again
  auto later = call(run);
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_NE(first(later.body, "instanceId"), first(first_run.body, "instanceId"));
  EXPECT_EQ((*regions_.snapshot())->client_tokens.size(), 1u);
}

TEST_F(ServiceTest, SecurityGroupsReferencingEachOther) {
  std::string vpc = first(call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16").body, "vpcId");
  std::string web =
      first(call("Action=CreateSecurityGroup&GroupName=web&GroupDescription=w&VpcId=" + vpc).body,
            "groupId");
  std::string db =
      first(call("Action=CreateSecurityGroup&GroupName=db&GroupDescription=d&VpcId=" + vpc).body,
            "groupId");
  std::string allow = "Action=AuthorizeSecurityGroupIngress&GroupId=" + db +
                      "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432"
                      "&IpPermissions.1.ToPort=5432&IpPermissions.1.Groups.1.GroupId=" +
                      web;
  ASSERT_EQ(call(allow).status, 200);
  EXPECT_EQ(code_of(call(allow)), "InvalidPermission.Duplicate");
  EXPECT_EQ(code_of(call("Action=DeleteSecurityGroup&GroupId=" + web)), "DependencyViolation");
  auto described = call("Action=DescribeSecurityGroups&GroupId.1=" + db);
  EXPECT_NE(described.body.find("<groups><item><groupId>" + web), std::string::npos);
  auto rules =
      call("Action=DescribeSecurityGroupRules&Filter.1.Name=group-id&Filter.1.Value.1=" + db);
  EXPECT_NE(rules.body.find("<referencedGroupInfo><groupId>" + web), std::string::npos);
}

TEST_F(ServiceTest, EveryCallIsAudited) {
  call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16");
  call("Action=CreateVpc&CidrBlock=bogus");
  auto records = store_.range(kAuditPrefix, 0);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->kvs.size(), 2u);
  EXPECT_NE(records->kvs[0].value.find("\"code\":\"Success\""), std::string::npos);
  EXPECT_NE(records->kvs[1].value.find("\"code\":\"InvalidParameterValue\""), std::string::npos);
  EXPECT_NE(records->kvs[1].value.find(alice_.account_id), std::string::npos);
  EXPECT_EQ(records->kvs[1].value.find(alice_.secret_access_key), std::string::npos);
}

}  // namespace
}  // namespace openvpc::api
