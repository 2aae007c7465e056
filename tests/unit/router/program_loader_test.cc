#include "router/program_loader.h"

#include <gtest/gtest.h>

#include "test_programs.h"

namespace openvpc::router {
namespace {

using testing::small_program;

constexpr uint32_t kHost = 0x7f000002;

HostSettings host() {
  HostSettings h;
  h.underlay_address = kHost;
  h.tap_prefix = "ovpc-";
  h.instances = {{"eni-a", "ns-a"}};
  return h;
}

TEST(LoadProgram, PlansOnePortPerEniWithItsInstance) {
  auto loaded = load_program(small_program(kHost, true, 5), host());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->generation, 5u);
  ASSERT_EQ(loaded->ports.size(), 1u);
  EXPECT_EQ(loaded->ports[0].tap_name, "ovpc-101");
  EXPECT_EQ(loaded->ports[0].namespace_name, "ns-a");
  ASSERT_EQ(loaded->services->enis.size(), 1u);
  EXPECT_EQ(loaded->services->mtu, 9001);
  EXPECT_EQ(loaded->compiled->local_enis.size(), 1u);
}

TEST(LoadProgram, InstanceByNumber) {
  HostSettings h = host();
  h.instances = {{"101", "ns-x"}};
  auto loaded = load_program(small_program(kHost, true), h);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->ports[0].namespace_name, "ns-x");
}

TEST(LoadProgram, InstanceEniGoesIntoTheInstanceNamespace) {
  program::Program p = small_program(kHost, true);
  p.enis[0].instance_id = "i-0abc";
  HostSettings h = host();
  h.instances.clear();
  auto loaded = load_program(p, h);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->ports[0].namespace_name, "i-0abc");
  // --instance still wins.
  auto overridden = load_program(p, host());
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->ports[0].namespace_name, "ns-a");
}

TEST(LoadProgram, ServicesGetRegionDnsFlagsAndHostnames) {
  program::Program p = small_program(kHost, true);
  p.region = "eu-west-1";
  p.vpcs[0].dns_support = false;
  p.vpcs[0].dns_hostnames = true;
  p.enis[0].hostname = "ip-10-0-1-5";
  auto loaded = load_program(p, host());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->services->region, "eu-west-1");
  ASSERT_EQ(loaded->services->vpcs.size(), 1u);
  EXPECT_FALSE(loaded->services->vpcs[0].dns_support);
  EXPECT_TRUE(loaded->services->vpcs[0].dns_hostnames);
  ASSERT_EQ(loaded->services->enis.size(), 1u);
  EXPECT_EQ(loaded->services->enis[0].hostname, "ip-10-0-1-5");
}

struct RefusalCase {
  const char* description;
  void (*mutate)(program::Program&, HostSettings&);
  const char* code;
};

TEST(LoadProgram, RefusesWithAClearError) {
  const RefusalCase cases[] = {
      {"another host's program",
       [](program::Program& p, HostSettings&) { p.host_underlay = testing::v4(127, 0, 0, 3); },
       "program.wrong_host"},
      {"ENI in an unknown subnet",
       [](program::Program& p, HostSettings&) { p.enis[0].subnet = 99; }, "program.invalid"},
      {"security group that does not exist",
       [](program::Program& p, HostSettings&) { p.enis[0].security_groups = {77}; },
       "program.invalid"},
      {"duplicate ENI", [](program::Program& p, HostSettings&) { p.enis.push_back(p.enis[0]); },
       "program.invalid"},
      {"TAP name too long",
       [](program::Program&, HostSettings& h) { h.tap_prefix = "a-very-long-prefix-"; },
       "program.invalid"},
      {"multicast MAC", [](program::Program& p, HostSettings&) { p.enis[0].mac.bytes[0] = 0x01; },
       "program.invalid"},
  };
  for (const auto& c : cases) {
    program::Program p = small_program(kHost, true);
    HostSettings h = host();
    c.mutate(p, h);
    auto loaded = load_program(p, h);
    ASSERT_FALSE(loaded.ok()) << c.description;
    EXPECT_EQ(loaded.error().code, c.code) << c.description << ": " << loaded.error().message;
    EXPECT_FALSE(loaded.error().message.empty());
  }
}

}  // namespace
}  // namespace openvpc::router
