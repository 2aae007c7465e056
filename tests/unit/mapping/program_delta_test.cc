#include "mapping/program_delta.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <utility>

#include "mapping/program_codec.h"
#include "test_programs.h"

namespace openvpc::mapping {
namespace {

using program::address_literal;
using program::Program;

std::string text_after(const Program& from, const wire::ProgramDelta& delta) {
  auto applied = apply(from, delta);
  EXPECT_TRUE(applied.ok());
  return applied.ok() ? program::to_text(*applied) : "";
}

TEST(ProgramDelta, ApplyOfDiffGivesTheTargetOverRandomPairs) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 500; ++i) {
    Program a = testing::random_program(random);
    // Half unrelated pairs, half small edits (the common case on the wire).
    Program b = i % 2 == 0 ? testing::random_program(random) : testing::mutate(a, random);
    wire::ProgramDelta delta = diff(a, b);
    ASSERT_EQ(text_after(a, delta), program::to_text(b)) << "pair " << i;
    // And through the bytes, as the router receives it.
    wire::ProgramDelta parsed;
    ASSERT_TRUE(parsed.ParseFromString(delta.SerializeAsString()));
    ASSERT_EQ(text_after(a, parsed), program::to_text(b)) << "pair " << i;
  }
}

TEST(ProgramDelta, ChainOfDeltasEqualsTheLastProgram) {
  std::mt19937_64 random(11);
  Program start = testing::random_program(random);
  Program current = start;
  wire::Program applied = encode(start);
  for (int i = 0; i < 200; ++i) {
    Program next = testing::mutate(current, random);
    applied = apply(applied, diff(current, next));
    current = next;
  }
  auto decoded = decode(applied);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(program::to_text(*decoded), program::to_text(current));
}

TEST(ProgramDelta, SameProgramGivesAnEmptyDelta) {
  std::mt19937_64 random(3);
  for (int i = 0; i < 100; ++i) {
    Program a = testing::random_program(random);
    EXPECT_TRUE(is_empty(diff(a, a)));
  }
  Program a = testing::rich_program();
  Program b = a;
  b.generation += 1;
  EXPECT_FALSE(is_empty(diff(a, b)));
}

// One change in, exactly the matching entries out: what a router receives for an ENI move,
// an IP reassignment, a membership change, a rule change.
struct ChangeCase {
  const char* description;
  std::function<void(Program&)> change;
  int entries;  // upserts + removals + changed header fields
  std::function<bool(const wire::ProgramDelta&)> expected;
};

int entry_count(const wire::ProgramDelta& d) {
  return d.has_generation() + d.has_host_underlay() + d.has_router_mac() + d.has_region() +
         d.upsert_vpcs_size() + d.remove_vpcs_size() + d.upsert_subnets_size() +
         d.remove_subnets_size() + d.upsert_route_tables_size() + d.remove_route_tables_size() +
         d.upsert_security_groups_size() + d.remove_security_groups_size() +
         d.upsert_network_acls_size() + d.remove_network_acls_size() + d.upsert_enis_size() +
         d.remove_enis_size() + d.upsert_mappings_size() + d.remove_mappings_size() +
         d.upsert_flow_logs_size() + d.remove_flow_logs_size() + d.has_edge_nodes() +
         d.upsert_nat_gateways_size() + d.remove_nat_gateways_size() +
         d.upsert_load_balancers_size() + d.remove_load_balancers_size();
}

TEST(ProgramDelta, OneChangeGivesOneEntry) {
  const ChangeCase cases[] = {
      {"generation", [](Program& p) { p.generation += 1; }, 1,
       [](const auto& d) { return d.has_generation(); }},
      {"ENI moves to another host",
       [](Program& p) { p.mappings[0].underlay = address_literal("192.168.0.77"); }, 1,
       [](const auto& d) {
         return d.upsert_mappings_size() == 1 &&
                d.upsert_mappings(0).underlay() == std::string("\xc0\xa8\x00\x4d", 4);
       }},
      {"IP reassigned (mapping gone)", [](Program& p) { p.mappings.erase(p.mappings.begin()); }, 1,
       [](const auto& d) {
         return d.remove_mappings_size() == 1 && d.remove_mappings(0).vpc() == 7;
       }},
      {"group membership", [](Program& p) { p.security_groups[0].member_addresses.pop_back(); }, 1,
       [](const auto& d) {
         return d.upsert_security_groups_size() == 1 && d.upsert_security_groups(0).id() == 41;
       }},
      {"rule change",
       [](Program& p) { p.network_acls[0].entries[0].action = program::AclAction::deny; }, 1,
       [](const auto& d) { return d.upsert_network_acls_size() == 1; }},
      {"ENI detached", [](Program& p) { p.enis.pop_back(); }, 1,
       [](const auto& d) { return d.remove_enis_size() == 1 && d.remove_enis(0) == 101; }},
      {"route table removed", [](Program& p) { p.route_tables.pop_back(); }, 1,
       [](const auto& d) { return d.remove_route_tables_size() == 1; }},
      {"router MAC", [](Program& p) { p.router_mac.bytes[5] = 9; }, 1,
       [](const auto& d) { return d.has_router_mac(); }},
      {"region", [](Program& p) { p.region = "eu-north-1"; }, 1,
       [](const auto& d) { return d.has_region() && d.region() == "eu-north-1"; }},
      {"enableDnsHostnames", [](Program& p) { p.vpcs[0].dns_hostnames = true; }, 1,
       [](const auto& d) { return d.upsert_vpcs_size() == 1 && d.upsert_vpcs(0).id() == 9; }},
      {"instance attached",
       [](Program& p) {
         p.enis[1].instance_id = "i-new";
         p.enis[1].hostname = "ip-new";
       },
       1,
       [](const auto& d) {
         return d.upsert_enis_size() == 1 && d.upsert_enis(0).instance_id() == "i-new";
       }},
      {"load balancer node down",
       [](Program& p) { p.load_balancers[1].nodes[0] = address_literal("0.0.0.0"); }, 1,
       [](const auto& d) {
         return d.upsert_load_balancers_size() == 1 && d.upsert_load_balancers(0).id() == 91;
       }},
      {"target deregistered (draining)",
       [](Program& p) { p.load_balancers[1].target_groups[0].targets[0].draining = true; }, 1,
       [](const auto& d) {
         return d.upsert_load_balancers_size() == 1 &&
                d.upsert_load_balancers(0).target_groups(0).targets(0).draining();
       }},
      {"load balancer deleted", [](Program& p) { p.load_balancers.pop_back(); }, 1,
       [](const auto& d) {
         return d.remove_load_balancers_size() == 1 && d.remove_load_balancers(0) == 91;
       }},
      {"order only (same meaning, other bytes)",
       [](Program& p) { std::swap(p.subnets[0], p.subnets[1]); }, 0,  // matched by key
       [](const auto&) { return true; }},
  };
  for (const auto& c : cases) {
    Program before = testing::rich_program();
    Program after = before;
    c.change(after);
    wire::ProgramDelta delta = diff(before, after);
    EXPECT_EQ(entry_count(delta), c.entries) << c.description << ": " << delta.ShortDebugString();
    EXPECT_TRUE(c.expected(delta)) << c.description << ": " << delta.ShortDebugString();
    EXPECT_EQ(text_after(before, delta), program::to_text(after)) << c.description;
  }
}

