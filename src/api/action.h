// action.h — what an EC2 action handler gets and how handlers are registered.
//
// A handler reads its parameters, changes or reads the Region through the ActionContext and
// returns the XML fragment that goes inside <ActionResponse><requestId/>...</ActionResponse>,
// or an Error with EC2's code. Mutating handlers go through commit(): the change and the
// rendering of its answer run together in one optimistic store transaction, and when the
// request carries a ClientToken the answer is stored with it, so a retry returns the first
// answer instead of creating a second resource.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/filter.h"
#include "api/query.h"
#include "api/xml.h"
#include "common/result.h"
#include "model/operations.h"
#include "model/region_store.h"

namespace openvpc::api {

// Flow log id -> the error a host reported for the flow log's latest delivery (the routers'
// Acks). A flow log not in it delivered everywhere, or no host has reported it yet.
using FlowLogErrors = std::map<std::string, std::string>;
using FlowLogErrorSource = std::function<FlowLogErrors()>;

class ActionContext {
 public:
  ActionContext(const Params& params, std::string action, model::Caller caller,
                model::RegionStore& regions)
      : params(params), action(std::move(action)), caller(std::move(caller)), regions_(regions) {}

  Result<std::shared_ptr<const model::Region>> read() { return regions_.snapshot(); }
  // Runs change (which renders its answer into the writer) in one transaction.
  Result<std::string> commit(const std::function<Result<void>(model::Region&, XmlWriter&)>& change);
  // Tags from TagSpecification.N for the given resource type ("vpc", "subnet", ...).
  model::Tags tag_specifications(std::string_view resource_type) const;

  const Params& params;
  const std::string action;
  model::Caller caller;
  FlowLogErrorSource flow_log_errors;  // unset: no host reports (every flow log SUCCESS)

