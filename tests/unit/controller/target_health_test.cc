// Network load balancers in the controller: placement makes them active once their shard's
// nodes ACK a program carrying them and drops drained targets when due; the shard nodes' health
// reports are folded into the targets by majority.
#include "controller/target_health.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "controller/hyperplane_placement.h"
#include "model/load_balancer.h"
#include "model/memory_store.h"
#include "model/operations.h"

namespace openvpc::controller {
namespace {

using mapping::target_report_name;

constexpr int64_t kStart = 1'700'000'000;

class LoadBalancerControlTest : public ::testing::Test {
 protected:
  LoadBalancerControlTest() : regions_(store_) {
    auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
      model::Caller c = caller();
      auto vpc = model::create_vpc(region, c, "10.0.0.0/16");
      if (!vpc) return vpc.error();
      auto subnet = model::create_subnet(region, c, *vpc, "10.0.1.0/24", "us-east-1a");
      if (!subnet) return subnet.error();
      model::LoadBalancerRequest request;
      request.name = "front";
      request.type = "network";
      request.scheme = "internal";
      request.subnets = {{*subnet, "", ""}};
      auto lb = model::create_load_balancer(region, c, request);
      if (!lb) return lb.error();
      lb_ = *lb;
      model::TargetGroupRequest group;
      group.name = "web";
      group.protocol = "TCP";
      group.port = 80;
      group.vpc_id = *vpc;
      auto tg = model::create_target_group(region, c, group);
      if (!tg) return tg.error();
      tg_ = *tg;
      if (auto l = model::create_listener(region, c, {lb_, "TCP", tg_, 80}); !l) return l.error();
      for (const char* host : {"127.0.0.21", "127.0.0.22"}) {
        model::InstanceRequest r;
        r.network.subnet_id = *subnet;
        r.image_id = "ami-1";
        r.host_id = host;
        auto ids = model::run_instances(region, c, r);
        if (!ids) return ids.error();
        instances_.push_back(ids->front());
      }
      auto registered =
          model::register_targets(region, c, tg_, {{instances_[0], {}}, {instances_[1], {}}});
      if (!registered) return registered.error();
      return model::modify_target_group_attributes(
          region, c, tg_, {{"deregistration_delay.timeout_seconds", "30"}});
    });
    EXPECT_TRUE(committed.ok()) << committed.error().message;
  }

  model::Caller caller() {
    model::Caller c;
    c.account_id = "111111111111";
    c.ids = &ids_;
    c.now = now_;
    return c;
  }
  std::shared_ptr<const model::Region> region() {
    auto r = regions_.snapshot();
    EXPECT_TRUE(r.ok());
    return *r;
  }
  std::string address_of(const std::string& instance) {
    return region()->instances.at(instance).private_ip;
  }
  static mapping::HostStatus node(std::string id, bool connected = true) {
    return {std::move(id), 1, 1, connected, 0, ""};
  }
  // `node` ACKs version `version` of a program that carries the load balancer.
  void runs(const std::string& node, uint64_t version) {
    program::Program program;
    program.load_balancers.emplace_back().name =
        model::load_balancer_name(region()->load_balancers.at(lb_));
    acks_.published(node, version, program);
    acked_[node] = version;
  }

  testing::MemoryStore store_;
  model::RegionStore regions_;
  std::map<std::string, uint64_t> acked_;
  HyperplaneAcks acks_{[this](const std::string& node) { return acked_[node]; }};
  model::IdSource ids_{5};
  int64_t now_ = kStart;
  std::string lb_, tg_;
  std::vector<std::string> instances_;
};

TEST_F(LoadBalancerControlTest, PlacementMakesItActiveAndDropsDrainedTargetsWhenDue) {
  HyperplanePlacement placement(regions_, 2, acks_, [&] { return now_; });
  ASSERT_TRUE(placement.set_live_nodes({}).ok());
  EXPECT_EQ(region()->load_balancers.at(lb_).state, "provisioning");  // no node: waits
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c"}).ok());
  EXPECT_EQ(region()->load_balancers.at(lb_).state, "provisioning");  // placed, not ACKed
  const auto shard = region()->load_balancers.at(lb_).shard;
  ASSERT_EQ(shard.size(), 2u);
  runs(shard[0], 3);
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(region()->load_balancers.at(lb_).state, "provisioning");  // one node of two
  runs(shard[1], 2);
  EXPECT_TRUE(placement.news());
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_EQ(region()->load_balancers.at(lb_).state, "active");
  auto described = placement.describe();
  ASSERT_TRUE(described.ok());
  auto json = nlohmann::json::parse(*described);
  ASSERT_EQ(json["load_balancers"].size(), 1u);
  EXPECT_EQ(json["load_balancers"][0]["state"], "active");
  EXPECT_EQ(json["load_balancers"][0]["name"].get<std::string>().rfind("net/front/", 0), 0u);

  ASSERT_TRUE(regions_
                  .mutate([&](model::Region& r) -> Result<void> {
                    return model::deregister_targets(r, caller(), tg_, {{instances_[0], {}}});
                  })
                  .ok());
  ASSERT_TRUE(placement.reconcile().ok());  // as after any API change
  EXPECT_FALSE(placement.due());
  EXPECT_EQ(region()->target_groups.at(tg_).targets.size(), 2u);  // draining
  now_ += 29;
  EXPECT_FALSE(placement.due());
  now_ += 1;
  EXPECT_TRUE(placement.due());  // the controller reconciles now
  ASSERT_TRUE(placement.reconcile().ok());
  EXPECT_FALSE(placement.due());
  ASSERT_EQ(region()->target_groups.at(tg_).targets.size(), 1u);
  EXPECT_EQ(region()->target_groups.at(tg_).targets[0].id, instances_[1]);
}

