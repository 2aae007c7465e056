// describe() with a secondary index (DescribeSpec::indexed_region) answers exactly what the
// scan answers: the same items, pages and next tokens, for random filters (indexed, unindexed,
// wildcards, several values, several filters), requested ids and page sizes;
// DescribeSecurityGroups through the service follows tag and group changes; and
// DescribeInstances finds an instance's interfaces through the attachment index as they are
// attached and detached; DescribeSecurityGroupRules by rule id or group answers what the full
// listing does, and tags on a rule find it through the rule index.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <set>

#include "../model/memory_store.h"
#include "api/action.h"
#include "api/service.h"
#include "model/account.h"

namespace openvpc::api {
namespace {

constexpr int64_t kNow = 1'700'000'000;

FilterFields fields_of(const model::SecurityGroup& group) {
  FilterFields fields{
      {"vpc-id", {group.vpc_id}}, {"group-id", {group.id}}, {"group-name", {group.name}}};
  add_tag_fields(fields, group.tags);
  return fields;
}

std::vector<std::string> all_of(const std::string& body, const std::string& element) {
  std::vector<std::string> found;
  std::regex pattern("<" + element + ">([^<]*)</" + element + ">");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), pattern);
       it != std::sregex_iterator(); ++it) {
    found.push_back((*it)[1]);
  }
  return found;
}

class DescribeIndexTest : public ::testing::Test {
 protected:
  DescribeIndexTest() : regions_(store_) {}

  // Every page of the query, indexed or scanned: "id,id,...|token" per page, or the error code.
  std::vector<std::string> pages(const std::string& query, bool indexed) {
    std::vector<std::string> out;
    std::string token;
    for (int page = 0; page < 200; ++page) {
      auto params = Params::parse(query + (token.empty() ? "" : "&NextToken=" + token));
      EXPECT_TRUE(params.ok());
      ActionContext ctx(*params, "DescribeSecurityGroups", caller_, regions_);
      auto region = ctx.read();
      EXPECT_TRUE(region.ok());
      DescribeSpec<model::SecurityGroup> spec{
          "GroupId",
          "securityGroupInfo",
          "InvalidGroup.NotFound",
          "security group",
          fields_of,
          [](XmlWriter& out, const model::SecurityGroup& g) { out.text("groupId", g.id); }};
      if (indexed) {
        spec.indexed_region = region->get();
        spec.index_kind = model::kSecurityGroupKind;
        spec.id_filter = "group-id";
      }
      auto answer = describe(ctx, (*region)->security_groups, spec);
      if (!answer) {
        out.push_back("error " + answer.error().code);
        break;
      }
      std::string line;
      for (const auto& id : all_of(*answer, "groupId")) line += id + ",";
      auto next = all_of(*answer, "nextToken");
      token = next.empty() ? "" : next.front();
      out.push_back(line + "|" + token);
      if (token.empty()) break;
    }
    return out;
  }

  testing::MemoryStore store_;
  model::RegionStore regions_;
  model::IdSource ids_{5};
  model::Caller caller_{"111111111111", "us-east-1", {}, model::kDefaultPublicPools, &ids_, kNow};
};

