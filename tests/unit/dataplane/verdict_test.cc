#include "dataplane/verdict.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace openvpc::dataplane {
namespace {

TEST(Verdict, EveryDropReasonHasADistinctName) {
  std::set<std::string> names;
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    const auto name = to_string(DropReason(i));
    EXPECT_NE(name, "?") << i;
    EXPECT_EQ(name.find(' '), std::string_view::npos) << name;  // usable as a metrics label
    names.insert(std::string(name));
  }
  EXPECT_EQ(names.size(), kDropReasonCount);
  EXPECT_EQ(to_string(DropReason::geneve_unknown_vni), "geneve_unknown_vni");
  EXPECT_EQ(to_string(DropReason::count_), "?");
}

TEST(Verdict, Names) {
  EXPECT_EQ(to_string(Verdict::encapsulate), "encapsulate");
  EXPECT_EQ(to_string(Verdict::icmp_error), "icmp_error");
  EXPECT_EQ(to_string(Verdict(kVerdictCount)), "?");
}

}  // namespace
}  // namespace openvpc::dataplane
