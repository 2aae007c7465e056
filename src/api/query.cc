#include "api/query.h"

#include <algorithm>
#include <charconv>

namespace openvpc::api {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

Error invalid_value(const std::string& name, const std::string& value) {
  return make_error("InvalidParameterValue",
                    "Value (" + value + ") for parameter " + name + " is invalid.");
}

}  // namespace

Result<std::string> url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) {
        return make_error("InvalidParameterValue", "Truncated percent escape in request");
      }
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
        return make_error("InvalidParameterValue", "Malformed percent escape in request");
      }
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<Params> Params::parse(std::string_view body) {
  std::map<std::string, std::string> values;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = url_decode(pair.substr(0, eq));
    if (!name) return name.error();
    auto value =
        url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) return value.error();
    if (name->empty()) return make_error("InvalidParameterValue", "Empty parameter name");
    if (!valid_utf8(*name) || !valid_utf8(*value)) {
      return make_error("InvalidParameterValue", "Parameters must be valid UTF-8");
    }
    if (!values.emplace(std::move(*name), std::move(*value)).second) {
      return make_error("InvalidParameterValue", "A parameter was given more than once");
    }
  }
  return Params(std::move(values));
}

std::optional<std::string> Params::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Params::get_or(const std::string& name, std::string fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

Result<std::string> Params::required(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) {
    return make_error("MissingParameter", "The request must contain the parameter " + name);
  }
  return it->second;
}

Result<std::optional<bool>> Params::boolean(const std::string& name) const {
  auto value = get(name);
  if (!value) return std::optional<bool>{};
  std::string lower = *value;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower == "true") return std::optional<bool>{true};
  if (lower == "false") return std::optional<bool>{false};
  return invalid_value(name, *value);
}

Result<std::optional<int64_t>> Params::integer(const std::string& name, int64_t min,
                                               int64_t max) const {
  auto value = get(name);
  if (!value) return std::optional<int64_t>{};
  int64_t number = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (ec != std::errc() || end != value->data() + value->size() || number < min || number > max) {
    return invalid_value(name, *value);
  }
  return std::optional<int64_t>{number};
}

std::vector<std::string> Params::list(const std::string& prefix) const {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    auto value = get(prefix + "." + std::to_string(i));
    if (!value) break;
    out.push_back(*value);
  }
  return out;
}

int Params::count(const std::string& prefix) const {
  int n = 0;
  for (;; ++n) {
    std::string member = prefix + "." + std::to_string(n + 1);
    auto it = values_.lower_bound(member);
    bool present =
        it != values_.end() && (it->first == member || it->first.rfind(member + ".", 0) == 0);
    if (!present) {
      // lower_bound may land on "prefix.1" before "prefix.1.", check the sub-field form too.
      auto sub = values_.lower_bound(member + ".");
      present = sub != values_.end() && sub->first.rfind(member + ".", 0) == 0;
    }
    if (!present) break;
  }
  return n;
}

Result<std::vector<Filter>> Params::filters() const {
  std::vector<Filter> out;
  int n = count("Filter");
  for (int i = 1; i <= n; ++i) {
    std::string prefix = "Filter." + std::to_string(i);
    auto name = get(prefix + ".Name");
    if (!name || name->empty()) {
      return make_error("MissingParameter",
                        "The request must contain the parameter " + prefix + ".Name");
    }
    out.push_back({*name, list(prefix + ".Value")});
  }
  return out;
}

std::map<std::string, std::string> Params::tags(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  int n = count(prefix);
  for (int i = 1; i <= n; ++i) {
    std::string member = prefix + "." + std::to_string(i);
    auto key = get(member + ".Key");
    if (key) out[*key] = get_or(member + ".Value", "");
  }
  return out;
}

}  // namespace openvpc::api
