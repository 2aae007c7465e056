// xml_reader.h — just enough XML parsing to read EC2 responses in the openvpc CLI.
//
// Elements, text and the five predefined entities; attributes, comments and processing
// instructions are skipped. Malformed input yields an Error, never a crash. Not a general
// XML parser (no CDATA, no DTD).
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
