// elbv2.h — Elastic Load Balancing v2's Query API (version 2015-12-01) for network load
// balancers, served on the same endpoint as EC2.
//
// The SigV4 credential scope's service "elasticloadbalancing" routes a request here
// (service.cc). Parameters are ELB's flat Query names (Names.member.1, Tags.member.1.Key, ...);
// each action accepts only the top-level parameters it implements (ValidationError otherwise).
// Answers are ELB's envelope, <ActionResponse xmlns="...2015-12-01/"><ActionResult>...
// </ActionResult><ResponseMetadata><RequestId/></ResponseMetadata></ActionResponse>, and
// errors ELB's <ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error>
// <RequestId/></ErrorResponse>; EC2-style parameter errors (MissingParameter, ...) are given
// as ELB's ValidationError. The model is model/load_balancer.h.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/action.h"

namespace openvpc::api {

inline constexpr std::string_view kElbv2Service = "elasticloadbalancing";
inline constexpr std::string_view kElbv2Namespace =
    "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

struct Elbv2Action {
  std::set<std::string> parameters;  // top-level names besides Action and Version
  ActionHandler handler;             // returns the fragment inside <ActionResult>
};
using Elbv2Table = std::map<std::string, Elbv2Action, std::less<>>;

void register_elbv2_load_balancer_actions(Elbv2Table& table);  // actions_elbv2.cc
void register_elbv2_target_group_actions(Elbv2Table& table);   // actions_elbv2_target_group.cc

// The whole success document for action, around the handler's fragment.
std::string elbv2_response(const std::string& action, const std::string& fragment,
                           const std::string& request_id);
std::string elbv2_error_body(const Error& error, const std::string& request_id);
// EC2-style request errors become ELB's ValidationError; others pass unchanged.
Error elbv2_error(Error error);

// Shared by the action files.
// Tags.member.N.Key / .Value (keys non-empty, at most 50).
Result<model::Tags> elbv2_tags(const Params& params, const std::string& prefix);
void render_elbv2_tags(XmlWriter& out, const model::Tags& tags);  // <Tags><member>..
// Attributes.member.N.Key / .Value, in request order.
Result<std::vector<std::pair<std::string, std::string>>> elbv2_attributes(const Params& params);
void render_elbv2_attributes(XmlWriter& out,
                             const std::vector<std::pair<std::string, std::string>>& attributes);
// Marker / PageSize (1-400) over sorted keys; renders <NextMarker> after the page when more.
struct Elbv2Page {
  std::vector<std::string> keys;
  std::string next_marker;
};
Result<Elbv2Page> elbv2_page(const std::vector<std::string>& keys, const Params& params);
// An integer parameter in [low, high]; unset when absent. ValidationError otherwise.
Result<std::optional<int>> elbv2_integer(const Params& params, const std::string& name, int low,
                                         int high);

}  // namespace openvpc::api
