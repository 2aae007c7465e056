#include "model/region.h"

#include <gtest/gtest.h>

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
