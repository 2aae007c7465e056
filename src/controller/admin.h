// admin.h — the controller's operator endpoints (POST /admin/<verb>, JSON in and out).
//
// Requests are signed with SigV4 exactly like EC2 calls (service "ec2"), and only the admin
// account may call them. Verbs: accounts (create an account and its first key), keys (another
// key for an account), audit (the latest audit records, optionally of one account), status
// (resource counts and the store revision), hosts (each host's desired and ACKed program
// version, when the mapping service runs; GET or POST), hyperplane (live hyperplane nodes and
// the NAT gateways placed on each). Errors are
// {"error":{"code":..,"message":..}} with HTTP 400/401/403/503. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "api/service.h"
#include "api/sigv4.h"
#include "mapping/host_table.h"
#include "model/ids.h"
#include "model/program_compiler.h"
#include "model/region_store.h"

namespace openvpc::controller {

class AdminService {
 public:
  using Clock = std::function<int64_t()>;
  AdminService(model::RegionStore& regions, std::string region_name, Clock clock, uint64_t seed);

  // verb: the path after /admin/ ("accounts", "keys", "audit", "status").
  api::HttpResponse handle(const std::string& verb, const api::HttpRequestView& request);

  // Where "hosts" reads from (the mapping server); unset, it lists no hosts.
  using HostSource = std::function<std::vector<mapping::HostStatus>()>;
  void set_host_source(HostSource source, model::CompileOptions options);
  // What "hyperplane" answers (HyperplanePlacement::describe); unset: no fleet.
  void set_hyperplane_source(std::function<Result<std::string>()> source) {
    hyperplane_source_ = std::move(source);
  }

 private:
  Result<std::string> create_account(const std::string& body);
  Result<std::string> create_key(const std::string& body);
  Result<std::string> audit(const std::string& body);
  Result<std::string> status();
  Result<std::string> hosts();

  model::RegionStore& regions_;
  std::string region_name_;
  Clock clock_;
  std::mutex ids_mutex_;
  model::IdSource ids_;
  HostSource host_source_;
  model::CompileOptions compile_options_;
  std::function<Result<std::string>()> hyperplane_source_;
};

// Creates the admin account and key on an empty region (idempotent) and writes
// data_dir/admin-credentials (mode 0600) when it is missing.
Result<model::AccessKey> bootstrap_admin(model::RegionStore& regions, model::IdSource& ids,
                                         const std::string& data_dir);
// "[default]\naws_access_key_id=..\naws_secret_access_key=..\n"
std::string credentials_file_text(const model::AccessKey& key);

}  // namespace openvpc::controller
