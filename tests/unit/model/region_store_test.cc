#include "model/region_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "memory_store.h"
#include "model/operations.h"

namespace openvpc::testing {
namespace {

struct Tenant {
  model::IdSource ids{7};
  model::Caller caller;
  Tenant() {
    caller.account_id = "111111111111";
    caller.ids = &ids;
  }
};

TEST(RegionStoreTest, MutationsPersistAndReload) {
  MemoryStore store;
  Tenant tenant;
  std::string vpc_id;
  {
    model::RegionStore regions(store);
    auto committed = regions.mutate([&](model::Region& region) -> Result<void> {
      auto id = model::create_vpc(region, tenant.caller, "10.0.0.0/16");
      if (!id) return id.error();
      vpc_id = *id;
      return {};
    });
    ASSERT_TRUE(committed.ok());
  }
  model::RegionStore reopened(store);
  auto snapshot = reopened.snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE((*snapshot)->vpcs.contains(vpc_id));
  EXPECT_EQ((*snapshot)->route_tables.size(), 1u);
}

TEST(RegionStoreTest, FailedChangeWritesNothing) {
  MemoryStore store;
  Tenant tenant;
  model::RegionStore regions(store);
  auto committed = regions.mutate([&](model::Region& region) -> Result<void> {
    auto id = model::create_vpc(region, tenant.caller, "10.0.0.0/8");
    if (!id) return id.error();
    return {};
  });
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.error().code, "InvalidVpc.Range");
  EXPECT_EQ(store.txn_count, 0);
}

TEST(RegionStoreTest, LostRaceIsRetriedOnFreshState) {
  MemoryStore store;
  Tenant tenant;
  model::RegionStore regions(store);
  store.fail_next_txns = 3;
  int runs = 0;
  auto committed = regions.mutate([&](model::Region& region) -> Result<void> {
    ++runs;
    return model::create_vpc(region, tenant.caller, "10.0.0.0/16").ok()
               ? Result<void>()
               : Result<void>(make_error("x", "y"));
  });
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(runs, 4);
}

// Two controllers (two RegionStores over one store) race to create overlapping subnets: the
// version-key compare lets exactly one of each conflicting pair win.
TEST(RegionStoreTest, ConflictingCreatesFromTwoControllersNeverBothSucceed) {
  MemoryStore store;
  Tenant setup;
  model::RegionStore first(store), second(store);
  std::string vpc_id;
  ASSERT_TRUE(first
                  .mutate([&](model::Region& region) -> Result<void> {
                    vpc_id = *model::create_vpc(region, setup.caller, "10.0.0.0/16");
                    return {};
                  })
                  .ok());
  std::atomic<int> successes{0};
  auto racer = [&](model::RegionStore& regions, uint64_t seed) {
    model::IdSource ids(seed);
    model::Caller caller = setup.caller;
    caller.ids = &ids;
    for (int i = 0; i < 50; ++i) {
      std::string cidr = "10.0." + std::to_string(i) + ".0/24";
      auto committed = regions.mutate([&](model::Region& region) -> Result<void> {
        auto id = model::create_subnet(region, caller, vpc_id, cidr, "");
        if (!id) return id.error();
        return {};
      });
      if (committed.ok()) ++successes;
    }
  };
  std::thread a(racer, std::ref(first), 1), b(racer, std::ref(second), 2);
  a.join();
  b.join();
  EXPECT_EQ(successes.load(), 50);
  auto snapshot = first.snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->subnets.size(), 50u);
}

}  // namespace
}  // namespace openvpc::testing
