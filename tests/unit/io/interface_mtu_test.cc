// interface_mtu_test.cc — the MTU the router learns for its underlay address: loopback's, an
// interface's own (a TAP of MTU 1400 in a namespace of the test's own), none for an address
// no interface holds.
#include "io/interface_mtu.h"

#include <gtest/gtest.h>

#include "io/netns.h"
#include "io/tap_port.h"
#include "io_test_util.h"

namespace openvpc::io {
namespace {

using testing::device_name;
using testing::namespace_name;

TEST(InterfaceMtu, LoopbackAddressesAreOnLo) {
  for (uint32_t address : {0x7f000001u, 0x7f000502u}) {  // 127.0.0.1, 127.0.5.2 (127/8 on lo)
    Result<InterfaceMtu> found = interface_mtu_for(address);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->name, "lo");
    EXPECT_GE(found->mtu, 65535u);
  }
}

TEST(InterfaceMtu, AnInterfacesOwnMtuAndNoneForAnAddressNobodyHolds) {
  OPENVPC_REQUIRE_ROOT();
  Result<NetworkNamespace> ns = NetworkNamespace::create(namespace_name("mtu"));
  ASSERT_TRUE(ns) << ns.error().message;
  const std::string tap_name = device_name('m');
  Result<TapPort> tap = ns->run([&] { return TapPort::create({tap_name, 1400, {}, true}); });
  ASSERT_TRUE(tap) << tap.error().message;
  InterfaceSettings settings;
  settings.ipv4_address = 0x0a4d0001;  // 10.77.0.1/24
  settings.ipv4_prefix_length = 24;
  ASSERT_TRUE(ns->configure(tap_name, settings));
  Result<InterfaceMtu> own = ns->run([] { return interface_mtu_for(0x0a4d0001); });
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own->name, tap_name);
  EXPECT_EQ(own->mtu, 1400u);
  Result<InterfaceMtu> covered = ns->run([] { return interface_mtu_for(0x0a4d0009); });
  ASSERT_TRUE(covered) << covered.error().message;
  EXPECT_EQ(covered->name, tap_name);
  Result<InterfaceMtu> none = ns->run([] { return interface_mtu_for(0xcb00714d); });
  ASSERT_FALSE(none);  // 203.0.113.77: not in this namespace (its lo is down, no address)
  EXPECT_EQ(none.error().code, "io.no_interface");
}

}  // namespace
}  // namespace openvpc::io
