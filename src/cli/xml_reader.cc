#include "cli/xml_reader.h"

namespace openvpc::cli {

namespace {

std::string unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    static const std::pair<std::string_view, char> kEntities[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [entity, c] : kEntities) {
      if (text.substr(i, entity.size()) == entity) {
        out += c;
        i += entity.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += '&';
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<XmlNode> document() {
    skip_prolog();
    auto root = element(0);
    if (!root) return root.error();
    return root;
  }

 private:
  static constexpr int kMaxDepth = 64;

  Error malformed(std::string_view why) const {
    return make_error("MalformedXml", std::string(why) + " at offset " + std::to_string(at_));
  }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  void skip_prolog() {
    for (;;) {
      skip_space();
      if (text_.substr(at_, 2) != "<?" && text_.substr(at_, 4) != "<!--") return;
      size_t end = text_.find('>', at_);
      at_ = end == std::string_view::npos ? text_.size() : end + 1;
    }
  }
  Result<XmlNode> element(int depth) {
    if (depth > kMaxDepth) return malformed("too deep");
    if (at_ >= text_.size() || text_[at_] != '<') return malformed("expected '<'");
    size_t close = text_.find('>', at_);
    if (close == std::string_view::npos) return malformed("unterminated tag");
    std::string_view tag = text_.substr(at_ + 1, close - at_ - 1);
    at_ = close + 1;
    bool self_closing = !tag.empty() && tag.back() == '/';
    if (self_closing) tag.remove_suffix(1);
    XmlNode node;
    node.name = std::string(tag.substr(0, tag.find_first_of(" \t\r\n")));
    if (node.name.empty()) return malformed("empty tag name");
    if (self_closing) return node;
    for (;;) {
      size_t next = text_.find('<', at_);
      if (next == std::string_view::npos) return malformed("unterminated element " + node.name);
      node.text += unescape(text_.substr(at_, next - at_));
      at_ = next;
      if (text_.substr(at_, 2) == "</") {
        size_t end = text_.find('>', at_);
        if (end == std::string_view::npos) return malformed("unterminated end tag");
        if (text_.substr(at_ + 2, end - at_ - 2) != node.name)
          return malformed("mismatched end tag");
        at_ = end + 1;
        return node;
      }
      auto child = element(depth + 1);
      if (!child) return child.error();
      node.children.push_back(std::move(*child));
    }
  }

  std::string_view text_;
  size_t at_ = 0;
};

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
  return Parser(text).document();
}

}  // namespace openvpc::cli