 private:
  model::RegionStore& regions_;
};

using ActionHandler = std::function<Result<std::string>(ActionContext&)>;
using ActionTable = std::map<std::string, ActionHandler, std::less<>>;

void register_vpc_actions(ActionTable& table);
void register_subnet_actions(ActionTable& table);
void register_route_table_actions(ActionTable& table);
void register_gateway_actions(ActionTable& table);
void register_security_group_actions(ActionTable& table);
void register_network_acl_actions(ActionTable& table);
void register_interface_actions(ActionTable& table);
void register_instance_actions(ActionTable& table);
void register_misc_actions(ActionTable& table);
void register_flow_log_actions(ActionTable& table);
void register_nat_gateway_actions(ActionTable& table);
void register_unavailable_actions(ActionTable& table);  // features absent here, as EC2 answers

// Renderers shared between action files (actions_interface.cc).
void render_network_interface(XmlWriter& out, const model::Region& region,
                              const model::NetworkInterface& eni, const std::string& region_name);
void render_group_set(XmlWriter& out, const model::Region& region,
                      const std::vector<std::string>& ids);
// DescribeNetworkInterfaces' filter fields of one interface (DescribeInstances offers them as
// network-interface.NAME).
FilterFields interface_fields(const model::Region& region, const model::NetworkInterface& eni,
                              const std::string& region_name);

// A handler whose whole answer is <return>true</return> after change succeeds.
ActionHandler returning_true(std::function<Result<void>(ActionContext&, model::Region&)> change);
// Applies TagSpecification tags of resource_type to the new resource id (validated).
Result<void> tag_new_resource(ActionContext& ctx, model::Region& region, const std::string& id,
                              std::string_view resource_type);

// Renders <tagSet> (always present, possibly empty).
void render_tags(XmlWriter& out, const model::Tags& tags);
// Resource ids from params list name ("VpcId" -> VpcId.1, ...).
std::vector<std::string> id_list(const Params& params, const std::string& name);

// Describe* for one resource type: ids (each must exist -> not_found_code), filters,
// pagination; renders <set_name><item>..</item></set_name> and <nextToken>.
template <typename T>
struct DescribeSpec {
  std::string id_parameter;  // e.g. "VpcId"
  std::string set_name;      // e.g. "vpcSet"
  std::string not_found_code, noun;
  std::function<FilterFields(const T&)> fields;
  std::function<void(XmlWriter&, const T&)> render;
  std::function<bool(const T&)> include = nullptr;  // extra selection (e.g. PublicIp.N)
  // Where a filter can name the candidates instead of a scan of every resource: the Region that
  // `resources` belongs to with the kind of its secondary index (model/region_index.h), and the
  // filter whose values are this type's own ids (e.g. group-id). Unset: filters scan.
  const model::Region* indexed_region = nullptr;
  std::string_view index_kind = {};
  std::string_view id_filter = {};
  // Ids a request parameter other than the filters narrows the answer to (e.g. GroupName.N,
  // through the index), sorted and unique; like an indexed filter's, a superset: include()
  // still decides. Used only with indexed_region, while its index is current.
  std::optional<std::vector<std::string>> parameter_candidates = std::nullopt;
};

// The ids (sorted, unique) that an indexed filter narrows the resources to, from the filter
// that narrows most; nullopt when no filter is indexed (or the index is not current). A superset
// of the matches: every candidate still goes through matches().
template <typename T>
std::optional<std::vector<std::string>> indexed_candidates(const std::vector<Filter>& filters,
                                                           const DescribeSpec<T>& spec) {
  if (spec.indexed_region == nullptr || !model::indexes_current(*spec.indexed_region)) {
    return std::nullopt;
  }
  std::optional<std::vector<std::string>> best = spec.parameter_candidates;
  for (const auto& filter : filters) {
    std::optional<std::vector<std::string>> ids;
    if (!spec.id_filter.empty() && filter.name == spec.id_filter) {
      bool literal = std::none_of(filter.values.begin(), filter.values.end(), [](const auto& v) {
        return v.find_first_of("*?") != std::string::npos;
      });
      if (literal) {
        ids = filter.values;
        std::sort(ids->begin(), ids->end());
        ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
      }
    } else if (!spec.index_kind.empty()) {
      ids = model::indexed_ids(*spec.indexed_region, spec.index_kind, filter.name, filter.values);
    }
    if (ids && (!best || ids->size() < best->size())) best = std::move(ids);
  }
  return best;
}

// Resources: an ordered id -> T map (a Region's ResourceMap, or a std::map built for the call).
// Only the resources that can be on the page are looked at: the requested ids, else the
// candidates of an indexed filter, else every resource; from NextToken on, and no further than
// the first match past the page (which becomes the next token).
template <typename T, typename Resources>
Result<std::string> describe(ActionContext& ctx, const Resources& resources,
                             const DescribeSpec<T>& spec) {
  auto filters = ctx.params.filters();
  if (!filters) return filters.error();
  if (auto valid = check_filter_names(*filters, spec.fields(T{})); !valid) return valid.error();
  auto limit = page_limit(ctx.params);
  if (!limit) return limit.error();
  std::vector<std::string> wanted = id_list(ctx.params, spec.id_parameter);
  for (const auto& id : wanted) {
    auto it = resources.find(id);
    if (it == resources.end() || it->second.owner != ctx.caller.account_id) {
      return make_error(spec.not_found_code,
                        "The " + spec.noun + " ID '" + id + "' does not exist");
    }
  }
  auto selected = [&](const T& resource) {
    return resource.owner == ctx.caller.account_id && (!spec.include || spec.include(resource)) &&
           matches(*filters, spec.fields(resource));
  };
  const std::string token = ctx.params.get_or("NextToken", "");
  std::vector<std::string> ids;  // matches from the token on: the page and the next token
  std::optional<std::vector<std::string>> candidates;
  if (!wanted.empty()) {
    candidates = std::move(wanted);
    std::sort(candidates->begin(), candidates->end());
    candidates->erase(std::unique(candidates->begin(), candidates->end()), candidates->end());
  } else {
    candidates = indexed_candidates(*filters, spec);
  }
  if (candidates) {
    for (auto id = std::lower_bound(candidates->begin(), candidates->end(), token);
         id != candidates->end() && ids.size() <= *limit; ++id) {
      auto it = resources.find(*id);
      if (it != resources.end() && selected(it->second)) ids.push_back(*id);
    }
  } else {
    for (auto it = resources.lower_bound(token); it != resources.end() && ids.size() <= *limit;
         ++it) {
      if (selected(it->second)) ids.push_back(it->first);
    }
  }
  auto page = paginate(ids, ctx.params);
  if (!page) return page.error();
  XmlWriter out(XmlWriter::kFragment);
  out.open(spec.set_name);
  for (const auto& id : page->ids) {
    out.open("item");
    spec.render(out, resources.at(id));
    out.close();
  }
  out.close();
  out.optional("nextToken", page->next_token);
  return out.finish();
}

}  // namespace openvpc::api
