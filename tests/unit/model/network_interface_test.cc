#include <gtest/gtest.h>

#include <set>

#include "fixture.h"

namespace openvpc::testing {
namespace {

class InterfaceTest : public RegionTest {
 protected:
  void SetUp() override {
    vpc_ = vpc();
    subnet_ = subnet(vpc_, "10.0.1.0/24");
  }
  Result<std::string> create(const std::string& ip) {
    model::InterfaceRequest request;
    request.subnet_id = subnet_;
    request.private_ip = ip;
    return model::create_network_interface(region_, caller_, request);
  }
  std::string vpc_, subnet_;
};

TEST_F(InterfaceTest, PrivateAddressRules) {
  ASSERT_TRUE(create("10.0.1.10").ok());
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.1.4", "ok"},
      {"10.0.1.254", "ok"},
      {"10.0.1.10", "InvalidIPAddress.InUse"},
      {"10.0.1.0", "InvalidParameterValue"},
      {"10.0.1.1", "InvalidParameterValue"},
      {"10.0.1.2", "InvalidParameterValue"},
      {"10.0.1.3", "InvalidParameterValue"},
      {"10.0.1.255", "InvalidParameterValue"},
      {"10.0.2.5", "InvalidParameterValue"},
      {"not-an-ip", "InvalidParameterValue"},
  };
  for (const auto& [ip, expected] : cases) EXPECT_EQ(code(create(ip)), expected) << ip;
}

TEST_F(InterfaceTest, AutomaticAddressesSkipReservedAndUsed) {
  std::string first = *create("");
  EXPECT_EQ(region_.network_interfaces.at(first).private_ip, "10.0.1.4");
  ASSERT_TRUE(create("10.0.1.5").ok());
  std::string third = *create("");
  EXPECT_EQ(region_.network_interfaces.at(third).private_ip, "10.0.1.6");
}

TEST_F(InterfaceTest, SubnetRunsOutOfAddresses) {
  std::string small = subnet(vpc_, "10.0.2.0/28");  // 16 - 5 = 11 usable
  model::InterfaceRequest request;
  request.subnet_id = small;
  for (int i = 0; i < 11; ++i)
    ASSERT_TRUE(model::create_network_interface(region_, caller_, request).ok());
  EXPECT_EQ(code(model::create_network_interface(region_, caller_, request)),
            "InsufficientFreeAddressesInSubnet");
}

TEST_F(InterfaceTest, NumbersAndMacsAreUniqueAndDefaultGroupApplies) {
  std::set<uint32_t> numbers;
  std::set<std::string> macs;
  for (int i = 0; i < 20; ++i) {
    const auto& eni = region_.network_interfaces.at(*create(""));
    numbers.insert(eni.number);
    macs.insert(eni.mac_address);
    ASSERT_EQ(eni.group_ids.size(), 1u);
    EXPECT_EQ(eni.group_ids[0], region_.vpcs.at(vpc_).default_security_group_id);
    EXPECT_TRUE(eni.source_dest_check);
  }
  EXPECT_EQ(numbers.size(), 20u);
  EXPECT_EQ(macs.size(), 20u);
}

TEST_F(InterfaceTest, GroupsMustBeInTheSameVpc) {
  std::string other_vpc = vpc("10.1.0.0/16");
  std::string foreign = region_.vpcs.at(other_vpc).default_security_group_id;
  model::InterfaceRequest request;
  request.subnet_id = subnet_;
  request.group_ids = {foreign};
  EXPECT_EQ(code(model::create_network_interface(region_, caller_, request)),
            "InvalidParameterValue");
  request.group_ids = {"sg-00000000000000000"};
  EXPECT_EQ(code(model::create_network_interface(region_, caller_, request)),
            "InvalidGroup.NotFound");
}

TEST_F(InterfaceTest, ModifySecondaryAddressesAndDelete) {
  std::string id = *create("");
  ASSERT_TRUE(model::modify_network_interface(region_, caller_, id, false, {}).ok());
  EXPECT_FALSE(region_.network_interfaces.at(id).source_dest_check);
  auto assigned = model::assign_private_ip_addresses(region_, caller_, id, {"10.0.1.50"}, 0);
  ASSERT_TRUE(assigned.ok());
  EXPECT_EQ(code(create("10.0.1.50")), "InvalidIPAddress.InUse");
  auto counted = model::assign_private_ip_addresses(region_, caller_, id, {}, 2);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->size(), 2u);
  EXPECT_EQ(code(model::delete_network_interface(region_, other_, id)),
            "InvalidNetworkInterfaceID.NotFound");
  EXPECT_EQ(code(model::delete_network_interface(region_, caller_, id)), "ok");
}

TEST_F(InterfaceTest, AttachAndDetach) {
  model::InstanceRequest launch;
  launch.network.subnet_id = subnet_;
  launch.host_id = "host-1";
  std::string instance = model::run_instances(region_, caller_, launch)->front();
  std::string id = *create("");
  auto attachment = model::attach_network_interface(region_, caller_, id, instance, 1);
  ASSERT_TRUE(attachment.ok());
  EXPECT_EQ(region_.network_interfaces.at(id).host_id, "host-1");
  EXPECT_EQ(code(model::delete_network_interface(region_, caller_, id)),
            "InvalidNetworkInterface.InUse");
  std::string second = *create("");
  EXPECT_EQ(code(model::attach_network_interface(region_, caller_, second, instance, 1)),
            "InvalidParameterValue");
  ASSERT_TRUE(model::detach_network_interface(region_, caller_, *attachment).ok());
  EXPECT_EQ(code(model::detach_network_interface(region_, caller_, *attachment)),
            "InvalidAttachmentID.NotFound");
}

}  // namespace
}  // namespace openvpc::testing
