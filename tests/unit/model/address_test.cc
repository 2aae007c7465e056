#include <gtest/gtest.h>

#include "fixture.h"

namespace openvpc::testing {
namespace {

class AddressTest : public RegionTest {
 protected:
  // A VPC with an attached internet gateway and one subnet.
  void SetUp() override {
    vpc_ = vpc();
    subnet_ = subnet(vpc_, "10.0.1.0/24");
    igw_ = *model::create_internet_gateway(region_, caller_);
    ASSERT_TRUE(model::attach_internet_gateway(region_, caller_, igw_, vpc_).ok());
  }
  Result<std::string> associate(const std::string& allocation, const std::string& eni,
                                bool allow_reassociation = false, const std::string& ip = "") {
    return model::associate_address(region_, caller_,
                                    {allocation, "", eni, ip, allow_reassociation});
  }
  std::string launch(std::optional<bool> public_ip) {
    model::InstanceRequest request;
    request.network.subnet_id = subnet_;
    request.associate_public_ip = public_ip;
    request.host_id = "h1";
    auto ids = model::run_instances(region_, caller_, request);
    EXPECT_TRUE(ids.ok());
    return ids.ok() ? ids->front() : "";
  }
  const model::NetworkInterface& primary(const std::string& instance) {
    return region_.network_interfaces.at(region_.instances.at(instance).primary_interface_id);
  }
  std::string vpc_, subnet_, igw_;
};

TEST_F(AddressTest, AllocateAssociateRelease) {
  std::string eni = interface(subnet_);
  std::string allocation = *model::allocate_address(region_, caller_);
  EXPECT_EQ(region_.addresses.at(allocation).public_ip, "198.51.100.1");
  auto association = associate(allocation, eni);
  ASSERT_TRUE(association.ok());
  auto shown = model::public_address_of(region_, region_.network_interfaces.at(eni),
                                        region_.network_interfaces.at(eni).private_ip);
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->public_ip, "198.51.100.1");
  EXPECT_EQ(shown->ip_owner, caller_.account_id);
  EXPECT_EQ(code(model::release_address(region_, caller_, allocation)), "InvalidIPAddress.InUse");
  EXPECT_EQ(code(model::detach_internet_gateway(region_, caller_, igw_, vpc_)),
            "DependencyViolation");
  ASSERT_TRUE(model::disassociate_address(region_, caller_, *association).ok());
  EXPECT_EQ(code(model::disassociate_address(region_, caller_, *association)),
            "InvalidAssociationID.NotFound");
  EXPECT_EQ(code(model::release_address(region_, caller_, allocation)), "ok");
  EXPECT_EQ(code(model::release_address(region_, caller_, allocation)),
            "InvalidAllocationID.NotFound");
}

TEST_F(AddressTest, AssociatingNeedsAnAttachedGateway) {
  std::string other_vpc = vpc("10.1.0.0/16");
  std::string eni = interface(subnet(other_vpc, "10.1.1.0/24"));
  std::string allocation = *model::allocate_address(region_, caller_);
  EXPECT_EQ(code(associate(allocation, eni)), "Gateway.NotAttached");
}

TEST_F(AddressTest, LimitPerAccount) {
  caller_.limits.elastic_ips_per_account = 2;
  ASSERT_TRUE(model::allocate_address(region_, caller_).ok());
  ASSERT_TRUE(model::allocate_address(region_, caller_).ok());
  EXPECT_EQ(code(model::allocate_address(region_, caller_)), "AddressLimitExceeded");
}

TEST_F(AddressTest, PoolsAreUsedLowestFirstAndRunOut) {
  caller_.public_pools = {"203.0.113.8/31", "192.0.2.0/30"};
  caller_.limits.elastic_ips_per_account = 10;
  std::vector<std::string> ips;
  for (int i = 0; i < 4; ++i) {
    auto allocation = model::allocate_address(region_, caller_);
    ASSERT_TRUE(allocation.ok());
    ips.push_back(region_.addresses.at(*allocation).public_ip);
  }
  // A /31 has no network or broadcast address; a /30 keeps its two middle ones.
  EXPECT_EQ(ips,
            (std::vector<std::string>{"203.0.113.8", "203.0.113.9", "192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(code(model::allocate_address(region_, caller_)), "InsufficientAddressCapacity");
}

TEST_F(AddressTest, ReassociationNeedsAllowReassociation) {
  std::string a = interface(subnet_);
  std::string b = interface(subnet_);
  std::string allocation = *model::allocate_address(region_, caller_);
  ASSERT_TRUE(associate(allocation, a).ok());
  EXPECT_EQ(code(associate(allocation, b)), "Resource.AlreadyAssociated");
  ASSERT_TRUE(associate(allocation, b, true).ok());
  EXPECT_FALSE(model::public_address_of(region_, region_.network_interfaces.at(a),
                                        region_.network_interfaces.at(a).private_ip));
  EXPECT_EQ(region_.addresses.at(allocation).network_interface_id, b);
  // A second elastic IP onto the same private address replaces the first only when allowed.
  std::string second = *model::allocate_address(region_, caller_);
  EXPECT_EQ(code(associate(second, b)), "Resource.AlreadyAssociated");
  ASSERT_TRUE(associate(second, b, true).ok());
  EXPECT_TRUE(region_.addresses.at(allocation).association_id.empty());
  EXPECT_EQ(region_.addresses.at(second).network_interface_id, b);
}

TEST_F(AddressTest, PrivateAddressMustBeTheInterfaces) {
  std::string eni = interface(subnet_);
  std::string allocation = *model::allocate_address(region_, caller_);
  EXPECT_EQ(code(associate(allocation, eni, false, "10.0.1.200")), "InvalidParameterValue");
}

TEST_F(AddressTest, LaunchTimePublicIp) {
  model::Subnet& subnet = region_.subnets.at(subnet_);
  EXPECT_TRUE(primary(launch(std::nullopt)).public_ip.empty());
  EXPECT_EQ(primary(launch(true)).public_ip, "198.51.100.1");
  subnet.map_public_ip_on_launch = true;
  std::string instance = launch(std::nullopt);
  EXPECT_EQ(primary(instance).public_ip, "198.51.100.2");
  EXPECT_TRUE(primary(launch(false)).public_ip.empty());
  auto shown = model::public_address_of(region_, primary(instance), primary(instance).private_ip);
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->ip_owner, "amazon");
  EXPECT_TRUE(shown->allocation_id.empty());
}

TEST_F(AddressTest, ElasticIpReplacesTheLaunchPublicIpUntilItGoes) {
  std::string instance = launch(true);
  const std::string eni = primary(instance).id;
  EXPECT_EQ(primary(instance).public_ip, "198.51.100.1");
  std::string allocation = *model::allocate_address(region_, caller_);  // .2
  auto association = model::associate_address(region_, caller_, {allocation, instance, "", ""});
  ASSERT_TRUE(association.ok());
  EXPECT_TRUE(primary(instance).public_ip.empty());
  EXPECT_EQ(region_.addresses.at(allocation).instance_id, instance);
  ASSERT_TRUE(model::disassociate_address(region_, caller_, *association).ok());
  EXPECT_FALSE(primary(instance).public_ip.empty());  // a new public IP, as EC2 gives one
  EXPECT_NE(primary(instance).public_ip, "198.51.100.2");
  // Terminating frees both.
  ASSERT_TRUE(model::terminate_instances(region_, caller_, {instance}).ok());
  EXPECT_FALSE(region_.network_interfaces.contains(eni));
  auto again = model::allocate_address(region_, caller_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(region_.addresses.at(*again).public_ip, "198.51.100.1");
}

}  // namespace
}  // namespace openvpc::testing