TEST_F(DescribeIndexTest, IndexedAnswersEqualTheScanPageByPage) {
  std::mt19937 random(11);
  model::Caller other = caller_;
  other.account_id = "222222222222";
  std::vector<std::string> vpcs, groups;
  const std::vector<std::string> names = {"web", "web-2", "db", "wide", "a?c"};
  auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
    for (int v = 0; v < 4; ++v) {
      auto& who = v == 3 ? other : caller_;  // another account's groups are never listed
      auto vpc = model::create_vpc(region, who, "10." + std::to_string(v) + ".0.0/16");
      if (!vpc) return vpc.error();
      vpcs.push_back(*vpc);
    }
    for (int i = 0; i < 160; ++i) {
      size_t v = random() % vpcs.size();
      auto& who = v == 3 ? other : caller_;
      auto id = model::create_security_group(region, who, vpcs[v], "g" + std::to_string(i), "d");
      if (!id) return id.error();
      groups.push_back(*id);
      if (random() % 4 != 0) {
        auto tagged = model::create_tags(region, who, {*id}, {{"Name", names[random() % 5]}});
        if (!tagged) return tagged.error();
      }
    }
    return {};
  });
  ASSERT_TRUE(committed.ok());
  auto snapshot = regions_.snapshot();
  ASSERT_TRUE(model::indexes_current(**snapshot));

  auto value = [&]() -> std::string {
    switch (random() % 6) {
      case 0:
        return vpcs[random() % vpcs.size()];
      case 1:
        return vpcs[random() % vpcs.size()].substr(0, 6) + "*";
      case 2:
        return names[random() % names.size()];
      case 3:
        return std::string("w") + (random() % 2 ? "*" : "?de");
      case 4:
        return random() % 2 ? groups[random() % groups.size()]
                            : "g" + std::to_string(random() % 40) + (random() % 2 ? "*" : "");
      default:
        return "*";
    }
  };
  const std::vector<std::string> filter_names = {"vpc-id", "tag:Name", "group-id", "group-name",
                                                 "tag-value"};
  for (int round = 0; round < 300; ++round) {
    std::string query = "Action=DescribeSecurityGroups";
    int filters = static_cast<int>(random() % 3);
    for (int f = 1; f <= filters; ++f) {
      std::string prefix = "&Filter." + std::to_string(f);
      query += prefix + ".Name=" + filter_names[random() % filter_names.size()];
      int values = 1 + static_cast<int>(random() % 2);
      for (int v = 1; v <= values; ++v) {
        query += prefix + ".Value." + std::to_string(v) + "=" + value();
      }
    }
    if (random() % 5 == 0) {
      for (int n = 1; n <= 3; ++n) {
        query += "&GroupId." + std::to_string(n) + "=" + groups[random() % groups.size()];
      }
    }
    if (random() % 2 == 0) query += "&MaxResults=" + std::to_string(5 + random() % 20);
    auto scanned = pages(query, false);
    EXPECT_EQ(pages(query, true), scanned) << query;
    ASSERT_FALSE(scanned.empty());
  }
}

// Through the service: a filtered DescribeSecurityGroups follows retagging and new groups, and
// its pages cover every match once.
// The service calls of one account, signed.
class ServiceCalls {
 public:
  ServiceCalls(model::RegionStore& regions, model::IdSource& ids)
      : service_(
            regions, {}, [] { return kNow; }, 1) {
    auto committed = regions.mutate([&](model::Region& region) -> Result<void> {
      auto account = model::create_account(region, ids, "alice", false);
      if (!account) return account.error();
      key_ = *model::create_access_key(region, ids, *account);
      return {};
    });
    EXPECT_TRUE(committed.ok());
  }
  std::string operator()(const std::string& body, int status = 200) {
    HttpRequestView request;
    request.headers["host"] = "127.0.0.1";
    request.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
    request.body = body;
    sign_request(request, {}, key_.access_key_id, key_.secret_access_key, kNow);
    auto response = service_.handle(request, "127.0.0.1");
    EXPECT_EQ(response.status, status) << body << "\n" << response.body;
    return response.body;
  }

 private:
  model::AccessKey key_;
  ApiService service_;
};

TEST_F(DescribeIndexTest, ServiceFollowsChanges) {
  ServiceCalls call(regions_, ids_);
  auto vpc = all_of(call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), "vpcId").front();
  std::vector<std::string> created;
  for (int i = 0; i < 12; ++i) {
    created.push_back(all_of(call("Action=CreateSecurityGroup&VpcId=" + vpc + "&GroupName=g" +
                                  std::to_string(i) + "&GroupDescription=d"),
                             "groupId")
                          .front());
  }
  call("Action=CreateTags&ResourceId.1=" + created[3] + "&Tag.1.Key=Name&Tag.1.Value=web");
  auto by_name = [&](const std::string& name) {
    return all_of(
        call("Action=DescribeSecurityGroups&Filter.1.Name=tag%3AName&Filter.1.Value.1=" + name),
        "groupId");
  };
  EXPECT_EQ(by_name("web"), std::vector<std::string>{created[3]});
  call("Action=CreateTags&ResourceId.1=" + created[3] + "&Tag.1.Key=Name&Tag.1.Value=db");
  EXPECT_TRUE(by_name("web").empty());
  EXPECT_EQ(by_name("db"), std::vector<std::string>{created[3]});

  std::vector<std::string> seen;
  std::string token;
  do {
    auto body = call("Action=DescribeSecurityGroups&Filter.1.Name=vpc-id&Filter.1.Value.1=" + vpc +
                     "&MaxResults=5" + (token.empty() ? "" : "&NextToken=" + token));
    for (const auto& id : all_of(body, "groupId")) seen.push_back(id);
    auto next = all_of(body, "nextToken");
    token = next.empty() ? "" : next.front();
  } while (!token.empty());
  // groupId also names the groups a rule references (the default group references itself).
  std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), created.size() + 1);  // + the default group
  for (const auto& id : created) EXPECT_TRUE(distinct.contains(id)) << id;
}

