#include "api/xml.h"

namespace openvpc::api {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "&#xFFFD;";
        } else {
          out += c;
        }
    }
  }
  return out;
}

XmlWriter& XmlWriter::open(std::string_view name, std::string_view attributes) {
  out_ += '<';
  out_ += name;
  if (!attributes.empty()) {
    out_ += ' ';
    out_ += attributes;
  }
  out_ += '>';
  open_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::close() {
  if (open_.empty()) return *this;
  out_ += "</" + open_.back() + ">";
  open_.pop_back();
  return *this;
}

XmlWriter& XmlWriter::text(std::string_view name, std::string_view value) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  out_ += xml_escape(value);
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

std::string XmlWriter::finish() {
  while (!open_.empty()) close();
  return std::move(out_);
}

}  // namespace openvpc::api
