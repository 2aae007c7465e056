#include "controller/options.h"

#include <gtest/gtest.h>

namespace openvpc::controller {
namespace {

TEST(ParseLimitsTest, Table) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{}, "ok"},
      {{"vpcs_per_account=10"}, "ok"},
      {{"vpcs_per_account=10", "elastic_ips_per_account=0"}, "ok"},
      {{"bogus=1"}, "InvalidParameterValue"},
      {{"vpcs_per_account"}, "InvalidParameterValue"},
      {{"vpcs_per_account=ten"}, "InvalidParameterValue"},
      {{"vpcs_per_account=-1"}, "InvalidParameterValue"},
      {{"vpcs_per_account=5x"}, "InvalidParameterValue"},
  };
  for (const auto& [overrides, expected] : cases) {
    auto limits = parse_limits(overrides);
    EXPECT_EQ(limits.ok() ? "ok" : limits.error().code, std::string(expected))
        << (overrides.empty() ? "" : overrides[0]);
  }
  auto limits = parse_limits({"vpcs_per_account=10", "elastic_ips_per_account=0"});
  EXPECT_EQ(limits->vpcs_per_account, 10);
  EXPECT_EQ(limits->elastic_ips_per_account, 0);
  EXPECT_EQ(limits->subnets_per_vpc, model::Limits{}.subnets_per_vpc);
}

TEST(ControllerOptionsTest, CommandLine) {
  CLI::App app;
  ControllerOptions options;
  add_options(app, options);
  const char* argv[] = {"openvpc-controller",
                        "--store",
                        "etcd",
                        "--etcd-endpoints",
                        "http://127.0.0.1:1,http://127.0.0.1:2",
                        "--port",
                        "0",
                        "--limit",
                        "vpcs_per_account=7"};
  app.parse(static_cast<int>(std::size(argv)), const_cast<char**>(argv));
  EXPECT_EQ(options.store, "etcd");
  EXPECT_EQ(options.etcd_endpoints.size(), 2u);
  EXPECT_EQ(options.port, 0);
  EXPECT_EQ(options.limit_overrides, std::vector<std::string>{"vpcs_per_account=7"});
  CLI::App bad;
  ControllerOptions rejected;
  add_options(bad, rejected);
  const char* wrong_store[] = {"openvpc-controller", "--store", "redis"};
  EXPECT_THROW(bad.parse(3, const_cast<char**>(wrong_store)), CLI::ValidationError);
}

TEST(ParseHostsTest, RegistersUnderlayAddresses) {
  auto options = parse_hosts({"h1=127.0.0.2", "h2=10.1.2.3"});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->host_underlays.at("h2"), "10.1.2.3");
  EXPECT_FALSE(parse_hosts({"h1"}).ok());
  EXPECT_FALSE(parse_hosts({"h1=not-an-address"}).ok());
  EXPECT_FALSE(parse_hosts({"=127.0.0.1"}).ok());
}

}  // namespace
}  // namespace openvpc::controller