TEST(ProgramDelta, ApplyIgnoresUnknownRemovalsAndMatchesMappedAddresses) {
  Program p = testing::rich_program();
  wire::ProgramDelta delta;
  delta.add_remove_enis(999);
  auto* key = delta.add_remove_mappings();
  key->set_vpc(7);
  key->set_address(std::string("\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x00\x02\x09", 16));
  Program expected = p;
  expected.mappings.erase(expected.mappings.begin());  // vpc 7, 10.0.2.9
  EXPECT_EQ(text_after(p, delta), program::to_text(expected));
}

TEST(ProgramDelta, ApplyRefusesAMalformedUpsert) {
  wire::ProgramDelta delta;
  delta.add_upsert_mappings()->set_address("bad");
  auto applied = apply(testing::rich_program(), delta);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, "mapping.invalid_program");
}

// Programs whose lists are in key order (as the compiler emits them) take diff's in-step path;
// it must find exactly what the general path finds for the same objects in another order.
template <typename T, typename Key>
void sort_list(google::protobuf::RepeatedPtrField<T>* list, Key key) {
  std::sort(list->begin(), list->end(), [&](const T& a, const T& b) { return key(a) < key(b); });
}

wire::Program sorted_by_key(wire::Program p) {
  auto id = [](const auto& o) { return o.id(); };
  sort_list(p.mutable_vpcs(), id);
  sort_list(p.mutable_subnets(), id);
  sort_list(p.mutable_route_tables(), id);
  sort_list(p.mutable_security_groups(), id);
  sort_list(p.mutable_network_acls(), id);
  sort_list(p.mutable_enis(), id);
  sort_list(p.mutable_flow_logs(), id);
  sort_list(p.mutable_nat_gateways(), id);
  sort_list(p.mutable_load_balancers(), id);
  sort_list(p.mutable_mappings(),
            [](const wire::Mapping& m) { return std::pair(m.vpc(), m.address()); });
  return p;
}

TEST(ProgramDelta, KeyOrderedListsGiveTheSameEntriesAsAnyOrder) {
  std::mt19937_64 random(11);
  for (int i = 0; i < 300; ++i) {
    Program a = testing::random_program(random);
    Program b = i % 3 == 0 ? a : testing::mutate(a, random);
    if (i % 3 == 1) b.generation += 1;
    wire::Program wa = encode(a), wb = encode(b);
    wire::Program sa = sorted_by_key(wa), sb = sorted_by_key(wb);
    wire::ProgramDelta any_order = diff(wa, wb), key_order = diff(sa, sb);
    ASSERT_EQ(entry_count(key_order), entry_count(any_order)) << "pair " << i;
    ASSERT_EQ(sorted_by_key(apply(sa, key_order)).SerializeAsString(), sb.SerializeAsString())
        << "pair " << i;
  }
}

// With a key twice in `from` (not a valid program, but diff must not depend on list order
// for it): objects are compared with the last of their key, a dropped key is removed once.
TEST(ProgramDelta, DuplicateKeysCompareWithTheLastObjectAndAreRemovedOnce) {
  auto vpc = [](uint32_t id, const char* name) {
    wire::Vpc v;
    v.set_id(id);
    v.set_name(name);
    return v;
  };
  wire::Program from, to;
  *from.add_vpcs() = vpc(1, "x");
  *from.add_vpcs() = vpc(1, "y");
  *to.add_vpcs() = vpc(1, "y");
  *to.add_vpcs() = vpc(1, "y");  // same keys, same places: still against the last "y"
  EXPECT_TRUE(is_empty(diff(from, to)));

  wire::Program three, one;
  *three.add_vpcs() = vpc(1, "a");
  *three.add_vpcs() = vpc(2, "b");
  *three.add_vpcs() = vpc(2, "c");
  *one.add_vpcs() = vpc(1, "a");
  wire::ProgramDelta d = diff(three, one);
  ASSERT_EQ(d.remove_vpcs_size(), 1);
  EXPECT_EQ(d.remove_vpcs(0), 2u);
  EXPECT_EQ(d.upsert_vpcs_size(), 0);
}

}  // namespace
}  // namespace openvpc::mapping
