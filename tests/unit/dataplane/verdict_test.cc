#include "dataplane/verdict.h"

#include "dataplane/conntrack/track_verdict.h"

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

// One descriptor: the conntrack trackers drop with the same reasons, by the same names.
TEST(Verdict, ConntrackDropsWithTheSameReasons) {
  EXPECT_EQ(to_string(conntrack::DropReason::conntrack_allowance_exceeded),
            "conntrack_allowance_exceeded");
  EXPECT_EQ(conntrack::kDropReasonCount, kDropReasonCount);
  for (const DropReasonInfo& info : kDropReasons) {
    EXPECT_FALSE(info.meaning.empty()) << info.name;
  }
  EXPECT_TRUE(is_isolation_drop(DropReason::geneve_outer_source_mismatch));
  EXPECT_FALSE(is_isolation_drop(DropReason::security_group_ingress_denied));
}

TEST(Verdict, Names) {
  EXPECT_EQ(to_string(Verdict::encapsulate), "encapsulate");
  EXPECT_EQ(to_string(Verdict::icmp_error), "icmp_error");
  EXPECT_EQ(to_string(Verdict(kVerdictCount)), "?");
}

}  // namespace
}  // namespace openvpc::dataplane
