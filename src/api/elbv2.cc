// ELB's response and error envelopes and the parameter shapes its actions share (elbv2.h).
#include "api/elbv2.h"

#include <algorithm>
#include <charconv>

#include "model/load_balancer.h"

namespace openvpc::api {

std::string elbv2_response(const std::string& action, const std::string& fragment,
                           const std::string& request_id) {
  XmlWriter out;
  out.open(action + "Response", "xmlns=\"" + std::string(kElbv2Namespace) + "\"");
  out.open(action + "Result");
  std::string head = out.finish();  // closes both; the fragment goes before </ActionResult>
  size_t close = head.rfind("</" + action + "Result>");
  head.insert(close, fragment);
  XmlWriter metadata(XmlWriter::kFragment);
  metadata.open("ResponseMetadata").text("RequestId", request_id).close();
  size_t end = head.rfind("</" + action + "Response>");
  head.insert(end, metadata.finish());
  return head;
}

std::string elbv2_error_body(const Error& error, const std::string& request_id) {
  XmlWriter out;
  out.open("ErrorResponse", "xmlns=\"" + std::string(kElbv2Namespace) + "\"");
  out.open("Error");
  out.text("Type",
           error.code == "InternalError" || error.code == "Unavailable" ? "Receiver" : "Sender");
  out.text("Code", error.code).text("Message", error.message);
  out.close();
  out.text("RequestId", request_id);
  return out.finish();
}

Error elbv2_error(Error error) {
  if (error.code == "InvalidParameterValue" || error.code == "MissingParameter" ||
      error.code == "UnknownParameter" || error.code == "InvalidParameterCombination") {
    error.code = "ValidationError";
  }
  return error;
}

Result<model::Tags> elbv2_tags(const Params& params, const std::string& prefix) {
  model::Tags tags;
  const int n = params.count(prefix);
  for (int i = 1; i <= n; ++i) {
    const std::string member = prefix + "." + std::to_string(i);
    auto key = params.get(member + ".Key");
    if (!key || key->empty() || key->size() > 128) {
      return make_error("ValidationError", "Tag keys must be 1-128 characters (" + member + ")");
    }
    const std::string value = params.get_or(member + ".Value", "");
    if (value.size() > 256) {
      return make_error("ValidationError", "Tag values must be at most 256 characters");
    }
    if (!tags.emplace(*key, value).second) {
      return make_error("DuplicateTagKeys", "Tag key '" + *key + "' is given more than once");
    }
  }
  if (tags.size() > model::kElbTagsPerResource) {
    return make_error("TooManyTags", "A resource can have at most 50 tags");
  }
  return tags;
}

void render_elbv2_tags(XmlWriter& out, const model::Tags& tags) {
  out.open("Tags");
  for (const auto& [key, value] : tags) {
    out.open("member").text("Key", key).text("Value", value).close();
  }
  out.close();
}

Result<std::vector<std::pair<std::string, std::string>>> elbv2_attributes(const Params& params) {
  std::vector<std::pair<std::string, std::string>> attributes;
  const int n = params.count("Attributes.member");
  for (int i = 1; i <= n; ++i) {
    const std::string member = "Attributes.member." + std::to_string(i);
    auto key = params.get(member + ".Key");
    if (!key || key->empty()) {
      return make_error("ValidationError", "An attribute key must be specified (" + member + ")");
    }
    attributes.emplace_back(*key, params.get_or(member + ".Value", ""));
  }
  if (attributes.empty()) {
    return make_error("ValidationError", "At least one attribute must be specified");
  }
  return attributes;
}

void render_elbv2_attributes(XmlWriter& out,
                             const std::vector<std::pair<std::string, std::string>>& attributes) {
  out.open("Attributes");
  for (const auto& [key, value] : attributes) {
    out.open("member").text("Key", key).text("Value", value).close();
  }
  out.close();
}

Result<std::optional<int>> elbv2_integer(const Params& params, const std::string& name, int low,
                                         int high) {
  auto text = params.get(name);
  if (!text) return std::optional<int>{};
  int value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || value < low ||
      value > high) {
    return make_error("ValidationError", name + " must be an integer from " + std::to_string(low) +
                                             " to " + std::to_string(high));
  }
  return std::optional<int>{value};
}

Result<Elbv2Page> elbv2_page(const std::vector<std::string>& keys, const Params& params) {
  auto size = elbv2_integer(params, "PageSize", 1, 400);
  if (!size) return size.error();
  const size_t page_size = static_cast<size_t>(size->value_or(400));
  auto first = keys.begin();
  if (auto marker = params.get("Marker")) {
    // The marker is the first key of the next page; one since deleted continues after it.
    first = std::lower_bound(keys.begin(), keys.end(), *marker);
  }
  Elbv2Page page;
  for (auto it = first; it != keys.end(); ++it) {
    if (page.keys.size() == page_size) {
      page.next_marker = *it;
      break;
    }
    page.keys.push_back(*it);
  }
  return page;
}

}  // namespace openvpc::api
