// iac_compat_test.cc — the EC2 answers Ansible amazon.aws and Terraform's AWS provider depend
// on (issue 17): filter aliases, features absent here answered as EC2 answers them, the
// account's default DHCP options, ICMP ACL entries, IPv6 revokes, attributes, rule tags.
#include <gtest/gtest.h>

#include <regex>

#include "../model/memory_store.h"
#include "api/service.h"
#include "model/account.h"

namespace openvpc::api {
namespace {

constexpr int64_t kNow = 1'700'000'000;

class IacCompatTest : public ::testing::Test {
 protected:
  explicit IacCompatTest(std::string region_name = "us-east-1")
      : region_name_(region_name),
        regions_(store_),
        service_(
            regions_, options(region_name), [] { return kNow; }, 7) {
    model::IdSource ids(5);
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
  static ServiceOptions options(const std::string& region_name) {
    ServiceOptions options;
    options.region = region_name;
    options.audit = false;
    return options;
  }

  HttpResponse call(const std::string& body) {
    HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = body;
    sign_request(request, {region_name_, "ec2"}, key_.access_key_id, key_.secret_access_key, kNow);
    return service_.handle(request, "127.0.0.1");
  }
  static std::string code_of(const HttpResponse& response) {
    std::smatch match;
    if (std::regex_search(response.body, match, std::regex("<Code>([^<]*)</Code>")))
      return match[1];
    return response.status == 200 ? "ok" : "?";
  }
  static std::string message_of(const HttpResponse& response) { return first(response, "Message"); }
  static std::string first(const HttpResponse& response, const std::string& element) {
    std::smatch match;
    std::regex_search(response.body, match,
                      std::regex("<" + element + ">([^<]*)</" + element + ">"));
    return match.size() > 1 ? match[1].str() : "";
  }
  static bool contains(const HttpResponse& response, const std::string& text) {
    return response.body.find(text) != std::string::npos;
  }
  std::string vpc(const std::string& cidr = "10.0.0.0/16") {
    return first(call("Action=CreateVpc&CidrBlock=" + cidr), "vpcId");
  }

  std::string region_name_;
  testing::MemoryStore store_;
  model::RegionStore regions_;
  ApiService service_;
  model::AccessKey key_;
};

TEST_F(IacCompatTest, DescribeVpcsAcceptsCidrBlockAliasAndDocumentedFilters) {
  std::string id = vpc();
  std::string other = vpc("10.1.0.0/16");
  for (const char* name :
       {"cidr", "cidr-block", "cidrBlock", "cidr-block-association.cidr-block"}) {
    auto found = call(std::string("Action=DescribeVpcs&Filter.1.Name=") + name +
                      "&Filter.1.Value.1=10.0.0.0/16");
    ASSERT_EQ(found.status, 200) << name << found.body;
    EXPECT_TRUE(contains(found, id)) << name;
    EXPECT_FALSE(contains(found, other)) << name;
  }
  auto associated = call(
      "Action=DescribeVpcs&Filter.1.Name=cidr-block-association.state&Filter.1.Value.1=associated");
  EXPECT_TRUE(contains(associated, id) && contains(associated, other));
  auto ipv6 = call(
      "Action=DescribeVpcs&Filter.1.Name=ipv6-cidr-block-association.ipv6-cidr-block"
      "&Filter.1.Value.1=*");
  ASSERT_EQ(ipv6.status, 200) << ipv6.body;
  EXPECT_FALSE(contains(ipv6, id));
}

TEST_F(IacCompatTest, ClassicLinkIsUnsupportedAsInEveryRegion) {
  for (const char* action : {"DescribeVpcClassicLink", "DescribeVpcClassicLinkDnsSupport"}) {
    auto answer = call(std::string("Action=") + action);
    EXPECT_EQ(answer.status, 400) << action;
    EXPECT_EQ(code_of(answer), "UnsupportedOperation") << action;
    EXPECT_EQ(message_of(answer),
              "The functionality you requested is not available in this region.");
  }
}

TEST_F(IacCompatTest, NewVpcGetsTheAccountsDefaultDhcpOptions) {
  std::string first_vpc = vpc();
  std::string second_vpc = vpc("10.1.0.0/16");
  auto vpcs = call("Action=DescribeVpcs");
  std::smatch match;
  std::regex dopt("<dhcpOptionsId>(dopt-[0-9a-f]{17})</dhcpOptionsId>");
  ASSERT_TRUE(std::regex_search(vpcs.body, match, dopt)) << vpcs.body;
  std::string id = match[1];
  // One default set per account, shared by every VPC.
  auto sets = call("Action=DescribeDhcpOptions");
  const std::regex item("<dhcpOptionsId>");
  auto listed = std::distance(std::sregex_iterator(sets.body.begin(), sets.body.end(), item),
                              std::sregex_iterator());
  EXPECT_EQ(listed, 1) << sets.body;
  auto described = call("Action=DescribeDhcpOptions&DhcpOptionsId.1=" + id);
  ASSERT_EQ(described.status, 200) << described.body;
  EXPECT_TRUE(contains(described, "<key>domain-name</key><valueSet><item><value>ec2.internal<"));
  EXPECT_TRUE(contains(described,
                       "<key>domain-name-servers</key><valueSet><item><value>AmazonProvidedDNS<"));
  auto by_filter = call("Action=DescribeVpcs&Filter.1.Name=dhcp-options-id&Filter.1.Value.1=" + id);
  EXPECT_TRUE(contains(by_filter, first_vpc) && contains(by_filter, second_vpc));
  // "default" still means no options, and the set can then go once nothing uses it.
  for (const auto& v : {first_vpc, second_vpc}) {
    auto associated = call("Action=AssociateDhcpOptions&DhcpOptionsId=default&VpcId=" + v);
    ASSERT_EQ(associated.status, 200) << associated.body;
  }
  EXPECT_EQ(first(call("Action=DescribeVpcs&VpcId.1=" + first_vpc), "dhcpOptionsId"), "default");
  EXPECT_EQ(code_of(call("Action=DeleteDhcpOptions&DhcpOptionsId=" + id)), "ok");
  // A later VPC gets a default set again.
  std::string third_vpc = vpc("10.2.0.0/16");
  std::string again = first(call("Action=DescribeVpcs&VpcId.1=" + third_vpc), "dhcpOptionsId");
  EXPECT_EQ(again.rfind("dopt-", 0), 0u) << again;
  EXPECT_EQ(code_of(call("Action=DescribeDhcpOptions&DhcpOptionsId.1=" + again)), "ok");
}

class IacCompatOtherRegionTest : public IacCompatTest {
 protected:
  IacCompatOtherRegionTest() : IacCompatTest("eu-west-1") {}
};

TEST_F(IacCompatOtherRegionTest, DefaultDhcpDomainFollowsTheRegion) {
  vpc();
  auto sets = call("Action=DescribeDhcpOptions");
  EXPECT_TRUE(contains(sets, "<value>eu-west-1.compute.internal</value>")) << sets.body;
}

TEST_F(IacCompatTest, IcmpAclEntryNeedsTypeAndCode) {
  std::string id = vpc();
  std::string acl = first(call("Action=CreateNetworkAcl&VpcId=" + id), "networkAclId");
  std::string entry = "Action=CreateNetworkAclEntry&NetworkAclId=" + acl +
                      "&RuleAction=allow&CidrBlock=0.0.0.0%2F0&Egress=false";
  for (const char* protocol : {"1", "58"}) {
    auto missing = call(entry + "&RuleNumber=10&Protocol=" + protocol);
    EXPECT_EQ(code_of(missing), "MissingParameter") << protocol;
    EXPECT_EQ(message_of(missing), "The request must contain the parameter icmpTypeCode.type");
  }
  auto no_code = call(entry + "&RuleNumber=10&Protocol=1&Icmp.Type=8");
  EXPECT_EQ(message_of(no_code), "The request must contain the parameter icmpTypeCode.code");
  EXPECT_EQ(code_of(call(entry + "&RuleNumber=10&Protocol=1&Icmp.Type=-1&Icmp.Code=-1")), "ok");
  EXPECT_EQ(code_of(call(entry + "&RuleNumber=11&Protocol=6&PortRange.From=22&PortRange.To=22")),
            "ok");
}

TEST_F(IacCompatTest, RevokingAnAbsentIpv6RangeIsNotFound) {
  std::string id = vpc();
  std::string group = first(
      call("Action=CreateSecurityGroup&GroupName=web&GroupDescription=web&VpcId=" + id), "groupId");
  auto revoked = call("Action=RevokeSecurityGroupEgress&GroupId=" + group +
                      "&IpPermissions.1.IpProtocol=-1&IpPermissions.1.FromPort=0"
                      "&IpPermissions.1.ToPort=0&IpPermissions.1.Ipv6Ranges.1.CidrIpv6=::%2F0");
  EXPECT_EQ(code_of(revoked), "InvalidPermission.NotFound") << revoked.body;
  // The IPv4 all-traffic egress rule is still there and can be revoked.
  auto v4 = call("Action=RevokeSecurityGroupEgress&GroupId=" + group +
                 "&IpPermissions.1.IpProtocol=-1&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0");
  EXPECT_EQ(code_of(v4), "ok") << v4.body;
}

TEST_F(IacCompatTest, AbsentFeaturesAnswerAsEc2) {
  auto endpoints = call(
      "Action=DescribeVpcEndpoints&Filter.1.Name=vpc-endpoint-type&Filter.1.Value.1=Gateway"
      "&Filter.2.Name=service-name&Filter.2.Value.1=com.amazonaws.us-east-1.s3");
  ASSERT_EQ(endpoints.status, 200) << endpoints.body;
  EXPECT_TRUE(contains(endpoints, "<vpcEndpointSet></vpcEndpointSet>") ||
              contains(endpoints, "<vpcEndpointSet/>"))
      << endpoints.body;
  EXPECT_EQ(code_of(call("Action=DescribeVpcEndpoints&Filter.1.Name=bogus&Filter.1.Value.1=x")),
            "InvalidParameterValue");
  std::string id = vpc();
  std::string table = first(call("Action=DescribeRouteTables"), "routeTableId");
  auto propagation = call("Action=EnableVgwRoutePropagation&RouteTableId=" + table +
                          "&GatewayId=vgw-0123456789abcdef0");
  EXPECT_EQ(code_of(propagation), "InvalidVpnGatewayID.NotFound") << propagation.body;
  EXPECT_EQ(code_of(call("Action=DisableVgwRoutePropagation&RouteTableId=rtb-00000000000000000"
                         "&GatewayId=vgw-0123456789abcdef0")),
            "InvalidRouteTableID.NotFound");
  std::string allocation = first(call("Action=AllocateAddress&Domain=vpc"), "allocationId");
  auto attribute =
      call("Action=DescribeAddressesAttribute&Attribute=domain-name&AllocationId.1=" + allocation);
  ASSERT_EQ(attribute.status, 200) << attribute.body;
  EXPECT_EQ(first(attribute, "allocationId"), allocation);
  EXPECT_EQ(code_of(call("Action=DescribeAddressesAttribute&Attribute=domain-name"
                         "&AllocationId.1=eipalloc-00000000000000000")),
            "InvalidAllocationID.NotFound");
  (void)id;
}

TEST_F(IacCompatTest, VpcAttributesAndTenancy) {
  std::string id = vpc();
  auto describe = [&] {
    return call("Action=DescribeVpcAttribute&VpcId=" + id +
                "&Attribute=enableNetworkAddressUsageMetrics");
  };
  auto before = describe();
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_TRUE(contains(before, "<enableNetworkAddressUsageMetrics><value>false</value>"));
  EXPECT_EQ(code_of(call("Action=ModifyVpcAttribute&VpcId=" + id +
                         "&EnableNetworkAddressUsageMetrics.Value=true")),
            "ok");
  EXPECT_TRUE(contains(describe(), "<enableNetworkAddressUsageMetrics><value>true</value>"));
  auto tenancy = call("Action=ModifyVpcTenancy&VpcId=" + id + "&InstanceTenancy=default");
  ASSERT_EQ(tenancy.status, 200) << tenancy.body;
  EXPECT_EQ(first(tenancy, "return"), "true");
  EXPECT_EQ(code_of(call("Action=ModifyVpcTenancy&VpcId=" + id + "&InstanceTenancy=dedicated")),
            "InvalidParameterValue");
  EXPECT_EQ(code_of(call("Action=ModifyVpcTenancy&VpcId=vpc-00000000000000000"
                         "&InstanceTenancy=default")),
            "InvalidVpcID.NotFound");
}

TEST_F(IacCompatTest, SubnetAttributesAreStoredAndDescribed) {
  std::string id = vpc();
  std::string subnet =
      first(call("Action=CreateSubnet&VpcId=" + id + "&CidrBlock=10.0.1.0%2F24"), "subnetId");
  auto described = [&] { return call("Action=DescribeSubnets&SubnetId.1=" + subnet); };
  auto before = described();
  EXPECT_EQ(first(before, "enableDns64"), "false");
  EXPECT_EQ(first(before, "hostnameType"), "ip-name");
  const char* changes[] = {"AssignIpv6AddressOnCreation.Value=true", "EnableDns64.Value=true",
                           "EnableResourceNameDnsARecordOnLaunch.Value=true",
                           "EnableResourceNameDnsAAAARecordOnLaunch.Value=true",
                           "PrivateDnsHostnameTypeOnLaunch=resource-name"};
  for (const char* change : changes) {
    auto changed = call("Action=ModifySubnetAttribute&SubnetId=" + subnet + "&" + change);
    EXPECT_EQ(code_of(changed), "ok") << change << changed.body;
  }
  auto after = described();
  EXPECT_EQ(first(after, "assignIpv6AddressOnCreation"), "true");
  EXPECT_EQ(first(after, "enableDns64"), "true");
  EXPECT_EQ(first(after, "hostnameType"), "resource-name");
  EXPECT_EQ(first(after, "enableResourceNameDnsARecord"), "true");
  EXPECT_EQ(first(after, "enableResourceNameDnsAAAARecord"), "true");
  EXPECT_EQ(first(after, "mapPublicIpOnLaunch"), "false");
  auto filtered = call(
      "Action=DescribeSubnets&Filter.1.Name=private-dns-name-options-on-launch.hostname-type"
      "&Filter.1.Value.1=resource-name&Filter.2.Name=enable-dns64&Filter.2.Value.1=true");
  EXPECT_TRUE(contains(filtered, subnet)) << filtered.body;
  EXPECT_EQ(code_of(call("Action=ModifySubnetAttribute&SubnetId=" + subnet +
                         "&PrivateDnsHostnameTypeOnLaunch=bogus")),
            "InvalidParameterValue");
  EXPECT_EQ(code_of(call("Action=ModifySubnetAttribute&SubnetId=" + subnet +
                         "&EnableDns64.Value=false&MapPublicIpOnLaunch.Value=true")),
            "InvalidParameterCombination");
  EXPECT_EQ(code_of(call("Action=ModifySubnetAttribute&SubnetId=" + subnet)), "MissingParameter");
}

TEST_F(IacCompatTest, RouteTablesFilterByGatewayAssociation) {
  vpc();
  auto none = call(
      "Action=DescribeRouteTables&Filter.1.Name=association.gateway-id&Filter.1.Value.1=igw-1");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_FALSE(contains(none, "<routeTableId>"));
}

TEST_F(IacCompatTest, SecurityGroupRulesAreResources) {
  std::string id = vpc();
  std::string group = first(
      call("Action=CreateSecurityGroup&GroupName=web&GroupDescription=web&VpcId=" + id), "groupId");
  auto authorized = call("Action=AuthorizeSecurityGroupIngress&GroupId=" + group +
                         "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22"
                         "&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8"
                         "&TagSpecification.1.ResourceType=security-group-rule"
                         "&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=ssh");
  ASSERT_EQ(authorized.status, 200) << authorized.body;
  std::string rule = first(authorized, "securityGroupRuleId");
  EXPECT_TRUE(contains(authorized, "<key>Name</key><value>ssh</value>")) << authorized.body;
  // Tags kept, listed by DescribeTags and DescribeSecurityGroupRules, changed by Create/DeleteTags.
  auto tags = call("Action=DescribeTags&Filter.1.Name=resource-id&Filter.1.Value.1=" + rule);
  EXPECT_EQ(first(tags, "resourceType"), "security-group-rule") << tags.body;
  EXPECT_EQ(first(tags, "value"), "ssh");
  EXPECT_EQ(
      code_of(call("Action=CreateTags&ResourceId.1=" + rule + "&Tag.1.Key=Team&Tag.1.Value=ops")),
      "ok");
  auto by_tag =
      call("Action=DescribeSecurityGroupRules&Filter.1.Name=tag:Team&Filter.1.Value.1=ops");
  EXPECT_EQ(first(by_tag, "securityGroupRuleId"), rule) << by_tag.body;
  EXPECT_EQ(code_of(call("Action=DeleteTags&ResourceId.1=" + rule + "&Tag.1.Key=Team")), "ok");
  EXPECT_FALSE(
      contains(call("Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1=" + rule), "Team"));
  EXPECT_EQ(code_of(call("Action=CreateTags&ResourceId.1=sgr-00000000000000000&Tag.1.Key=A")),
            "InvalidSecurityGroupRuleId.NotFound");
  // Descriptions by permission and by rule id.
  auto described = call("Action=UpdateSecurityGroupRuleDescriptionsIngress&GroupId=" + group +
                        "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22"
                        "&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8"
                        "&IpPermissions.1.IpRanges.1.Description=admins");
  ASSERT_EQ(described.status, 200) << described.body;
  auto read = [&] {
    return call("Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1=" + rule);
  };
  EXPECT_EQ(first(read(), "description"), "admins");
  EXPECT_EQ(code_of(call("Action=UpdateSecurityGroupRuleDescriptionsEgress&GroupId=" + group +
                         "&SecurityGroupRuleDescription.1.SecurityGroupRuleId=" + rule +
                         "&SecurityGroupRuleDescription.1.Description=x")),
            "InvalidSecurityGroupRuleId.NotFound");  // an ingress rule
  EXPECT_EQ(code_of(call("Action=UpdateSecurityGroupRuleDescriptionsIngress&GroupId=" + group +
                         "&SecurityGroupRuleDescription.1.SecurityGroupRuleId=" + rule +
                         "&SecurityGroupRuleDescription.1.Description=bastion")),
            "ok");
  EXPECT_EQ(first(read(), "description"), "bastion");
  EXPECT_EQ(
      code_of(call("Action=UpdateSecurityGroupRuleDescriptionsIngress&GroupId=" + group +
                   "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=23"
                   "&IpPermissions.1.ToPort=23&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8")),
      "InvalidPermission.NotFound");
  // ModifySecurityGroupRules replaces the rule in place: same id, tags kept.
  std::string modify = "Action=ModifySecurityGroupRules&GroupId=" + group +
                       "&SecurityGroupRule.1.SecurityGroupRuleId=" + rule +
                       "&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=tcp"
                       "&SecurityGroupRule.1.SecurityGroupRule.FromPort=443"
                       "&SecurityGroupRule.1.SecurityGroupRule.ToPort=443";
  auto modified = call(modify + "&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=0.0.0.0%2F0");
  ASSERT_EQ(modified.status, 200) << modified.body;
  auto after = read();
  EXPECT_EQ(first(after, "fromPort"), "443");
  EXPECT_EQ(first(after, "cidrIpv4"), "0.0.0.0/0");
  EXPECT_TRUE(contains(after, "<key>Name</key><value>ssh</value>")) << after.body;
  EXPECT_EQ(code_of(call(modify + "&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=bogus")),
            "InvalidParameterValue");
  EXPECT_EQ(code_of(call("Action=ModifySecurityGroupRules&GroupId=" + group +
                         "&SecurityGroupRule.1.SecurityGroupRuleId=sgr-00000000000000000"
                         "&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=-1"
                         "&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=0.0.0.0%2F0")),
            "InvalidSecurityGroupRuleId.NotFound");
}

TEST_F(IacCompatTest, ClientTokenOnActionsNewerThanTheBotocoreModel) {
  std::string id = vpc();
  for (const char* action : {"CreateNetworkAcl", "CreateRouteTable"}) {
    std::string request = std::string("Action=") + action + "&VpcId=" + id + "&ClientToken=tf-1";
    auto once = call(request);
    ASSERT_EQ(once.status, 200) << action << once.body;
    EXPECT_EQ(first(once, "clientToken"), "tf-1");
    std::string element =
        std::string(action) == "CreateNetworkAcl" ? "networkAclId" : "routeTableId";
    EXPECT_EQ(first(call(request), element), first(once, element)) << action;
  }
  EXPECT_EQ(code_of(call("Action=CreateNetworkAcl&VpcId=" + id + "&NoSuchParameter=1")),
            "UnknownParameter");
}

TEST_F(IacCompatTest, NewlyKnownFiltersMatchWhatIsReported) {
  std::string id = vpc();
  std::string acl = first(call("Action=CreateNetworkAcl&VpcId=" + id), "networkAclId");
  ASSERT_EQ(code_of(call("Action=CreateNetworkAclEntry&NetworkAclId=" + acl +
                         "&RuleNumber=10&Protocol=6&RuleAction=allow&CidrBlock=0.0.0.0%2F0"
                         "&PortRange.From=443&PortRange.To=443")),
            "ok");
  auto by_port =
      call("Action=DescribeNetworkAcls&Filter.1.Name=entry.port-range.from&Filter.1.Value.1=443");
  EXPECT_TRUE(contains(by_port, acl)) << by_port.body;
  auto other_port =
      call("Action=DescribeNetworkAcls&Filter.1.Name=entry.port-range.from&Filter.1.Value.1=80");
  EXPECT_FALSE(contains(other_port, acl));
  std::string subnet =
      first(call("Action=CreateSubnet&VpcId=" + id + "&CidrBlock=10.0.1.0%2F24"), "subnetId");
  std::string instance =
      first(call("Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=1&SubnetId=" + subnet),
            "instanceId");
  auto by_interface =
      call("Action=DescribeInstances&Filter.1.Name=network-interface.subnet-id&Filter.1.Value.1=" +
           subnet + "&Filter.2.Name=instance.group-name&Filter.2.Value.1=default");
  EXPECT_TRUE(contains(by_interface, instance)) << by_interface.body;
  auto absent = call("Action=DescribeInstances&Filter.1.Name=key-name&Filter.1.Value.1=*");
  ASSERT_EQ(absent.status, 200) << absent.body;
  EXPECT_FALSE(contains(absent, instance));
  auto by_type = call(
      "Action=DescribeNetworkInterfaces&Filter.1.Name=interface-type"
      "&Filter.1.Value.1=interface&Filter.2.Name=attachment.device-index"
      "&Filter.2.Value.1=0");
  EXPECT_TRUE(contains(by_type, subnet)) << by_type.body;
}

}  // namespace
}  // namespace openvpc::api
