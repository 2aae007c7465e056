// The rule for a flow log's file destination (relative to the account's directory), as a table.
#include "program/flow_log_destination.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace openvpc::program {
namespace {

struct DestinationCase {
  std::string description;
  std::string destination;
  std::vector<std::string_view> components;  // empty: refused
};

TEST(FlowLogDestination, RelativePathsUnderTheAccountOnly) {
  const std::string long_component(kMaxComponentSize + 1, 'a');
  const DestinationCase cases[] = {
      {"a file", "flows.log", {"flows.log"}},
      {"a file in a folder", "web/eni-0a.log", {"web", "eni-0a.log"}},
      {"dots inside a name", "a..b/.hidden", {"a..b", ".hidden"}},
      {"absolute /etc/passwd", "/etc/passwd", {}},
      {"absolute under a root", "/var/log/openvpc/flow-logs/1/f.log", {}},
      {"parent", "../f.log", {}},
      {"parent inside", "a/../../etc/passwd", {}},
      {"parent last", "a/..", {}},
      {"current", "./f.log", {}},
      {"empty", "", {}},
      {"empty component", "a//b", {}},
      {"trailing slash", "a/", {}},
      {"newline", "a\nb", {}},
      {"NUL", std::string("a\0b", 3), {}},
      {"component too long", long_component, {}},
      {"too long",
       std::string(kMaxDestinationSize / 2, 'a') + "/" + std::string(kMaxDestinationSize / 2, 'b'),
       {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(destination_components(c.destination), c.components) << c.description;
    EXPECT_EQ(destination_error(c.destination).has_value(), c.components.empty()) << c.description;
  }
}

TEST(FlowLogDestination, AccountDirectoryIsOneSafeName) {
  EXPECT_TRUE(valid_account_directory("123456789012"));
  for (const char* bad : {"", "..", ".", "a/b", "12 34", "../123"}) {
    EXPECT_FALSE(valid_account_directory(bad)) << bad;
  }
}

}  // namespace
}  // namespace openvpc::program
