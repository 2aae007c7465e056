#include "api/filter.h"

#include <algorithm>

namespace openvpc::api {

bool wildcard_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with backtracking to the last '*'; linear in practice, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void add_tag_fields(FilterFields& fields, const model::Tags& tags) {
  auto& keys = fields["tag-key"];
  auto& values = fields["tag-value"];
  for (const auto& [key, value] : tags) {
    keys.push_back(key);
    values.push_back(value);
    fields["tag:" + key].push_back(value);
  }
}

void add_absent_fields(FilterFields& fields, std::initializer_list<std::string_view> names) {
  for (auto name : names) fields[std::string(name)];
}

Result<void> check_filter_names(const std::vector<Filter>& filters, const FilterFields& known) {
  for (const auto& filter : filters) {
    if (filter.name.rfind("tag:", 0) == 0 || known.contains(filter.name)) continue;
    return make_error("InvalidParameterValue", "The filter '" + filter.name + "' is invalid");
  }
  return {};
}

bool matches(const std::vector<Filter>& filters, const FilterFields& fields) {
  for (const auto& filter : filters) {
    auto it = fields.find(filter.name);
    if (it == fields.end()) return false;
    bool any = std::any_of(filter.values.begin(), filter.values.end(), [&](const auto& pattern) {
      return std::any_of(it->second.begin(), it->second.end(),
                         [&](const auto& value) { return wildcard_match(pattern, value); });
    });
    if (!any) return false;
  }
  return true;
}

Result<size_t> page_limit(const Params& params, int min_results) {
  auto max_results = params.integer("MaxResults", min_results, 1000);
  if (!max_results) return max_results.error();
  return static_cast<size_t>(max_results->value_or(1000000));
}

Result<Page> paginate(const std::vector<std::string>& sorted_ids, const Params& params,
                      int min_results) {
  auto limit = page_limit(params, min_results);
  if (!limit) return limit.error();
  std::string token = params.get_or("NextToken", "");
  auto it = std::lower_bound(sorted_ids.begin(), sorted_ids.end(), token);
  Page page;
  for (; it != sorted_ids.end() && page.ids.size() < *limit; ++it) page.ids.push_back(*it);
  if (it != sorted_ids.end()) page.next_token = *it;
  return page;
}

}  // namespace openvpc::api