// GroupName.N and the group-name filter answer from the index (region_index_test checks it is
// used); here: exact names only for GroupName.N, prefixes for the filter, new groups seen.
TEST_F(DescribeIndexTest, GroupNamesAnswerExactlyAndFollowNewGroups) {
  ServiceCalls call(regions_, ids_);
  auto vpc = all_of(call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), "vpcId").front();
  auto create = [&](const std::string& name) {
    return all_of(call("Action=CreateSecurityGroup&VpcId=" + vpc + "&GroupName=" + name +
                       "&GroupDescription=d"),
                  "groupId")
        .front();
  };
  const std::string g1 = create("g1"), g10 = create("g10"), g2 = create("g2");
  auto ids = [&](const std::string& query) {
    auto found = all_of(call("Action=DescribeSecurityGroups&" + query), "groupId");
    std::sort(found.begin(), found.end());
    return found;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ids("GroupName.1=g1"), std::vector<std::string>{g1});
  EXPECT_EQ(ids("GroupName.1=g1&GroupName.2=g2"), sorted({g1, g2}));
  EXPECT_TRUE(ids("GroupName.1=g1%2A").empty()) << "a GroupName is a name, not a pattern";
  EXPECT_EQ(ids("Filter.1.Name=group-name&Filter.1.Value.1=g1%2A"), sorted({g1, g10}));
  const std::string g11 = create("g11");
  EXPECT_EQ(ids("Filter.1.Name=group-name&Filter.1.Value.1=g1%2A"), sorted({g1, g10, g11}));
  EXPECT_EQ(ids("GroupName.1=g11&Filter.1.Name=group-name&Filter.1.Value.1=g1%2A"),
            std::vector<std::string>{g11});
}

