// The incremental ProgramCache against a full recompute, after every step of long seeded random
// sequences of model operations (the OVN habit: incremental == recompute, checked).
#include "model/program_cache.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>

#include "model/cidr.h"
#include "model/fixture.h"
#include "model/load_balancer.h"

namespace openvpc::model {
namespace {

const std::vector<std::string> kHosts = {"h1", "h2", "h3", "h4"};

class RandomOperations : public testing::RegionTest {
 protected:
  explicit RandomOperations(uint32_t seed = 1) : random_(seed) {
    options_.host_underlays = {{"h1", "192.0.2.1"}, {"h2", "192.0.2.2"}, {"h3", "192.0.2.3"}};
    // h4 has no underlay address: its interfaces are never mapped.
    options_.hyperplane_nodes = {{"hp-1", "192.0.2.9"}};  // carries every load balancer
  }

  size_t below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(random_);
  }
  template <typename Map>
  const typename Map::mapped_type* pick(const Map& map) {
    if (map.empty()) return nullptr;
    auto it = map.begin();
    std::advance(it, below(map.size()));
    return &it->second;
  }
  template <typename Map, typename Keep>
  const typename Map::mapped_type* pick_if(const Map& map, Keep keep) {
    std::vector<const typename Map::mapped_type*> candidates;
    for (const auto& [id, value] : map) {
      if (keep(value)) candidates.push_back(&value);
    }
    return candidates.empty() ? nullptr : candidates[below(candidates.size())];
  }
  std::string host() { return kHosts[below(kHosts.size())]; }
  std::string vpc_id() {
    const Vpc* v = pick(region_.vpcs);
    return v ? v->id : "";
  }
  std::vector<std::string> groups_of(const std::string& vpc) {
    std::vector<std::string> out;
    for (const auto& [id, group] : region_.security_groups) {
      if (group.vpc_id == vpc && below(3) == 0) out.push_back(id);
    }
    return out;
  }
  SecurityGroupRule random_rule(const SecurityGroup& group) {
    SecurityGroupRule rule;
    rule.egress = below(2) == 1;
    static const char* kProtocols[] = {"tcp", "udp", "icmp", "-1", "47"};
    rule.protocol = kProtocols[below(5)];
    rule.from_port = static_cast<int>(below(1000));
    rule.to_port = rule.from_port + static_cast<int>(below(10));
    if (rule.protocol == "icmp") rule.to_port = -1;
    const SecurityGroup* other = pick_if(
        region_.security_groups, [&](const SecurityGroup& g) { return g.vpc_id == group.vpc_id; });
    if (other && below(2) == 0) {
      rule.referenced_group_id = other->id;
    } else {
      rule.cidr = "10." + std::to_string(below(4)) + ".0.0/16";
    }
    return rule;
  }

  // One random operation on a copy of the Region, kept only when it succeeds (as
  // RegionStore::mutate does).
  void step() {
    Region saved = region_;
    if (!apply(below(20)).ok()) region_ = std::move(saved);
  }

  template <typename T>
  static Result<void> done(const Result<T>& result) {
    if (result.ok()) return {};
    return result.error();
  }

