#include "api/service.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/action_parameters.h"
#include "api/elbv2.h"
#include "api/identity.h"
#include "api/xml.h"

namespace openvpc::api {

namespace {

// Parameter names that could carry secrets are never written to the audit log.
bool secret_parameter(const std::string& name) {
  return name.find("Secret") != std::string::npos || name.find("Password") != std::string::npos ||
         name == "UserData";
}

}  // namespace

ApiService::ApiService(model::RegionStore& regions, ServiceOptions options, Clock clock,
                       uint64_t seed)
    : regions_(regions),
      options_(std::move(options)),
      clock_(std::move(clock)),
      request_ids_(seed ^ 0x5eed),
      resource_ids_(seed),
      throttle_(options_.throttle) {
  register_vpc_actions(actions_);
  register_subnet_actions(actions_);
  register_route_table_actions(actions_);
  register_gateway_actions(actions_);
  register_security_group_actions(actions_);
  register_network_acl_actions(actions_);
  register_interface_actions(actions_);
  register_instance_actions(actions_);
  register_misc_actions(actions_);
  register_flow_log_actions(actions_);
  register_nat_gateway_actions(actions_);
  register_unavailable_actions(actions_);
  register_elbv2_load_balancer_actions(elbv2_actions_);
  register_elbv2_target_group_actions(elbv2_actions_);
}

std::string ApiService::new_request_id() {
  std::lock_guard lock(ids_mutex_);
  std::string h = request_ids_.hex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

int ApiService::status_for(const Error& error) {
  if (error.code == "store.unavailable" || error.code == "store.conflict") return 503;
  if (error.code == "RequestLimitExceeded") return 503;
  if (error.code.rfind("store.", 0) == 0 || error.code == "InternalError") return 500;
  if (error.code == "AuthFailure" || error.code == "MissingAuthenticationToken") return 401;
  if (error.code == "SignatureDoesNotMatch") return 403;
  return 400;
}

std::string ApiService::error_body(const Error& error, const std::string& request_id) {
  Error shown = error;
  if (error.code == "store.unavailable" || error.code == "store.conflict") {
    shown = {"Unavailable", "The service is unavailable. Please try again shortly."};
  } else if (error.code.rfind("store.", 0) == 0) {
    shown = {"InternalError", "An internal error has occurred"};
  }
  XmlWriter out;
  out.open("Response").open("Errors").open("Error");
  out.text("Code", shown.code).text("Message", shown.message);
  out.close().close();
  out.text("RequestID", request_id);
  return out.finish();
}

Result<ApiService::Caller> ApiService::authenticate(const HttpRequestView& request) {
  auto region = regions_.snapshot();
  if (!region) return region.error();
  auto lookup = [&](const std::string& key_id) -> std::optional<std::string> {
    auto it = (*region)->access_keys.find(key_id);
    if (it == (*region)->access_keys.end()) return std::nullopt;
    return it->second.secret_access_key;
  };
  // The credential scope names the API: EC2, ELBv2 (elbv2.h), or the identity calls
  // (identity.h). IAM is global: clients sign it for us-east-1 whatever the region.
  std::string service = signed_service(request);
  if (service != "sts" && service != "iam" && service != kElbv2Service) service = "ec2";
  const std::string scope_region = service == "iam" ? "us-east-1" : options_.region;
  auto verified = verify_signature(request, {scope_region, service}, lookup, clock_());
  if (!verified) return verified.error();
  return Caller{(*region)->access_keys.at(verified->access_key_id).account_id,
                verified->access_key_id, service};
}

Result<std::string> ApiService::dispatch_elbv2(const Params& params,
                                               const std::string& account_id) {
  auto action = params.required("Action");
  if (!action) return action.error();
  auto entry = elbv2_actions_.find(*action);
  if (entry == elbv2_actions_.end()) {
    return make_error("InvalidAction", "The action " + *action +
                                           " is not valid for this web service (Elastic Load "
                                           "Balancing here serves network load balancers).");
  }
  for (const auto& [name, value] : params.all()) {
    std::string top = name.substr(0, name.find('.'));
    if (top == "Action" || top == "Version") continue;
    if (!entry->second.parameters.contains(top)) {
      return make_error("ValidationError", "The parameter " + top + " is not recognized");
    }
  }
  model::Caller caller{account_id,     options_.region, options_.limits, options_.public_pools,
                       &resource_ids_, clock_()};
  ActionContext context(params, *action, std::move(caller), regions_);
  try {
    auto answer = entry->second.handler(context);
    if (!answer) return elbv2_error(answer.error());
    return answer;
  } catch (const std::exception& e) {
    return make_error("InternalError", std::string("An internal error has occurred: ") + e.what());
  }
}

Result<std::string> ApiService::dispatch(const Params& params, const std::string& account_id) {
  auto action = params.required("Action");
  if (!action) return action.error();
  auto handler = actions_.find(*action);
  if (handler == actions_.end()) {
    return make_error("InvalidAction",
                      "The action " + *action + " is not valid for this web service.");
  }
  auto allowed = action_parameters().find(*action);
  for (const auto& [name, value] : params.all()) {
    std::string top = name.substr(0, name.find('.'));
    if (top == "Action" || top == "Version") continue;
    if (allowed == action_parameters().end() || !allowed->second.contains(top)) {
      return make_error("UnknownParameter", "The parameter " + top + " is not recognized");
    }
  }
  auto dry_run = params.boolean("DryRun");
  if (!dry_run) return dry_run.error();
  if (dry_run->value_or(false)) {
    return make_error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
  }
  model::Caller caller{account_id,     options_.region, options_.limits, options_.public_pools,
                       &resource_ids_, clock_()};
  ActionContext context(params, *action, std::move(caller), regions_);
  context.flow_log_errors = options_.flow_log_errors;
  try {
    return handler->second(context);
  } catch (const std::exception& e) {
    return make_error("InternalError", std::string("An internal error has occurred: ") + e.what());
  }
}

HttpResponse ApiService::handle(const HttpRequestView& request, const std::string& source_ip) {
  std::string request_id = new_request_id();
  auto account = authenticate(request);
  auto params = Params::parse(request.body.empty() ? request.query : request.body);
  if (!account) {
    audit("", params ? *params : Params(), account.error().code, request_id, source_ip);
    if (signed_service(request) == kElbv2Service) {
      return {status_for(account.error()), elbv2_error_body(account.error(), request_id)};
    }
    return {status_for(account.error()), error_body(account.error(), request_id)};
  }
  if (params && !throttle_.admit(account->account_id, params->get_or("Action", ""))) {
    if (account->service == kElbv2Service) {  // ELB's throttling error: HTTP 400, retried
      const Error limited{"Throttling", "Rate exceeded"};
      audit(account->account_id, *params, limited.code, request_id, source_ip);
      return {status_for(limited), elbv2_error_body(limited, request_id)};
    }
    const Error limited{"RequestLimitExceeded", "Request limit exceeded."};
    audit(account->account_id, *params, limited.code, request_id, source_ip);
    return {status_for(limited), error_body(limited, request_id)};
  }
  if (account->service == kElbv2Service) {
    Result<std::string> answer = params ? dispatch_elbv2(*params, account->account_id)
                                        : Result<std::string>(elbv2_error(params.error()));
    const Params& shown = params ? *params : Params();
    audit(account->account_id, shown, answer ? "Success" : answer.error().code, request_id,
          source_ip);
    if (!answer) {
      Error shown_error = answer.error();
      if (shown_error.code == "store.unavailable" || shown_error.code == "store.conflict") {
        shown_error = {"ServiceUnavailable", "The service is unavailable. Please try again."};
      } else if (shown_error.code.rfind("store.", 0) == 0) {
        shown_error = {"InternalError", "An internal error has occurred"};
      }
      return {status_for(answer.error()), elbv2_error_body(shown_error, request_id)};
    }
    return {200, elbv2_response(shown.get_or("Action", ""), *answer, request_id)};
  }
  if (account->service != "ec2" && params) {
    auto region = regions_.snapshot();
    if (!region) return {status_for(region.error()), error_body(region.error(), request_id)};
    auto owner = (*region)->accounts.find(account->account_id);
    model::Account caller = owner != (*region)->accounts.end()
                                ? owner->second
                                : model::Account{account->account_id, "", false};
    IdentityAnswer identity =
        answer_identity(account->service, *params, caller, account->access_key_id, request_id);
    audit(account->account_id, *params, identity.code, request_id, source_ip);
    return {identity.status, std::move(identity.body)};
  }
  Result<std::string> answer =
      params ? dispatch(*params, account->account_id) : Result<std::string>(params.error());
  const Params& shown = params ? *params : Params();
  audit(account->account_id, shown, answer ? "Success" : answer.error().code, request_id,
        source_ip);
  if (!answer) return {status_for(answer.error()), error_body(answer.error(), request_id)};
  std::string action = shown.get_or("Action", "");
  XmlWriter out;
  out.open(action + "Response", "xmlns=\"" + std::string(kEc2Namespace) + "\"");
  out.text("requestId", request_id);
  std::string body = out.finish();
  // Splice the handler's fragment in before the closing tag.
  size_t close = body.rfind("</");
  body.insert(close, *answer);
  return {200, body};
}

void ApiService::audit(const std::string& account_id, const Params& params, const std::string& code,
                       const std::string& request_id, const std::string& source_ip) {
  if (!options_.audit) return;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  nlohmann::json record;
  record["time"] = model::iso8601(clock_());
  record["account"] = account_id;
  record["action"] = params.get_or("Action", "");
  record["code"] = code;
  record["request_id"] = request_id;
  record["source_ip"] = source_ip;
  nlohmann::json parameters = nlohmann::json::object();
  for (const auto& [name, value] : params.all()) {
    if (name == "Action" || name == "Version") continue;
    parameters[name] = secret_parameter(name) ? "(hidden)" : value;
  }
  record["parameters"] = parameters;
  char stamp[24];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(nanos));
  std::string key = std::string(kAuditPrefix) + stamp + "-" + request_id;
  // The audit record is best effort: a store failure here must not change the answer.
  auto written = regions_.store().txn(
      {}, {{store::Operation::Kind::put, key,
            record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}});
  (void)written;
}

}  // namespace openvpc::api
