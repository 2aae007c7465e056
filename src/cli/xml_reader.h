// xml_reader.h — EC2 responses as a tree, for the openvpc CLI.
//
// The CLI reads what an endpoint answers, so the input is untrusted: parsing is libxml2's
// (Debian libxml2-dev), with no network access, no entity substitution and no DTD loading; a
// document that declares a DTD is refused outright (no entity expansion, no external
// entities), as is one nested deeper than 64 elements. The tree keeps what the CLI needs:
// element names (local names, no namespace prefix), their text (text and CDATA, character and
// predefined entities decoded) and child elements; attributes, comments and processing
// instructions are dropped. Malformed input is an Error ("MalformedXml"), never a crash.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace openvpc::cli {

struct XmlNode {
  std::string name;
  std::string text;
  std::vector<XmlNode> children;

  // The first child with this name, or an empty node.
  const XmlNode& child(std::string_view child_name) const;
  // Text of a child path like "instanceState/name".
  std::string text_at(std::string_view path) const;
  // Items of a set: child(set_name)'s <item> children.
  std::vector<const XmlNode*> items(std::string_view set_name) const;
};

Result<XmlNode> parse_xml(std::string_view text);

}  // namespace openvpc::cli
