#include "api/filter.h"

#include <gtest/gtest.h>

namespace openvpc::api {
namespace {

TEST(WildcardTest, Table) {
  const std::tuple<const char*, const char*, bool> cases[] = {
      {"abc", "abc", true},
      {"a*", "abc", true},
      {"*c", "abc", true},
      {"a?c", "abc", true},
      {"a?c", "ac", false},
      {"*", "", true},
      {"", "", true},
      {"", "x", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbY", false},
      {"10.0.*", "10.0.1.0/24", true},
      {"**a", "a", true},
  };
  for (const auto& [pattern, text, expected] : cases) {
    EXPECT_EQ(wildcard_match(pattern, text), expected) << pattern << " ~ " << text;
  }
}

TEST(FilterTest, AllFiltersMustMatchAnyValue) {
  FilterFields fields{{"vpc-id", {"vpc-1"}}, {"state", {"available"}}};
  add_tag_fields(fields, {{"Name", "web"}});
  EXPECT_TRUE(matches({{"vpc-id", {"vpc-2", "vpc-1"}}}, fields));
  EXPECT_TRUE(matches({{"vpc-id", {"vpc-*"}}, {"tag:Name", {"web"}}}, fields));
  EXPECT_FALSE(matches({{"vpc-id", {"vpc-1"}}, {"tag:Name", {"db"}}}, fields));
  EXPECT_FALSE(matches({{"tag:Missing", {"*"}}}, fields));
  EXPECT_TRUE(matches({{"tag-key", {"Name"}}}, fields));
  EXPECT_TRUE(check_filter_names({{"tag:Anything", {}}, {"vpc-id", {}}}, fields).ok());
  EXPECT_EQ(check_filter_names({{"bogus", {}}}, fields).error().code, "InvalidParameterValue");
}

TEST(PaginateTest, PagesCoverEveryIdOnce) {
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back("vpc-" + std::to_string(100 + i));
  std::vector<std::string> seen;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    std::string body = "MaxResults=5" + (token.empty() ? "" : "&NextToken=" + token);
    auto result = paginate(ids, *Params::parse(body));
    ASSERT_TRUE(result.ok());
    EXPECT_LE(result->ids.size(), 5u);
    seen.insert(seen.end(), result->ids.begin(), result->ids.end());
    token = result->next_token;
    if (token.empty()) break;
  }
  EXPECT_EQ(seen, ids);
  EXPECT_FALSE(paginate(ids, *Params::parse("MaxResults=4")).ok());
  EXPECT_FALSE(paginate(ids, *Params::parse("MaxResults=1001")).ok());
  EXPECT_EQ(paginate(ids, *Params::parse(""))->ids.size(), 12u);
}

}  // namespace
}  // namespace openvpc::api
