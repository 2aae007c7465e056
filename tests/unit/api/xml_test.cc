#include "api/xml.h"

#include <gtest/gtest.h>

namespace openvpc::api {
namespace {

TEST(XmlEscapeTest, Table) {
  const std::pair<const char*, const char*> cases[] = {
      {"plain", "plain"},         {"a<b>&c", "a&lt;b&gt;&amp;c"}, {"\"q'", "&quot;q&apos;"},
      {"tab\tnl\n", "tab\tnl\n"}, {"\x01", "&#xFFFD;"},
  };
  for (const auto& [input, expected] : cases) EXPECT_EQ(xml_escape(input), expected) << input;
}

TEST(XmlWriterTest, NestsAndClosesEverything) {
  XmlWriter out;
  out.open("DescribeVpcsResponse", "xmlns=\"ns\"").text("requestId", "r1").open("vpcSet");
  out.open("item").text("vpcId", "vpc-1").boolean("isDefault", false).number("n", 5);
  out.optional("empty", "").optional("full", "<x>");
  std::string xml = out.finish();
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<DescribeVpcsResponse xmlns=\"ns\"><requestId>r1</requestId><vpcSet><item>"
            "<vpcId>vpc-1</vpcId><isDefault>false</isDefault><n>5</n><full>&lt;x&gt;</full>"
            "</item></vpcSet></DescribeVpcsResponse>");
}

TEST(XmlWriterTest, FragmentHasNoDeclaration) {
  XmlWriter out(XmlWriter::kFragment);
  out.text("return", "true");
  EXPECT_EQ(out.finish(), "<return>true</return>");
}

}  // namespace
}  // namespace openvpc::api