  Result<void> apply(size_t operation) {
    Error skipped{"test.skipped", ""};
    switch (operation) {
      case 0:
        return done(create_vpc(region_, caller_, "10." + std::to_string(below(4)) + ".0.0/16"));
      case 1: {
        const Vpc* v = pick(region_.vpcs);
        if (!v) return skipped;
        auto block = *parse_ipv4_block(v->cidr);
        const uint32_t base = block.address.v4_host_order() + uint32_t(below(8) << 8);
        return done(
            create_subnet(region_, caller_, v->id, IpAddress::v4(base).to_string() + "/24", ""));
      }
      case 2: {
        const Subnet* s = pick(region_.subnets);
        return s ? delete_subnet(region_, caller_, s->id) : skipped;
      }
      case 3:
      case 4: {
        const Subnet* s = pick(region_.subnets);
        if (!s) return skipped;
        InstanceRequest request;
        request.network.subnet_id = s->id;
        request.network.group_ids = groups_of(s->vpc_id);
        if (request.network.group_ids.size() > 5) request.network.group_ids.resize(5);
        request.host_id = host();
        return done(run_instances(region_, caller_, request));
      }
      case 5: {
        const Instance* i =
            pick_if(region_.instances, [](const Instance& i) { return i.state == "running"; });
        return i ? done(terminate_instances(region_, caller_, {i->id})) : skipped;
      }
      case 6: {
        const Subnet* s = pick(region_.subnets);
        if (!s) return skipped;
        InterfaceRequest request;
        request.subnet_id = s->id;
        request.secondary_count = static_cast<int>(below(2));
        return done(create_network_interface(region_, caller_, request));
      }
      case 7: {  // move an interface: detach it, or attach it to an instance on some host
        const NetworkInterface* eni = pick_if(region_.network_interfaces, [](const auto& e) {
          return !e.attached || e.attachment.device_index > 0;
        });
        if (!eni) return skipped;
        if (eni->attached) return detach_network_interface(region_, caller_, eni->attachment.id);
        const Instance* i = pick_if(region_.instances, [&](const Instance& i) {
          return i.state == "running" && i.vpc_id == eni->vpc_id;
        });
        if (!i) return delete_network_interface(region_, caller_, eni->id);
        return done(attach_network_interface(region_, caller_, eni->id, i->id,
                                             1 + static_cast<int>(below(3))));
      }
      case 8: {
        const Vpc* v = pick(region_.vpcs);
        return v ? done(create_security_group(region_, caller_, v->id,
                                              "g" + std::to_string(below(1000)), "random"))
                 : skipped;
      }
      case 9:
      case 10: {
        const SecurityGroup* g = pick(region_.security_groups);
        return g ? done(authorize_security_group(region_, caller_, g->id, {random_rule(*g)}))
                 : skipped;
      }
      case 11: {
        const SecurityGroup* g = pick_if(region_.security_groups,
                                         [](const SecurityGroup& g) { return !g.rules.empty(); });
        if (!g) return skipped;
        const SecurityGroupRule& rule = g->rules[below(g->rules.size())];
        return revoke_security_group(region_, caller_, g->id, rule.egress, {}, {rule.id});
      }
      case 12: {  // group membership and source/dest check
        const NetworkInterface* eni = pick(region_.network_interfaces);
        if (!eni) return skipped;
        std::optional<bool> check;
        if (below(2) == 0) check = !eni->source_dest_check;
        auto groups = groups_of(eni->vpc_id);
        if (groups.size() > 5) groups.resize(5);
        return modify_network_interface(region_, caller_, eni->id, check, groups);
      }
      case 13: {
        const NetworkAcl* acl = pick(region_.network_acls);
        if (!acl) return skipped;
        if (below(3) == 0) {
          const Subnet* s =
              pick_if(region_.subnets, [&](const Subnet& s) { return s.vpc_id == acl->vpc_id; });
          if (!s) return skipped;
          for (const auto& [id, current] : region_.network_acls) {
            for (const auto& association : current.associations) {
              if (association.subnet_id == s->id) {
                return done(
                    replace_network_acl_association(region_, caller_, association.id, acl->id));
              }
            }
          }
          return skipped;
        }
        NetworkAclEntry entry{static_cast<int>(1 + below(200)),
                              below(2) == 1,
                              "tcp",
                              below(2) == 1,
                              "10.0.0.0/8",
                              22,
                              22 + static_cast<int>(below(100)),
                              -1,
                              -1};
        return create_network_acl_entry(region_, caller_, acl->id, entry, below(2) == 1);
      }
      case 14: {
        const NetworkAcl* acl = pick(region_.network_acls);
        if (!acl) return skipped;
        if (below(3) == 0) return done(create_network_acl(region_, caller_, acl->vpc_id));
        const auto& entry = acl->entries[below(acl->entries.size())];
        return delete_network_acl_entry(region_, caller_, acl->id, entry.rule_number, entry.egress);
      }
      case 15: {  // a route to an interface or an instance
        const RouteTable* table = pick(region_.route_tables);
        if (!table) return skipped;
        std::string destination = "172.16." + std::to_string(below(4)) + ".0/24";
        if (below(3) == 0) return delete_route(region_, caller_, table->id, destination);
        RouteTarget target;
        if (below(2) == 0) {
          const NetworkInterface* eni = pick_if(
              region_.network_interfaces, [&](const auto& e) { return e.vpc_id == table->vpc_id; });
          if (!eni) return skipped;
          target.network_interface_id = eni->id;
        } else {
          const Instance* i = pick_if(region_.instances, [&](const Instance& i) {
            return i.state == "running" && i.vpc_id == table->vpc_id;
          });
          if (!i) return skipped;
          target.instance_id = i->id;
        }
        return create_route(region_, caller_, table->id, destination, target, below(2) == 1);
      }
      case 16: {  // route tables and their associations
        const Subnet* s = pick(region_.subnets);
        if (!s) return skipped;
        if (below(2) == 0) return done(create_route_table(region_, caller_, s->vpc_id));
        const RouteTable* table = pick_if(
            region_.route_tables, [&](const RouteTable& t) { return t.vpc_id == s->vpc_id; });
        if (!table) return skipped;
        for (const auto& [id, current] : region_.route_tables) {
          for (const auto& association : current.associations) {
            if (association.subnet_id == s->id) {
              return done(
                  replace_route_table_association(region_, caller_, association.id, table->id));
            }
          }
        }
        return done(associate_route_table(region_, caller_, table->id, s->id));
      }
      case 17: {  // a network load balancer, placed at once (routers of its VPC carry it)
        if (const LoadBalancer* lb = pick(region_.load_balancers); lb && below(3) == 0) {
          return delete_load_balancer(region_, caller_, lb->arn);
        }
        const Subnet* s = pick(region_.subnets);
        if (!s) return skipped;
        LoadBalancerRequest request;
        request.name = "lb" + std::to_string(below(1000));
        request.type = "network";
        request.scheme = "internal";
        request.subnets = {{s->id, "", ""}};
        auto created = create_load_balancer(region_, caller_, request);
        if (!created) return created.error();
        LoadBalancerPlacement placement;
        for (const auto& [arn, lb] : region_.load_balancers) {
          placement.shards[arn] = {"hp-1"};
          if (below(2) == 0) placement.carried.insert(arn);  // some still provisioning
        }
        advance_load_balancers(region_, placement, caller_.now);
        return {};
      }
      case 18: {  // a flow log on a VPC, a subnet or an interface
        std::string resource;
        if (const size_t kind = below(3); kind == 0) {
          if (const Vpc* v = pick(region_.vpcs)) resource = v->id;
        } else if (kind == 1) {
          if (const Subnet* s = pick(region_.subnets)) resource = s->id;
        } else if (const NetworkInterface* eni = pick(region_.network_interfaces)) {
          resource = eni->id;
        }
        if (resource.empty()) return skipped;
        return done(create_flow_logs(region_, caller_, {resource}, below(2) ? "ALL" : "REJECT",
                                     "flows-" + std::to_string(below(3)), "", below(2) ? 60 : 600));
      }
      case 19: {
        const FlowLog* log = pick(region_.flow_logs);
        return log ? delete_flow_logs(region_, caller_, {log->id}) : skipped;
      }
      default: {
        const NetworkInterface* eni = pick(region_.network_interfaces);
        return eni ? done(assign_private_ip_addresses(region_, caller_, eni->id, {}, 1)) : skipped;
      }
    }
  }

