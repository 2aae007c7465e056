// The secondary indexes (region_index.h) follow every change: after any sequence of operations
// (on copies that share chunks, as RegionStore::mutate makes them) the index synced
// incrementally holds exactly the keys of one built from nothing, and its lookups return what a
// scan of the resources returns.
#include "model/region_index.h"

#include <random>

#include "fixture.h"
#include "model/region.h"

namespace openvpc::model {
namespace {

// The index of `region` built from nothing.
IndexKeys rebuilt(const Region& region) {
  Region fresh = region;
  fresh.index = RegionIndex{};
  sync_indexes(fresh);
  return fresh.index.keys;
}

std::vector<std::string> scan_by_vpc(const Region& region, const std::string& vpc) {
  std::vector<std::string> ids;
  for (const auto& [id, group] : region.security_groups) {
    if (group.vpc_id == vpc) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> scan_by_name(const Region& region, const std::string& pattern) {
  std::vector<std::string> ids;
  for (const auto& [id, group] : region.security_groups) {
    auto name = group.tags.find("Name");
    if (name == group.tags.end()) continue;
    size_t wild = pattern.find_first_of("*?");
    if (wild == std::string::npos ? name->second == pattern
                                  : name->second.compare(0, wild, pattern, 0, wild) == 0) {
      ids.push_back(id);
    }
  }
  return ids;
}

class RegionIndexTest : public testing::RegionTest {
 protected:
  void expect_consistent() {
    sync_indexes(region_);
    EXPECT_TRUE(indexes_current(region_));
    EXPECT_TRUE(region_.index.keys == rebuilt(region_));
  }
  std::string group(const std::string& vpc_id, const std::string& name) {
    auto id = create_security_group(region_, caller_, vpc_id, name, "d");
    EXPECT_TRUE(id.ok()) << id.error().code;
    return id.ok() ? *id : "";
  }
};

TEST_F(RegionIndexTest, FollowsCreateDeleteTagRetagAndMove) {
  std::string a = vpc("10.0.0.0/16"), b = vpc("10.1.0.0/16");
  std::string g1 = group(a, "one"), g2 = group(a, "two"), g3 = group(b, "three");
  expect_consistent();
  EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "vpc-id", {a}), scan_by_vpc(region_, a));
  EXPECT_EQ(indexed_ids(region_, kSecurityGroupKind, "vpc-id", {b})->size(), 2u);  // + default

  ASSERT_TRUE(create_tags(region_, caller_, {g1, g3}, {{"Name", "web"}}).ok());
  expect_consistent();
  EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "tag:Name", {"web"}),
            (std::vector<std::string>{std::min(g1, g3), std::max(g1, g3)}));

  ASSERT_TRUE(create_tags(region_, caller_, {g1}, {{"Name", "db"}}).ok());  // retag
  expect_consistent();
  EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "tag:Name", {"web"}),
            std::vector<std::string>{g3});
  EXPECT_EQ(indexed_ids(region_, kSecurityGroupKind, "tag:Name", {"db", "web"})->size(), 2u);

  ASSERT_TRUE(delete_tags(region_, caller_, {g3}, {{"Name", std::nullopt}}).ok());
  expect_consistent();
  EXPECT_TRUE(indexed_ids(region_, kSecurityGroupKind, "tag:Name", {"web"})->empty());

  // Group names (DescribeSecurityGroups' group-name filter and GroupName.N): exact and prefix.
  ASSERT_TRUE(indexed_ids(region_, kSecurityGroupKind, "group-name", {"two"}).has_value());
  EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "group-name", {"two"}),
            std::vector<std::string>{g2});
  EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "group-name", {"t*"}),
            (std::vector<std::string>{std::min(g2, g3), std::max(g2, g3)}));
  EXPECT_EQ(indexed_ids(region_, kSecurityGroupKind, "group-name", {"default"})->size(), 2u);

  // An interface moved between groups, then deleted.
  std::string s = subnet(a, "10.0.1.0/24");
  std::string eni = interface(s);
  ASSERT_TRUE(modify_network_interface(region_, caller_, eni, std::nullopt, {g1, g2}).ok());
  expect_consistent();
  EXPECT_EQ(*indexed_ids(region_, kInterfaceKind, "group-id", {g2}), std::vector<std::string>{eni});
  EXPECT_EQ(*indexed_ids(region_, kInterfaceKind, "subnet-id", {s}), std::vector<std::string>{eni});
  ASSERT_TRUE(modify_network_interface(region_, caller_, eni, std::nullopt, {g1}).ok());
  expect_consistent();
  EXPECT_TRUE(indexed_ids(region_, kInterfaceKind, "group-id", {g2})->empty());
  ASSERT_TRUE(delete_network_interface(region_, caller_, eni).ok());
  ASSERT_TRUE(delete_security_group(region_, caller_, g2).ok());
  expect_consistent();
  EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "vpc-id", {a}), scan_by_vpc(region_, a));
  EXPECT_TRUE(indexed_ids(region_, kInterfaceKind, "vpc-id", {a})->empty());
}

