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

// What the hand-written reader got wrong: CDATA, character references, a '>' inside an
// attribute value, and text after the root element.
TEST(XmlReaderTest, ReadsXmlAsXmlIs) {
  auto document = parse_xml(
      "<r a=\"x>y\"><c><![CDATA[1 < 2 & <b>]]></c><d>&#65;&#x42;&lt;</d><!-- c --><e/></r>");
  ASSERT_TRUE(document.ok()) << document.error().message;
  EXPECT_EQ(document->text_at("c"), "1 < 2 & <b>");
  EXPECT_EQ(document->text_at("d"), "AB<");
  EXPECT_EQ(document->children.size(), 3u);
  EXPECT_FALSE(parse_xml("<a>x</a><b>more</b>").ok());
  EXPECT_FALSE(parse_xml("<a>x</a>trailing").ok());
  EXPECT_FALSE(parse_xml("<a>&unknown;</a>").ok());
}

// Untrusted input: entity expansion (a billion laughs) and external entities never happen,
// because a document with a DTD is refused before anything in it is used.
TEST(XmlReaderTest, RefusesDocumentTypeDeclarations) {
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"ha\">";
  for (int i = 1; i < 10; ++i) {
    laughs += "<!ENTITY l" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) laughs += "&l" + std::to_string(i - 1) + ";";
    laughs += "\">";
  }
  laughs += "]><l>&l9;</l>";
  auto bomb = parse_xml(laughs);
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.error().code, "MalformedXml");
  auto external =
      parse_xml("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r><v>&x;</v></r>");
  ASSERT_FALSE(external.ok());
  EXPECT_EQ(external.error().message.find("root:"), std::string::npos);
}

TEST(XmlReaderTest, MalformedInputIsAnError) {
  for (const char* text :
       {"", "no xml", "<a>", "<a></b>", "<a><b></a>", "<>x</>", "<a", "<a>text"}) {
    EXPECT_FALSE(parse_xml(text).ok()) << text;
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(parse_xml(deep).ok());
  for (int i = 0; i < 100; ++i) deep += "</a>";
  auto too_deep = parse_xml(deep);  // well formed, but deeper than 64
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().message, "too deep");
}

}  // namespace
}  // namespace openvpc::cli
