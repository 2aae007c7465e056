// action.h — what an EC2 action handler gets and how handlers are registered.
//
// A handler reads its parameters, changes or reads the Region through the ActionContext and
// returns the XML fragment that goes inside <ActionResponse><requestId/>...</ActionResponse>,
// or an Error with EC2's code. Mutating handlers go through commit(): the change and the
// rendering of its answer run together in one optimistic store transaction, and when the
// request carries a ClientToken the answer is stored with it, so a retry returns the first
// answer instead of creating a second resource.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

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
};

// Resources: an ordered id -> T map (a Region's ResourceMap, or a std::map built for the call).
template <typename T, typename Resources>
Result<std::string> describe(ActionContext& ctx, const Resources& resources,
                             const DescribeSpec<T>& spec) {
  auto filters = ctx.params.filters();
  if (!filters) return filters.error();
  if (auto valid = check_filter_names(*filters, spec.fields(T{})); !valid) return valid.error();
  std::vector<std::string> wanted = id_list(ctx.params, spec.id_parameter);
  for (const auto& id : wanted) {
    auto it = resources.find(id);
    if (it == resources.end() || it->second.owner != ctx.caller.account_id) {
      return make_error(spec.not_found_code,
                        "The " + spec.noun + " ID '" + id + "' does not exist");
    }
  }
  std::vector<std::string> ids;
  for (const auto& [id, resource] : resources) {
    if (resource.owner != ctx.caller.account_id) continue;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), id) == wanted.end()) continue;
    if (spec.include && !spec.include(resource)) continue;
    if (!matches(*filters, spec.fields(resource))) continue;
    ids.push_back(id);
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
