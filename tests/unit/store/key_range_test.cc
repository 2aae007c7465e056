#include "store/key_range.h"

#include <gtest/gtest.h>

namespace openvpc::store {
namespace {

struct PrefixEndCase {
  const char* description;
  std::string prefix;
  std::string end;
};

TEST(KeyRangeTest, PrefixEnd) {
  const PrefixEndCase cases[] = {
      {"empty prefix has no end", "", ""},
      {"last byte incremented", "a/", "a0"},
      {"single byte", "a", "b"},
      {"trailing 0xff carries", "a\xff", "b"},
      {"several 0xff carry", std::string("a\xff\xff"), "b"},
      {"only 0xff has no end", "\xff\xff", ""},
      {"zero byte", std::string("a\0", 2), std::string("a\x01")},
  };
  for (const auto& c : cases) EXPECT_EQ(prefix_end(c.prefix), c.end) << c.description;
}

TEST(KeyRangeTest, TransactionRules) {
  using Kind = Operation::Kind;
  EXPECT_TRUE(check_transaction({}, {}));
  EXPECT_TRUE(
      check_transaction({{"a", 0}, {"a", 3}}, {{Kind::put, "a", "1"}, {Kind::erase, "b", ""}}));
  EXPECT_EQ(check_transaction({}, {{Kind::put, "a", "1"}, {Kind::erase, "a", ""}}).error().code,
            "store.invalid_argument");
  EXPECT_EQ(check_transaction({}, {{Kind::put, "", "1"}}).error().code, "store.invalid_argument");
  EXPECT_EQ(check_transaction({{"", 0}}, {}).error().code, "store.invalid_argument");
  EXPECT_EQ(check_transaction({{"a", -1}}, {}).error().code, "store.invalid_argument");
}

}  // namespace
}  // namespace openvpc::store
