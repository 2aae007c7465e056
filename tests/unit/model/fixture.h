// fixture.h — a Region with one account and a deterministic IdSource, for model tests.
#pragma once

#include <gtest/gtest.h>

#include "model/operations.h"

namespace openvpc::testing {

class RegionTest : public ::testing::Test {
 protected:
  RegionTest() : ids_(42) {
    caller_.account_id = "111111111111";
    caller_.ids = &ids_;
    caller_.now = 1'700'000'000;
    other_ = caller_;
    other_.account_id = "222222222222";
  }

  std::string vpc(const std::string& cidr = "10.0.0.0/16") {
    auto id = model::create_vpc(region_, caller_, cidr);
    EXPECT_TRUE(id.ok()) << id.error().code;
    return id.ok() ? *id : "";
  }
  std::string subnet(const std::string& vpc_id, const std::string& cidr) {
    auto id = model::create_subnet(region_, caller_, vpc_id, cidr, "");
    EXPECT_TRUE(id.ok()) << id.error().code;
    return id.ok() ? *id : "";
  }
  std::string interface(const std::string& subnet_id, const std::string& ip = "") {
    model::InterfaceRequest request;
    request.subnet_id = subnet_id;
    request.private_ip = ip;
    auto id = model::create_network_interface(region_, caller_, request);
    EXPECT_TRUE(id.ok()) << id.error().code;
    return id.ok() ? *id : "";
  }
  template <typename T>
  static std::string code(const Result<T>& result) {
    return result.ok() ? "ok" : result.error().code;
  }

  model::IdSource ids_;
  model::Caller caller_;
  model::Caller other_;
  model::Region region_;
};

}  // namespace openvpc::testing