TEST_F(LoadBalancerControlTest, UnhealthyOnlyWhenEveryNodeOfTheShardSaysSo) {
  HyperplanePlacement placement(regions_, 3, acks_, [&] { return now_; });
  ASSERT_TRUE(placement.set_live_nodes({"hp-a", "hp-b", "hp-c", "hp-d"}).ok());
  const auto shard = region()->load_balancers.at(lb_).shard;
  ASSERT_EQ(shard.size(), 3u);
  std::string outsider = "hp-a";
  for (const char* n : {"hp-a", "hp-b", "hp-c", "hp-d"}) {
    if (std::find(shard.begin(), shard.end(), n) == shard.end()) outsider = n;
  }
  const auto a = *program::parse_address(address_of(instances_[0]));
  const auto b = *program::parse_address(address_of(instances_[1]));
  const std::string a80 = target_report_name(a, 80), b80 = target_report_name(b, 80);
  EXPECT_EQ(a80, "target " + address_of(instances_[0]) + ":80");

  auto first = node(shard[0]), second = node(shard[1]), third = node(shard[2]);
  auto other = node(outsider);
  first.resource_metrics = {{tg_, {{a80, 1}, {b80, 0}}}};
  second.resource_metrics = {{tg_, {{a80, 0}, {b80, 0}, {"target nonsense", 1}}}};
  third.resource_metrics = {{tg_, {{a80, 0}, {b80, 0}}}};
  other.resource_metrics = {{tg_, {{b80, 1}}}};  // not in the shard: ignored
  auto changes = fold_target_health(*region(), {first, second, third, other});
  ASSERT_EQ(changes.size(), 2u);
  // Two nodes of three found a unhealthy, but the first still routes to it: healthy. Every
  // node found b unhealthy: no node sends it a new connection.
  EXPECT_EQ(changes[0], (TargetHealthChange{tg_, instances_[0], 80, "healthy"}));
  EXPECT_EQ(changes[1], (TargetHealthChange{tg_, instances_[1], 80, "unhealthy"}));
  ASSERT_TRUE(regions_
                  .mutate([&](model::Region& r) -> Result<void> {
                    EXPECT_TRUE(apply_target_health(r, changes));
                    return {};
                  })
                  .ok());
  const auto& group = region()->target_groups.at(tg_);
  model::LoadBalancerTarget target{instances_[1], 80, "", 0, ""};
  EXPECT_EQ(model::target_health(*region(), group, target, now_).state, "unhealthy");
  EXPECT_EQ(model::target_health(*region(), group, target, now_).reason,
            "Target.FailedHealthChecks");
  target.id = instances_[0];
  EXPECT_EQ(model::target_health(*region(), group, target, now_).state, "healthy");
  // Recorded: the same reports change nothing more.
  EXPECT_TRUE(fold_target_health(*region(), {first, second, third, other}).empty());

  // The first node disconnects (its last report is stale): the other two decide.
  first.connected = false;
  changes = fold_target_health(*region(), {first, second, third});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (TargetHealthChange{tg_, instances_[0], 80, "unhealthy"}));
  // Nobody reports: what the model has stays.
  EXPECT_TRUE(
      fold_target_health(*region(), {node(shard[0]), node(shard[1]), node(shard[2])}).empty());
}

TEST(TargetReportName, BracketsIpv6) {
  EXPECT_EQ(target_report_name(*program::parse_address("fd00::5"), 8080), "target [fd00::5]:8080");
  EXPECT_EQ(target_report_name(*program::parse_address("10.0.1.5"), 80), "target 10.0.1.5:80");
}

}  // namespace
}  // namespace openvpc::controller
