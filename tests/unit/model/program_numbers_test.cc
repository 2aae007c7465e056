// Program numbers: unique in the region whatever the ids, so no two ids can make compile()
// refuse a host program (they used to be FNV-1a hashes of the ids).
#include "model/program_numbers.h"

#include <gtest/gtest.h>

#include <set>
#include <unordered_map>

#include "fixture.h"
#include "model/program_compiler.h"

namespace openvpc::testing {
namespace {

uint32_t fnv1a(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (char ch : text) {
    hash ^= static_cast<uint8_t>(ch);
    hash *= 16777619u;
  }
  return hash;
}

// Two subnet ids in EC2's shape whose FNV-1a hashes are equal (a birthday search: ~2^16 ids).
std::pair<std::string, std::string> colliding_subnet_ids() {
  model::IdSource ids(7);
  std::unordered_map<uint32_t, std::string> seen;
  for (;;) {
    std::string id = ids.resource_id("subnet");
    auto [it, inserted] = seen.emplace(fnv1a(id), id);
    if (!inserted && it->second != id) return {it->second, id};
  }
}

// Renames subnet `from` to `to` everywhere the region names it.
void rename_subnet(model::Region& region, const std::string& from, const std::string& to) {
  model::Subnet subnet = region.subnets.at(from);
  region.subnets.erase(from);
  subnet.id = to;
  region.subnets.emplace(to, std::move(subnet));
  for (auto& [id, eni] : region.network_interfaces) {
    if (eni.subnet_id == from) eni.subnet_id = to;
  }
  for (auto& [id, acl] : region.network_acls) {
    for (auto& association : acl.associations) {
      if (association.subnet_id == from) association.subnet_id = to;
    }
  }
}

class ProgramNumbersTest : public RegionTest {};

TEST_F(ProgramNumbersTest, CollidingIdsStillCompile) {
  const auto [first, second] = colliding_subnet_ids();
  ASSERT_EQ(fnv1a(first), fnv1a(second));
  std::string vpc_id = vpc();
  std::string a = subnet(vpc_id, "10.0.1.0/24");
  std::string b = subnet(vpc_id, "10.0.2.0/24");
  auto& eni_a = region_.network_interfaces.at(interface(a));
  auto& eni_b = region_.network_interfaces.at(interface(b));
  eni_a.host_id = eni_b.host_id = "127.0.0.2";
  rename_subnet(region_, a, first);
  rename_subnet(region_, b, second);

  program::Program compiled = model::compile_host_program(region_, "127.0.0.2", {});
  ASSERT_EQ(compiled.subnets.size(), 2u);
  EXPECT_NE(compiled.subnets[0].id, compiled.subnets[1].id);
  std::set<uint32_t> subnet_numbers{compiled.subnets[0].id, compiled.subnets[1].id};
  for (const auto& eni : compiled.enis) EXPECT_TRUE(subnet_numbers.contains(eni.subnet));

  // The same region as an old snapshot without stored numbers: decoding numbers the
  // resources uniquely, and the same way every time.
  for (auto& [id, subnet] : region_.subnets) subnet.number = 0;
  model::Region legacy = region_;
  model::number_unnumbered(legacy);
  EXPECT_NE(legacy.subnets.at(first).number, legacy.subnets.at(second).number);
  model::Region again = region_;
  model::number_unnumbered(again);
  EXPECT_EQ(again.subnets.at(first).number, legacy.subnets.at(first).number);
  EXPECT_EQ(again.subnets.at(second).number, legacy.subnets.at(second).number);
  EXPECT_EQ(model::compile_host_program(legacy, "127.0.0.2", {}).subnets.size(), 2u);
}

TEST_F(ProgramNumbersTest, EveryKindSharesOneNamespaceWithoutZero) {
  std::string vpc_id = vpc();
  for (int i = 0; i < 20; ++i) subnet(vpc_id, "10.0." + std::to_string(i) + ".0/24");
  ASSERT_TRUE(model::create_route_table(region_, caller_, vpc_id).ok());
  ASSERT_TRUE(model::create_network_acl(region_, caller_, vpc_id).ok());
  ASSERT_TRUE(model::create_internet_gateway(region_, caller_).ok());
  std::set<uint32_t> numbers;
  size_t resources = 0;
  auto collect = [&](const auto& map) {
    for (const auto& [id, resource] : map) {
      EXPECT_NE(resource.number, 0u) << id;
      numbers.insert(resource.number);
      ++resources;
    }
  };
  collect(region_.subnets);
  collect(region_.route_tables);
  collect(region_.network_acls);
  collect(region_.security_groups);
  collect(region_.internet_gateways);
  EXPECT_EQ(numbers.size(), resources);
  EXPECT_EQ(resources, 20u + 2 + 2 + 1 + 1);  // subnets, tables, ACLs, the default group, igw
}

}  // namespace
}  // namespace openvpc::testing
