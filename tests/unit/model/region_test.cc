#include "model/region.h"

#include <gtest/gtest.h>

#include <utility>

#include "fixture.h"

namespace openvpc::testing {
namespace {

using RegionCodecTest = RegionTest;

std::vector<store::KeyValue> apply(const std::vector<store::Operation>& ops) {
  std::vector<store::KeyValue> kvs;
  for (const auto& op : ops) {
    EXPECT_EQ(op.kind, store::Operation::Kind::put);
    kvs.push_back({op.key, op.value, 1, 1});
  }
  return kvs;
}

TEST_F(RegionCodecTest, DiffThenDecodeRoundTrips) {
  std::string v = vpc();
  std::string s = subnet(v, "10.0.1.0/24");
  interface(s);
  region_.client_tokens["a/CreateVpc/t"] = "digest\n<vpc/>";
  auto ops = model::diff_region(model::Region{}, region_);
  auto decoded = model::decode_region(apply(ops));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_TRUE(model::diff_region(region_, *decoded).empty());
  EXPECT_EQ(decoded->vpcs.at(v).vni, region_.vpcs.at(v).vni);
  EXPECT_EQ(decoded->client_tokens, region_.client_tokens);
}

TEST_F(RegionCodecTest, DiffWritesOnlyWhatChanged) {
  std::string v = vpc();
  model::Region before = region_;
  ASSERT_TRUE(model::create_tags(region_, caller_, {v}, {{"Name", "x"}}).ok());
  auto ops = model::diff_region(before, region_);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].key, "/openvpc/region/vpc/" + v);
  model::Region after_delete = region_;
  after_delete.vpcs.erase(v);
  ops = model::diff_region(region_, after_delete);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, store::Operation::Kind::erase);
}

// A mutation on a copy of a big region copies what it writes, not the region: authorizing and
// revoking a rule copies the one chunk of security groups that holds the group, every other
// chunk (of every map) stays shared, and the diff finds just that group.
TEST_F(RegionCodecTest, AuthorizeAndRevokeOnACopyCopyOnlyTheChunkTheyWrite) {
  std::string v = vpc();
  std::vector<std::string> groups;
  for (int i = 0; i < 500; ++i) {
    auto id = model::create_security_group(region_, caller_, v, "g" + std::to_string(i), "d");
    ASSERT_TRUE(id.ok()) << id.error().code;
    groups.push_back(*id);
  }
  ASSERT_GT(region_.security_groups.chunk_count(), 4u);
  model::SecurityGroupRule rule;
  rule.protocol = "tcp";
  rule.from_port = rule.to_port = 443;
  rule.cidr = "192.0.2.0/24";
  const size_t rules = std::as_const(region_).security_groups.at(groups[250]).rules.size();
  model::Region copy = region_;
  auto added = model::authorize_security_group(copy, caller_, groups[250], {rule});
  ASSERT_TRUE(added.ok());
  // Tagging the new rule (TagSpecifications on Authorize) finds its group without copying others.
  ASSERT_TRUE(model::create_tags(copy, caller_, {added->at(0).id}, {{"Name", "r"}}).ok());
  EXPECT_EQ(copy.security_groups.chunks_shared_with(region_.security_groups) + 1,
            copy.security_groups.chunk_count());
  EXPECT_EQ(copy.vpcs.chunks_shared_with(region_.vpcs), copy.vpcs.chunk_count());
  auto ops = model::diff_region(region_, copy);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].key, "/openvpc/region/security-group/" + groups[250]);
  EXPECT_EQ(std::as_const(region_).security_groups.at(groups[250]).rules.size(), rules);

  model::Region revoked = copy;
  ASSERT_TRUE(model::revoke_security_group(revoked, caller_, groups[250], false, {rule}, {}).ok());
  EXPECT_EQ(revoked.security_groups.chunks_shared_with(copy.security_groups) + 1,
            revoked.security_groups.chunk_count());
  EXPECT_EQ(std::as_const(copy).security_groups.at(groups[250]).rules.size(), rules + 1);
  EXPECT_TRUE(model::diff_region(region_, revoked).empty());
}

TEST(RegionDecodeTest, RejectsCorruptValues) {
  const std::pair<store::KeyValue, const char*> cases[] = {
      {{"/openvpc/region/vpc/vpc-1", "{not json", 1, 1}, "store.corrupt"},
      {{"/openvpc/region/vpc/vpc-1", "{\"vni\":\"text\"}", 1, 1}, "store.corrupt"},
      {{"/openvpc/region/unknown-kind/x", "{}", 1, 1}, "store.corrupt"},
      {{"/openvpc/region/novalue", "{}", 1, 1}, "store.corrupt"},
      {{"/openvpc/region/vpc/vpc-1", "{\"id\":\"vpc-1\"}", 1, 1}, "ok"},
  };
  for (const auto& [kv, expected] : cases) {
    auto region = model::decode_region({kv});
    EXPECT_EQ(region.ok() ? "ok" : region.error().code, std::string(expected)) << kv.key;
  }
}

}  // namespace
}  // namespace openvpc::testing
