// filter.h — Describe* filtering and pagination, the same for every resource type.
//
// A resource exposes its filterable fields as FilterFields (name -> values; every name the
// type supports is present, possibly with no values). A filter matches when any of its values
// (with EC2's '*' and '?' wildcards) equals any value of the field; all filters must match.
// "tag:KEY", "tag-key" and "tag-value" work on every type. Unknown filter names are
// InvalidParameterValue.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "api/query.h"
#include "common/result.h"
#include "model/resources.h"

namespace openvpc::api {

using FilterFields = std::map<std::string, std::vector<std::string>>;

bool wildcard_match(std::string_view pattern, std::string_view text);
// Adds tag-key, tag-value and tag:KEY fields for tags.
void add_tag_fields(FilterFields& fields, const model::Tags& tags);
// Filters EC2 documents for what does not exist here (IPv6, Outposts, prefix lists, ...): the
// names are known and match nothing, instead of being refused as invalid.
void add_absent_fields(FilterFields& fields, std::initializer_list<std::string_view> names);
Result<void> check_filter_names(const std::vector<Filter>& filters, const FilterFields& known);
bool matches(const std::vector<Filter>& filters, const FilterFields& fields);

// One page of ids (sorted) starting at next_token (an id, "" = from the start).
struct Page {
  std::vector<std::string> ids;
  std::string next_token;  // empty when this is the last page
};
// The page size MaxResults asks for (min_results..1000; no limit when absent).
Result<size_t> page_limit(const Params& params, int min_results = 5);
// MaxResults must be 5..1000 when given; an unknown NextToken is InvalidParameterValue... but
// a token naming a since-deleted id simply continues after it.
Result<Page> paginate(const std::vector<std::string>& sorted_ids, const Params& params,
                      int min_results = 5);

}  // namespace openvpc::api
