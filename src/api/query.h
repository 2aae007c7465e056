// query.h — the EC2 Query protocol's request side: form decoding and the structured
// parameters botocore serialises into flat names.
//
// A request body
// "Action=DescribeVpcs&VpcId.1=vpc-1&Filter.1.Name=cidr&Filter.1.Value.1=10.0.0.0/16" decodes to
// Params (name -> value, names unique: a repeated name is malformed). Lists are Name.1, Name.2, ...
// (1-based, no gaps: reading stops at the first missing index, and an index beyond it is reported
// by unknown_parameters()). Nothing here throws; malformed input gives InvalidParameterValue /
// MissingParameter errors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace openvpc::api {

// Percent-decoding of application/x-www-form-urlencoded ('+' is a space).
Result<std::string> url_decode(std::string_view text);
// RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX).
std::string uri_encode(std::string_view text, bool keep_slash = false);

struct Filter {
  std::string name;
  std::vector<std::string> values;
};

class Params {
 public:
  static Result<Params> parse(std::string_view body);
  explicit Params(std::map<std::string, std::string> values = {}) : values_(std::move(values)) {}

  const std::map<std::string, std::string>& all() const { return values_; }
  bool has(const std::string& name) const { return values_.contains(name); }
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, std::string fallback) const;
  Result<std::string> required(const std::string& name) const;
  // "true"/"false" (case-insensitive); InvalidParameterValue otherwise.
  Result<std::optional<bool>> boolean(const std::string& name) const;
  Result<std::optional<int64_t>> integer(const std::string& name, int64_t min, int64_t max) const;
  // prefix.1, prefix.2, ... until the first gap.
  std::vector<std::string> list(const std::string& prefix) const;
  // How many members prefix.1..prefix.N exist (any sub-field), until the first gap.
  int count(const std::string& prefix) const;
  // Filter.N.Name / Filter.N.Value.M; MissingParameter when a filter has no name.
  Result<std::vector<Filter>> filters() const;
  // Tag.N.Key / Tag.N.Value under prefix (e.g. "Tag" or "TagSpecification.1.Tag").
  std::map<std::string, std::string> tags(const std::string& prefix) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace openvpc::api
