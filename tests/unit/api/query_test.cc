#include "api/query.h"

#include <gtest/gtest.h>

namespace openvpc::api {
namespace {

TEST(UrlDecodeTest, Table) {
  const std::tuple<const char*, bool, const char*> cases[] = {
      {"plain", true, "plain"}, {"a+b", true, "a b"}, {"10.0.0.0%2F16", true, "10.0.0.0/16"},
      {"%7e%7E", true, "~~"},   {"%", false, ""},     {"%2", false, ""},
      {"%zz", false, ""},       {"", true, ""},       {"%00", true, std::string(1, '\0').c_str()},
  };
  for (const auto& [input, ok, expected] : cases) {
    auto decoded = url_decode(input);
    ASSERT_EQ(decoded.ok(), ok) << input;
    if (ok && std::string(input) != "%00") {
      EXPECT_EQ(*decoded, expected) << input;
    }
  }
}

TEST(UriEncodeTest, KeepsUnreservedOnly) {
  EXPECT_EQ(uri_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(uri_encode("a b/c"), "a%20b%2Fc");
  EXPECT_EQ(uri_encode("/x y", true), "/x%20y");
}

TEST(ParamsTest, ParsesListsFiltersAndTags) {
  auto params = Params::parse(
      "Action=DescribeVpcs&VpcId.1=vpc-a&VpcId.2=vpc-b&VpcId.4=vpc-gap"
      "&Filter.1.Name=cidr&Filter.1.Value.1=10.0.0.0%2F16&Filter.1.Value.2=10.1.*"
      "&Filter.2.Name=tag%3AName&Filter.2.Value.1=prod"
      "&Tag.1.Key=Name&Tag.1.Value=web&Tag.2.Key=empty");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->get_or("Action", ""), "DescribeVpcs");
  EXPECT_EQ(params->list("VpcId"), (std::vector<std::string>{"vpc-a", "vpc-b"}));
  auto filters = params->filters();
  ASSERT_TRUE(filters.ok());
  ASSERT_EQ(filters->size(), 2u);
  EXPECT_EQ((*filters)[0].name, "cidr");
  EXPECT_EQ((*filters)[0].values, (std::vector<std::string>{"10.0.0.0/16", "10.1.*"}));
  EXPECT_EQ((*filters)[1].name, "tag:Name");
  auto tags = params->tags("Tag");
  EXPECT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags["Name"], "web");
  EXPECT_EQ(tags["empty"], "");
}

TEST(ParamsTest, MalformedInput) {
  const std::pair<const char*, const char*> cases[] = {
      {"A=1&A=2", "InvalidParameterValue"},
      {"=value", "InvalidParameterValue"},
      {"A=%G0", "InvalidParameterValue"},
      {"&&&A=1&&", "ok"},
      {"A=%C3%A9%E2%82%AC%F0%9F%98%80", "ok"},
      {"A=%FF", "InvalidParameterValue"},
      {"A=%C3", "InvalidParameterValue"},
      {"A=%C0%AF", "InvalidParameterValue"},
      {"A=%ED%A0%80", "InvalidParameterValue"},
      {"%FE=1", "InvalidParameterValue"},
      {"flag", "ok"},
  };
  for (const auto& [body, expected] : cases) {
    auto params = Params::parse(body);
    EXPECT_EQ(params.ok() ? "ok" : params.error().code, std::string(expected)) << body;
  }
  auto filters = Params::parse("Filter.1.Value.1=x")->filters();
  ASSERT_FALSE(filters.ok());
  EXPECT_EQ(filters.error().code, "MissingParameter");
}

TEST(ParamsTest, TypedValues) {
  auto params = *Params::parse("B=TRUE&C=nope&N=42&M=4x&Big=99999999999999999999&Neg=-3");
  EXPECT_EQ(**params.boolean("B"), true);
  EXPECT_EQ(params.boolean("C").error().code, "InvalidParameterValue");
  EXPECT_FALSE(params.boolean("Missing")->has_value());
  EXPECT_EQ(**params.integer("N", 0, 100), 42);
  EXPECT_FALSE(params.integer("N", 0, 10).ok());
  EXPECT_FALSE(params.integer("M", 0, 100).ok());
  EXPECT_FALSE(params.integer("Big", 0, 100).ok());
  EXPECT_FALSE(params.integer("Neg", 0, 100).ok());
  EXPECT_EQ(params.required("Missing").error().code, "MissingParameter");
}

TEST(ParamsTest, CountSeesSubFields) {
  auto params = *Params::parse(
      "IpPermissions.1.IpProtocol=tcp&IpPermissions.2.IpRanges.1.CidrIp=x&IpPermissions.10."
      "IpProtocol=udp");
  EXPECT_EQ(params.count("IpPermissions"), 2);
  EXPECT_EQ(params.count("Other"), 0);
}

}  // namespace
}  // namespace openvpc::api
