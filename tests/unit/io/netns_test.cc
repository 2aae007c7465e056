// netns_test.cc — named namespaces: created like `ip netns add`, entered, cleaned up.
#include "io/netns.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/stat.h>

#include <chrono>

#include "io/netlink.h"
#include "io/tap_port.h"
#include "io_test_util.h"

namespace openvpc::io {
namespace {

using namespace std::chrono_literals;
using testing::device_name;
using testing::namespace_name;

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(NetworkNamespace, CreateIsVisibleToIpAndRemovedOnDestruction) {
  OPENVPC_REQUIRE_ROOT();
  const std::string name = namespace_name("ns");
  {
    Result<NetworkNamespace> ns = NetworkNamespace::create(name);
    ASSERT_TRUE(ns) << ns.error().message;
    EXPECT_TRUE(exists("/run/netns/" + name));
    // iproute2 finds it by name, the way an operator would.
    Result<int> status = ns->run_program({"/usr/sbin/ip", "link", "set", "lo", "up"}, 10s);
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_EQ(*status, 0);
    Result<NetworkNamespace> again = NetworkNamespace::create(name);
    EXPECT_FALSE(again) << "a second namespace of the same name";
    Result<NetworkNamespace> opened = NetworkNamespace::open(name);
    ASSERT_TRUE(opened) << opened.error().message;
  }
  EXPECT_FALSE(exists("/run/netns/" + name));
}

TEST(NetworkNamespace, RejectsBadNames) {
  EXPECT_FALSE(NetworkNamespace::create(""));
  EXPECT_FALSE(NetworkNamespace::create("../etc"));
  EXPECT_FALSE(NetworkNamespace::open("no-such-namespace-ovt-io"));
}

TEST(NetworkNamespace, RunActsInsideOnly) {
  OPENVPC_REQUIRE_ROOT();
  Result<NetworkNamespace> ns = NetworkNamespace::create(namespace_name("run"));
  ASSERT_TRUE(ns) << ns.error().message;
  const std::string tap_name = device_name('r');
  // A TAP created by a thread inside the namespace lives there, not here.
  Result<TapPort> tap = ns->run([&] { return TapPort::create({tap_name, 1500, {}, true}); });
  ASSERT_TRUE(tap) << tap.error().message;
  EXPECT_EQ(if_nametoindex(tap_name.c_str()), 0u);
  Result<int> inside = ns->run([&] { return netlink::interface_index(tap_name); });
  ASSERT_TRUE(inside) << inside.error().message;
  EXPECT_GT(*inside, 0);
}

TEST(NetworkNamespace, ConfiguresAnInterface) {
  OPENVPC_REQUIRE_ROOT();
  Result<NetworkNamespace> ns = NetworkNamespace::create(namespace_name("cfg"));
  ASSERT_TRUE(ns) << ns.error().message;
  InterfaceSettings settings;
  settings.ipv4_address = 0x7f000001;
  settings.ipv4_prefix_length = 8;
  Result<void> configured = ns->configure("lo", settings);
  ASSERT_TRUE(configured) << configured.error().message;
  Result<int> status =
      ns->run_program({"/usr/sbin/ip", "-4", "addr", "show", "dev", "lo", "up"}, 10s);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, 0);
  EXPECT_FALSE(ns->configure("ovt-io-absent", settings));
}

TEST(NetworkNamespace, RunProgramReportsExitStatusAndBoundsTime) {
  OPENVPC_REQUIRE_ROOT();
  Result<NetworkNamespace> ns = NetworkNamespace::create(namespace_name("prog"));
  ASSERT_TRUE(ns) << ns.error().message;
  Result<int> ok = ns->run_program({"/bin/true"}, 10s);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 0);
  Result<int> failed = ns->run_program({"/bin/false"}, 10s);
  ASSERT_TRUE(failed);
  EXPECT_EQ(*failed, 1);
  EXPECT_FALSE(ns->run_program({"/bin/sleep", "30"}, 50ms)) << "killed at the bound";
  EXPECT_FALSE(ns->run_program({"relative/path"}, 1s));
}

}  // namespace
}  // namespace openvpc::io
