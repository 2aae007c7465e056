#include "cli/views.h"

#include <gtest/gtest.h>

namespace openvpc::cli {
namespace {

TEST(ViewsTest, InstancesAreReadFromReservations) {
  auto document = parse_xml(
      "<R><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId>"
      "<instanceState><name>running</name></instanceState><placement><hostId>h1</hostId>"
      "</placement><tagSet><item><key>Name</key><value>web</value></item></tagSet></item>"
      "</instancesSet></item></reservationSet></R>");
  ASSERT_TRUE(document.ok());
  const View* view = find_view("instances");
  ASSERT_NE(view, nullptr);
  std::vector<XmlNode> reservations;
  for (const XmlNode* item : document->items("reservationSet")) reservations.push_back(*item);
  auto rows = rows_of(*view, reservations);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "i-1");
  EXPECT_EQ(rows[0][1], "web");
  EXPECT_EQ(rows[0][2], "running");
  EXPECT_EQ(rows[0][6], "h1");
  auto json = rows_to_json(*view, rows);
  EXPECT_EQ(json[0]["HostId"], "h1");
  EXPECT_EQ(find_view("nonsense"), nullptr);
}

TEST(ViewsTest, TableColumnsAlign) {
  EXPECT_EQ(format_table({"Id", "Cidr"}, {{"vpc-1", "10.0.0.0/16"}, {"v", ""}}),
            "Id     Cidr\n"
            "vpc-1  10.0.0.0/16\n"
            "v\n");
}

}  // namespace
}  // namespace openvpc::cli
