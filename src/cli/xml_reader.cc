#include "cli/xml_reader.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <memory>

namespace openvpc::cli {

namespace {

constexpr int kMaxDepth = 64;

struct DocumentFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct ContextFree {
  void operator()(xmlParserCtxt* context) const { xmlFreeParserCtxt(context); }
};

Error malformed(std::string why) {
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return make_error("MalformedXml", why);
}

std::string text_of(const xmlChar* content) {
  return content == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(content));
}

// The element as an XmlNode: its name (without a namespace prefix), its text (text and CDATA
// children, in order) and its child elements. Comments and processing instructions are
// skipped; anything else (an entity reference left unexpanded) is refused.
Result<XmlNode> convert(const xmlNode* element, int depth) {
  if (depth > kMaxDepth) return malformed("too deep");
  XmlNode node;
  node.name = text_of(element->name);
  for (const xmlNode* child = element->children; child != nullptr; child = child->next) {
    switch (child->type) {
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        node.text += text_of(child->content);
        break;
      case XML_ELEMENT_NODE: {
        auto converted = convert(child, depth + 1);
        if (!converted) return converted.error();
        node.children.push_back(std::move(*converted));
        break;
      }
      case XML_COMMENT_NODE:
      case XML_PI_NODE:
        break;
      default:
        return malformed("unexpected node in " + node.name);
    }
  }
  return node;
}

}  // namespace

const XmlNode& XmlNode::child(std::string_view child_name) const {
  static const XmlNode kEmpty;
  for (const auto& c : children) {
    if (c.name == child_name) return c;
  }
  return kEmpty;
}

std::string XmlNode::text_at(std::string_view path) const {
  const XmlNode* node = this;
  while (!path.empty()) {
    size_t slash = path.find('/');
    node = &node->child(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return node->text;
}

std::vector<const XmlNode*> XmlNode::items(std::string_view set_name) const {
  std::vector<const XmlNode*> out;
  for (const auto& item : child(set_name).children) {
    if (item.name == "item") out.push_back(&item);
  }
  return out;
}

Result<XmlNode> parse_xml(std::string_view text) {
  if (text.size() > size_t(INT_MAX)) return malformed("document too large");
  static const bool initialised = [] {
    xmlInitParser();  // once, before any thread parses
    return true;
  }();
  (void)initialised;
  std::unique_ptr<xmlParserCtxt, ContextFree> context(xmlNewParserCtxt());
  if (!context) return malformed("out of memory");
  // No network, no entity substitution, no DTD loading, nothing printed to stderr.
  std::unique_ptr<xmlDoc, DocumentFree> document(
      xmlCtxtReadMemory(context.get(), text.data(), int(text.size()), nullptr, nullptr,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!document) {
    const char* why = context->lastError.message;
    return malformed(why != nullptr ? why : "not XML");
  }
  if (document->intSubset != nullptr) return malformed("a document type declaration");
  const xmlNode* root = xmlDocGetRootElement(document.get());
  if (root == nullptr) return malformed("no root element");
  return convert(root, 0);
}

}  // namespace openvpc::cli
