// service.h — the EC2 Query API as a function from an HTTP request to an HTTP response.
//
// handle() authenticates (SigV4 against the access keys in the Region), decodes the form,
// dispatches on Action, applies DryRun, renders EC2's success envelope or error shape, and
// appends one audit record per call (account, action, parameters, result code, time) to the
// store. It never throws and never answers 500 for a malformed request: bad input is an
// EC2 client error with HTTP 400 (as EC2: 401 for AuthFailure / MissingAuthenticationToken,
// 403 for SignatureDoesNotMatch); only store failures are 5xx (503 Unavailable, which clients
// retry). A call over its account's request rate for that action (request_throttle.h) gets
// RequestLimitExceeded with HTTP 503, as EC2 answers, before it does anything. Requests signed
// for service "elasticloadbalancing" go to the ELBv2 actions instead, with ELB's envelope and
// error shape (elbv2.h); they take tokens from the same per-account, per-action buckets and are
// refused as ELB refuses, Throttling with HTTP 400.
// Thread-safe: the HTTP server calls it from many threads.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "api/action.h"
#include "api/elbv2.h"
#include "api/request_throttle.h"
#include "api/sigv4.h"
#include "model/ids.h"
#include "model/operations.h"
#include "model/region_store.h"

namespace openvpc::api {

inline constexpr std::string_view kAuditPrefix = "/openvpc-audit/";
inline constexpr std::string_view kEc2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";

struct ServiceOptions {
  std::string region = "us-east-1";
  model::Limits limits;
  bool audit = true;
  FlowLogErrorSource flow_log_errors{};  // DescribeFlowLogs' DeliverLogsStatus (the routers' Acks)
  std::vector<std::string> public_pools = model::kDefaultPublicPools;  // --public-pool
  ThrottleOptions throttle{};  // request_throttle.h; off unless enabled (--api-throttle)
};

struct HttpResponse {
  int status = 200;
  std::string body;
};

class ApiService {
 public:
  using Clock = std::function<int64_t()>;  // seconds since the epoch
  ApiService(model::RegionStore& regions, ServiceOptions options, Clock clock, uint64_t seed);

  HttpResponse handle(const HttpRequestView& request, const std::string& source_ip = "");
  const ActionTable& actions() const { return actions_; }
  uint64_t throttled() const { return throttle_.throttled(); }

  // The error document EC2 sends (also used by the controller's admin endpoints).
  static std::string error_body(const Error& error, const std::string& request_id);
  static int status_for(const Error& error);

 private:
  struct Caller {
    std::string account_id, access_key_id;
    std::string service;  // the signature's: ec2, elasticloadbalancing, sts or iam
  };
  Result<Caller> authenticate(const HttpRequestView& request);
  Result<std::string> dispatch(const Params& params, const std::string& account_id);
  Result<std::string> dispatch_elbv2(const Params& params, const std::string& account_id);
  void audit(const std::string& account_id, const Params& params, const std::string& code,
             const std::string& request_id, const std::string& source_ip);
  std::string new_request_id();

  model::RegionStore& regions_;
  ServiceOptions options_;
  Clock clock_;
  ActionTable actions_;
  Elbv2Table elbv2_actions_;
  std::mutex ids_mutex_;
  model::IdSource request_ids_;
  model::IdSource resource_ids_;  // used only inside RegionStore::mutate (serialised there)
  RequestThrottle throttle_;
};

}  // namespace openvpc::api