// Route tables, network ACLs and internet gateways answer their indexed filters (vpc-id,
// association.subnet-id, attachment.vpc-id, tag:Name) exactly as a scan does: the same query
// with a leading wildcard ("*" + value matches the same fixed-length ids, and the index refuses
// a leading wildcard) scans. Checked again after retagging, a new association and a detach.
TEST_F(DescribeIndexTest, TablesAclsAndGatewaysAnswerTheirIndexedFiltersAsTheScan) {
  ServiceCalls call(regions_, ids_);
  auto first = [](const std::string& body, const std::string& element) {
    auto found = all_of(body, element);
    EXPECT_FALSE(found.empty()) << body;
    return found.empty() ? std::string() : found.front();
  };
  std::vector<std::string> vpcs, subnets, tables, acls, gateways;
  for (int v = 0; v < 3; ++v) {
    vpcs.push_back(
        first(call("Action=CreateVpc&CidrBlock=10." + std::to_string(v) + ".0.0%2F16"), "vpcId"));
    for (int s = 0; s < 2; ++s) {
      subnets.push_back(first(call("Action=CreateSubnet&VpcId=" + vpcs.back() + "&CidrBlock=10." +
                                   std::to_string(v) + "." + std::to_string(s) + ".0%2F24"),
                              "subnetId"));
    }
    tables.push_back(first(call("Action=CreateRouteTable&VpcId=" + vpcs.back()), "routeTableId"));
    call("Action=AssociateRouteTable&RouteTableId=" + tables.back() +
         "&SubnetId=" + subnets[subnets.size() - 2]);
    acls.push_back(first(call("Action=CreateNetworkAcl&VpcId=" + vpcs.back()), "networkAclId"));
    gateways.push_back(first(call("Action=CreateInternetGateway"), "internetGatewayId"));
    if (v < 2) {
      call("Action=AttachInternetGateway&InternetGatewayId=" + gateways.back() +
           "&VpcId=" + vpcs.back());
    }
  }
  call("Action=CreateTags&ResourceId.1=" + tables[0] + "&ResourceId.2=" + acls[1] +
       "&ResourceId.3=" + gateways[2] + "&Tag.1.Key=Name&Tag.1.Value=edge");
  auto strip = [](std::string body) {
    return std::regex_replace(body, std::regex("<requestId>[^<]*</requestId>"), "");
  };
  struct Query {
    std::string action, filter;
    std::vector<std::string> values;
  };
  const std::vector<Query> queries = {
      {"DescribeRouteTables", "vpc-id", vpcs},
      {"DescribeRouteTables", "association.subnet-id", subnets},
      {"DescribeRouteTables", "tag:Name", {"edge"}},
      {"DescribeNetworkAcls", "vpc-id", vpcs},
      {"DescribeNetworkAcls", "association.subnet-id", subnets},
      {"DescribeNetworkAcls", "tag:Name", {"edge"}},
      {"DescribeInternetGateways", "attachment.vpc-id", vpcs},
      {"DescribeInternetGateways", "tag:Name", {"edge"}},
  };
  auto check_all = [&](const std::string& when) {
    size_t answered = 0;
    for (const auto& q : queries) {
      for (const auto& value : q.values) {
        const std::string base = "Action=" + q.action + "&Filter.1.Name=" + q.filter;
        const std::string indexed = strip(call(base + "&Filter.1.Value.1=" + value));
        EXPECT_EQ(indexed, strip(call(base + "&Filter.1.Value.1=%2A" + value)))
            << when << ": " << q.action << " " << q.filter << "=" << value;
        if (indexed.find("<item>") != std::string::npos) ++answered;
      }
    }
    return answered;
  };
  // Queries that find something: route tables by VPC 3, by subnet 3 (explicit associations
  // only), by tag 1; ACLs by VPC 3, by subnet 6 (every subnet is in its VPC's default ACL), by
  // tag 1; gateways by attachment 2, by tag 1.
  EXPECT_EQ(check_all("created"), 20u);
  call("Action=CreateTags&ResourceId.1=" + tables[0] + "&ResourceId.2=" + acls[1] +
       "&Tag.1.Key=Name&Tag.1.Value=core");
  call("Action=AssociateRouteTable&RouteTableId=" + tables[2] + "&SubnetId=" + subnets[5]);
  call("Action=DetachInternetGateway&InternetGatewayId=" + gateways[0] + "&VpcId=" + vpcs[0]);
  EXPECT_EQ(check_all("changed"), 18u);  // +1 association, -2 "edge" tags, -1 attachment
}

TEST_F(DescribeIndexTest, DescribeInstancesFollowsAttachments) {
  ServiceCalls call(regions_, ids_);
  auto first = [](const std::string& body, const std::string& element) {
    auto found = all_of(body, element);
    EXPECT_FALSE(found.empty()) << element << " in " << body;
    return found.empty() ? std::string() : found.front();
  };
  const auto vpc = first(call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), "vpcId");
  const auto subnet =
      first(call("Action=CreateSubnet&VpcId=" + vpc + "&CidrBlock=10.0.1.0%2F24"), "subnetId");
  const auto run = [&] {
    return first(
        call("Action=RunInstances&ImageId=ami-12345678&MinCount=1&MaxCount=1&SubnetId=" + subnet),
        "instanceId");
  };
  const auto web = run();
  const auto db = run();
  const auto extra =
      first(call("Action=CreateNetworkInterface&SubnetId=" + subnet), "networkInterfaceId");
  auto interfaces_of = [&](const std::string& instance) {
    return all_of(call("Action=DescribeInstances&InstanceId.1=" + instance), "networkInterfaceId");
  };
  ASSERT_EQ(interfaces_of(web).size(), 1u);
  const auto db_primary = interfaces_of(db);
  ASSERT_EQ(db_primary.size(), 1u);

  const auto attachment = first(call("Action=AttachNetworkInterface&NetworkInterfaceId=" + extra +
                                     "&InstanceId=" + db + "&DeviceIndex=1"),
                                "attachmentId");
  std::vector<std::string> both{db_primary.front(), extra};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(interfaces_of(db), both);
  EXPECT_EQ(interfaces_of(web).size(), 1u);
  // instanceId also names each interface's attachment: count the distinct ones.
  auto instances_with = [&](const std::string& eni) {
    auto ids = all_of(call("Action=DescribeInstances&Filter.1.Name=network-interface.network-"
                           "interface-id&Filter.1.Value.1=" +
                           eni),
                      "instanceId");
    return std::set<std::string>(ids.begin(), ids.end());
  };
  EXPECT_EQ(instances_with(extra), std::set<std::string>{db});
  EXPECT_EQ(all_of(call("Action=DescribeNetworkInterfaces&Filter.1.Name=attachment.instance-id&"
                        "Filter.1.Value.1=" +
                        db),
                   "networkInterfaceId"),
            both);

  call("Action=DetachNetworkInterface&AttachmentId=" + attachment);
  EXPECT_EQ(interfaces_of(db), db_primary);
  EXPECT_TRUE(instances_with(extra).empty());
}