TEST_F(RegionIndexTest, StaleUntilSynced) {
  std::string a = vpc();
  expect_consistent();
  Region copy = region_;
  EXPECT_TRUE(indexes_current(copy));  // a copy shares the chunks its index was synced with
  copy.security_groups.at(copy.vpcs.at(a).default_security_group_id).tags["Name"] = "x";
  EXPECT_FALSE(indexes_current(copy));
  sync_indexes(copy);
  EXPECT_TRUE(indexes_current(copy));
  EXPECT_TRUE(indexes_current(region_));  // the original is untouched
  EXPECT_TRUE(indexed_ids(region_, kSecurityGroupKind, "tag:Name", {"x"})->empty());
  EXPECT_EQ(indexed_ids(copy, kSecurityGroupKind, "tag:Name", {"x"})->size(), 1u);
}

// Route tables, ACLs and internet gateways are indexed by what Terraform and the CLI filter
// them on; the index follows an association and a detach.
TEST_F(RegionIndexTest, TablesAclsAndGatewaysAreIndexed) {
  std::string a = vpc("10.0.0.0/16");
  std::string s = subnet(a, "10.0.1.0/24");
  auto table = create_route_table(region_, caller_, a);
  auto acl = create_network_acl(region_, caller_, a);
  auto gateway = create_internet_gateway(region_, caller_);
  ASSERT_TRUE(table.ok() && acl.ok() && gateway.ok());
  ASSERT_TRUE(attach_internet_gateway(region_, caller_, *gateway, a).ok());
  expect_consistent();
  for (auto kind : {kRouteTableKind, kNetworkAclKind}) {
    ASSERT_TRUE(indexed_ids(region_, kind, "vpc-id", {a}).has_value()) << kind;
    ASSERT_TRUE(indexed_ids(region_, kind, "association.subnet-id", {s}).has_value()) << kind;
  }
  ASSERT_TRUE(indexed_ids(region_, kInternetGatewayKind, "attachment.vpc-id", {a}).has_value());
  EXPECT_EQ(indexed_ids(region_, kRouteTableKind, "vpc-id", {a})->size(), 2u);  // + main
  EXPECT_TRUE(indexed_ids(region_, kRouteTableKind, "association.subnet-id", {s})->empty());
  EXPECT_EQ(indexed_ids(region_, kNetworkAclKind, "vpc-id", {a})->size(), 2u);  // + default
  EXPECT_EQ(indexed_ids(region_, kNetworkAclKind, "association.subnet-id", {s})->size(), 1u);
  EXPECT_EQ(*indexed_ids(region_, kInternetGatewayKind, "attachment.vpc-id", {a}),
            std::vector<std::string>{*gateway});

  ASSERT_TRUE(associate_route_table(region_, caller_, *table, s).ok());
  ASSERT_TRUE(detach_internet_gateway(region_, caller_, *gateway, a).ok());
  expect_consistent();
  EXPECT_EQ(*indexed_ids(region_, kRouteTableKind, "association.subnet-id", {s}),
            std::vector<std::string>{*table});
  EXPECT_TRUE(indexed_ids(region_, kInternetGatewayKind, "attachment.vpc-id", {a})->empty());
}

