// xml.h — a small streaming XML writer for EC2 responses.
//
// Elements nest by open()/close(); text and attribute values are escaped, so any tenant
// string (tag values, descriptions) is safe to emit. set() writes a list the EC2 way:
// <nameSet><item>..</item>..</nameSet>.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace openvpc::api {

std::string xml_escape(std::string_view text);

class XmlWriter {
 public:
  static constexpr bool kFragment = true;
  // A fragment has no XML declaration (for pieces the service wraps).
  explicit XmlWriter(bool fragment = false) {
    if (!fragment) out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  }
  XmlWriter& open(std::string_view name, std::string_view attributes = {});
  XmlWriter& close();
  // <name>escaped text</name>
  XmlWriter& text(std::string_view name, std::string_view value);
  XmlWriter& boolean(std::string_view name, bool value) {
    return text(name, value ? "true" : "false");
  }
  XmlWriter& number(std::string_view name, int64_t value) {
    return text(name, std::to_string(value));
  }
  // <name> only when value is not empty.
  XmlWriter& optional(std::string_view name, std::string_view value) {
    return value.empty() ? *this : text(name, value);
  }
  // Closes every open element and returns the document.
  std::string finish();

 private:
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace openvpc::api