TEST_F(DescribeIndexTest, SecurityGroupRulesByIdAndGroupAnswerAsTheFullListing) {
  ServiceCalls call(regions_, ids_);
  const auto vpc = all_of(call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), "vpcId").front();
  std::vector<std::string> groups;
  for (int i = 0; i < 5; ++i) {
    const auto group = all_of(call("Action=CreateSecurityGroup&VpcId=" + vpc + "&GroupName=g" +
                                   std::to_string(i) + "&GroupDescription=d"),
                              "groupId")
                           .front();
    for (int port : {22, 80}) {
      call("Action=AuthorizeSecurityGroupIngress&GroupId=" + group +
           "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=" + std::to_string(port) +
           "&IpPermissions.1.ToPort=" + std::to_string(port) +
           "&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8");
    }
    groups.push_back(group);
  }
  // rule id -> group id (written right after it; a referenced group's groupId is elsewhere).
  auto listing = [&](const std::string& query) {
    const auto body = call("Action=DescribeSecurityGroupRules" + query);
    std::map<std::string, std::string> out;
    std::regex pair("<securityGroupRuleId>([^<]*)</securityGroupRuleId><groupId>([^<]*)</groupId>");
    for (auto m = std::sregex_iterator(body.begin(), body.end(), pair); m != std::sregex_iterator();
         ++m) {
      out[(*m)[1]] = (*m)[2];
    }
    EXPECT_EQ(out.size(), all_of(body, "securityGroupRuleId").size()) << body;
    return out;
  };
  const auto all = listing("");
  ASSERT_EQ(all.size(), 5u * 3 + 2);  // 2 ingress + 1 egress each; the default group's 2
  std::map<std::string, std::string> of_group, picked;
  for (const auto& [rule, group] : all) {
    if (group == groups[2]) of_group[rule] = group;
  }
  ASSERT_EQ(of_group.size(), 3u);
  EXPECT_EQ(listing("&Filter.1.Name=group-id&Filter.1.Value.1=" + groups[2]), of_group);
  EXPECT_EQ(listing("&Filter.1.Name=group-id&Filter.1.Value.1=sg-*"), all);  // a wildcard scans
  auto it = all.begin();
  std::string query;
  for (int n = 1; n <= 3; ++n, std::advance(it, 5)) {
    picked.insert(*it);
    query += "&SecurityGroupRuleId." + std::to_string(n) + "=" + it->first;
  }
  EXPECT_EQ(listing(query), picked);
  EXPECT_NE(
      call("Action=DescribeSecurityGroupRules&SecurityGroupRuleId.1=sgr-00000000000000000", 400)
          .find("InvalidSecurityGroupRuleId.NotFound"),
      std::string::npos);

  // Tags on a rule: CreateTags finds its group through the index.
  const auto rule = of_group.begin()->first;
  call("Action=CreateTags&ResourceId.1=" + rule + "&Tag.1.Key=Name&Tag.1.Value=ssh");
  EXPECT_EQ(listing("&Filter.1.Name=tag%3AName&Filter.1.Value.1=ssh"),
            (std::map<std::string, std::string>{{rule, groups[2]}}));
  call("Action=RevokeSecurityGroupIngress&GroupId=" + groups[2] + "&SecurityGroupRuleId.1=" + rule);
  EXPECT_NE(call("Action=CreateTags&ResourceId.1=" + rule + "&Tag.1.Key=Name&Tag.1.Value=x", 400)
                .find("InvalidSecurityGroupRuleId.NotFound"),
            std::string::npos);
}

}  // namespace
}  // namespace openvpc::api