  std::mt19937 random_;
  CompileOptions options_;
};

class ProgramCacheTest : public RandomOperations, public ::testing::WithParamInterface<uint32_t> {
 protected:
  ProgramCacheTest() : RandomOperations(GetParam()) {}
};

TEST_P(ProgramCacheTest, IncrementalEqualsFullRecomputeAfterEveryStep) {
  constexpr int kSteps = 400;
  ProgramCache cache(options_);
  for (int i = 0; i < 3; ++i) vpc("10.0.0.0/16");
  cache.update(std::make_shared<Region>(region_));
  size_t recompiled = 0, possible = 0;
  for (int i = 0; i < kSteps; ++i) {
    step();
    recompiled += cache.update(std::make_shared<Region>(region_)).size();
    possible += cache.programs().size();
    for (const auto& host : program_hosts(region_, options_)) {
      ASSERT_TRUE(cache.programs().contains(host)) << "step " << i << " host " << host;
    }
    for (const auto& [host, program] : cache.programs()) {
      ASSERT_EQ(program::to_text(program),
                program::to_text(compile_host_program(region_, host, options_)))
          << "step " << i << " host " << host;
    }
  }
  // The point of the cache: far fewer compilations than recompiling every host every step.
  EXPECT_LT(recompiled, possible);
  EXPECT_GT(region_.network_interfaces.size(), 5u);
  std::cout << "[ seed " << GetParam() << " ] recompiled " << recompiled << " of " << possible
            << " host programs; " << region_.network_interfaces.size() << " interfaces, "
            << region_.security_groups.size() << " groups, " << region_.load_balancers.size()
            << " load balancers\n";
}

INSTANTIATE_TEST_SUITE_P(Seeds, ProgramCacheTest, ::testing::Values(1u, 2u, 3u, 4u));

}  // namespace
}  // namespace openvpc::model
