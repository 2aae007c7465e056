#include "cli/xml_reader.h"

#include <gtest/gtest.h>

namespace openvpc::cli {
namespace {

TEST(XmlReaderTest, ReadsEc2Responses) {
  auto document = parse_xml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
      "<requestId>r</requestId><vpcSet><item><vpcId>vpc-1</vpcId>"
      "<tagSet><item><key>Name</key><value>a &amp; b</value></item></tagSet></item>"
      "<item><vpcId>vpc-2</vpcId><empty/></item></vpcSet><nextToken>vpc-3</nextToken>"
      "</DescribeVpcsResponse>");
  ASSERT_TRUE(document.ok()) << document.error().message;
  EXPECT_EQ(document->name, "DescribeVpcsResponse");
  auto items = document->items("vpcSet");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]->text_at("vpcId"), "vpc-1");
  EXPECT_EQ(items[0]->items("tagSet")[0]->text_at("value"), "a & b");
  EXPECT_EQ(document->text_at("nextToken"), "vpc-3");
  EXPECT_EQ(document->text_at("missing/path"), "");
}

TEST(XmlReaderTest, MalformedInputIsAnError) {
  for (const char* text :
       {"", "no xml", "<a>", "<a></b>", "<a><b></a>", "<>x</>", "<a", "<a>text"}) {
    EXPECT_FALSE(parse_xml(text).ok()) << text;
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(parse_xml(deep).ok());
}

}  // namespace
}  // namespace openvpc::cli