TEST_F(RegionIndexTest, UnindexedFiltersAndLeadingWildcardsAreNotNarrowed) {
  vpc();
  sync_indexes(region_);
  EXPECT_FALSE(indexed_ids(region_, kSecurityGroupKind, "description", {"x"}).has_value());
  EXPECT_FALSE(indexed_ids(region_, kSecurityGroupKind, "tag:Name", {"a", "*b"}).has_value());
  EXPECT_FALSE(indexed_ids(region_, "nosuchkind", "vpc-id", {"x"}).has_value());
  EXPECT_TRUE(indexed_filter(kSecurityGroupKind, "vpc-id"));
  EXPECT_FALSE(indexed_filter(kSecurityGroupKind, "group-id"));  // the id itself: a lookup
}

// A Region published through sync_indexes(shared_ptr) is its own reference; a copy of it syncs
// against it, and once it is gone the copy's next sync rebuilds the keys from nothing.
TEST_F(RegionIndexTest, PublishedRegionIsItsOwnReferenceAndALostOneRebuilds) {
  std::string a = vpc();
  auto published = std::make_shared<Region>(region_);
  sync_indexes(published);
  EXPECT_TRUE(indexes_current(*published));
  EXPECT_FALSE(published->index.owned);  // no private copy kept
  Region copy = *published;
  EXPECT_TRUE(indexes_current(copy));
  // A plain write (no operation synced since): the copy's reference is still the published one.
  copy.security_groups.at(copy.vpcs.at(a).default_security_group_id).tags["Name"] = "x";
  EXPECT_FALSE(copy.index.owned);
  published.reset();
  EXPECT_FALSE(indexes_current(copy));
  sync_indexes(copy);
  EXPECT_TRUE(indexes_current(copy));
  EXPECT_TRUE(copy.index.keys == rebuilt(copy));
  EXPECT_EQ(*indexed_ids(copy, kSecurityGroupKind, "vpc-id", {a}), scan_by_vpc(copy, a));
  EXPECT_EQ(indexed_ids(copy, kSecurityGroupKind, "tag:Name", {"x"})->size(), 1u);
}

// Random creates, deletes, tags and retags, each on a copy of the previous Region (so chunks are
// shared and written as in RegionStore::mutate), syncing at random points: the incremental
// index always equals the rebuilt one, and every lookup equals the scan.
TEST_F(RegionIndexTest, IncrementalEqualsRebuiltUnderRandomChanges) {
  std::mt19937 random(7);
  std::vector<std::string> vpcs = {vpc("10.0.0.0/16"), vpc("10.1.0.0/16"), vpc("10.2.0.0/16")};
  std::vector<std::string> groups;
  const std::vector<std::string> names = {"web", "web-1", "db", "w", "app?x"};
  int created = 0;
  for (int step = 0; step < 600; ++step) {
    Region next = region_;
    int action = static_cast<int>(random() % 10);
    if (action < 5 || groups.empty()) {
      auto id = create_security_group(next, caller_, vpcs[random() % vpcs.size()],
                                      "g" + std::to_string(created++), "d");
      ASSERT_TRUE(id.ok()) << id.error().code;
      groups.push_back(*id);
    } else if (action < 8) {
      const auto& id = groups[random() % groups.size()];
      ASSERT_TRUE(
          create_tags(next, caller_, {id}, {{"Name", names[random() % names.size()]}}).ok());
    } else if (action < 9) {
      const auto& id = groups[random() % groups.size()];
      ASSERT_TRUE(delete_tags(next, caller_, {id}, {{"Name", std::nullopt}}).ok());
    } else {
      size_t at = random() % groups.size();
      ASSERT_TRUE(delete_security_group(next, caller_, groups[at]).ok());
      groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(at));
    }
    if (random() % 3 == 0) sync_indexes(next);
    region_ = std::move(next);
    if (step % 50 != 49) continue;
    expect_consistent();
    for (const auto& v : vpcs) {
      EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "vpc-id", {v}), scan_by_vpc(region_, v));
    }
    for (const std::string pattern : {"web", "web*", "w?b", "db", "app?x", "zzz"}) {
      EXPECT_EQ(*indexed_ids(region_, kSecurityGroupKind, "tag:Name", {pattern}),
                scan_by_name(region_, pattern))
          << pattern;
    }
    for (const auto& [id, group] : region_.security_groups) {
      EXPECT_TRUE(program_number_indexed(region_, group.number));
    }
  }
}

}  // namespace
}  // namespace openvpc::model
