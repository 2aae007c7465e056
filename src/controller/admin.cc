#include "controller/admin.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "controller/metrics.h"
#include "model/account.h"

namespace openvpc::controller {

namespace {

using nlohmann::json;

api::HttpResponse json_error(const Error& error) {
  json body = {{"error", {{"code", error.code}, {"message", error.message}}}};
  return {api::ApiService::status_for(error), body.dump()};
}

Result<json> parse_body(const std::string& body) {
  if (body.empty()) return json::object();
  json value = json::parse(body, nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    return make_error("InvalidParameterValue", "The request body must be a JSON object");
  }
  return value;
}

json key_json(const model::AccessKey& key) {
  return {{"account_id", key.account_id},
          {"access_key_id", key.access_key_id},
          {"secret_access_key", key.secret_access_key}};
}

}  // namespace

AdminService::AdminService(model::RegionStore& regions, std::string region_name, Clock clock,
                           uint64_t seed)
    : regions_(regions),
      region_name_(std::move(region_name)),
      clock_(std::move(clock)),
      ids_(seed) {}

api::HttpResponse AdminService::handle(const std::string& verb,
                                       const api::HttpRequestView& request) {
  auto region = regions_.snapshot();
  if (!region) return json_error(region.error());
  auto lookup = [&](const std::string& key_id) -> std::optional<std::string> {
    auto it = (*region)->access_keys.find(key_id);
    if (it == (*region)->access_keys.end()) return std::nullopt;
    return it->second.secret_access_key;
  };
  auto caller = api::verify_signature(request, {region_name_, "ec2"}, lookup, clock_());
  if (!caller) return json_error(caller.error());
  const auto& account =
      (*region)->accounts.find((*region)->access_keys.at(caller->access_key_id).account_id);
  if (account == (*region)->accounts.end() || !account->second.admin) {
    return json_error({"UnauthorizedOperation", "Only the admin account may call /admin"});
  }
  Result<std::string> answer = make_error("InvalidAction", "Unknown admin verb '" + verb + "'");
  if (verb == "accounts") answer = create_account(request.body);
  if (verb == "keys") answer = create_key(request.body);
  if (verb == "audit") answer = audit(request.body);
  if (verb == "status") answer = status();
  if (verb == "hosts") answer = hosts();
  if (verb == "hyperplane") {
    answer = hyperplane_source_ ? hyperplane_source_()
                                : Result<std::string>(R"({"nodes":[],"nat_gateways":[]})");
  }
  if (!answer) return json_error(answer.error());
  return {200, *answer};
}

Result<std::string> AdminService::create_account(const std::string& body) {
  auto request = parse_body(body);
  if (!request) return request.error();
  std::string name = request->value("name", "");
  model::AccessKey key;
  std::lock_guard lock(ids_mutex_);
  auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
    auto id = model::create_account(region, ids_, name, false);
    if (!id) return id.error();
    auto created = model::create_access_key(region, ids_, *id);
    if (!created) return created.error();
    key = *created;
    return {};
  });
  if (!committed) return committed.error();
  json answer = key_json(key);
  answer["name"] = name;
  return answer.dump();
}

Result<std::string> AdminService::create_key(const std::string& body) {
  auto request = parse_body(body);
  if (!request) return request.error();
  std::string account_id = request->value("account_id", "");
  model::AccessKey key;
  std::lock_guard lock(ids_mutex_);
  auto committed = regions_.mutate([&](model::Region& region) -> Result<void> {
    auto created = model::create_access_key(region, ids_, account_id);
    if (!created) return created.error();
    key = *created;
    return {};
  });
  if (!committed) return committed.error();
  return key_json(key).dump();
}

Result<std::string> AdminService::audit(const std::string& body) {
  auto request = parse_body(body);
  if (!request) return request.error();
  std::string account = request->value("account", "");
  int64_t limit = request->value("limit", int64_t{50});
  auto records = regions_.store().range(api::kAuditPrefix);
  if (!records) return records.error();
  json out = json::array();
  for (auto it = records->kvs.rbegin(); it != records->kvs.rend(); ++it) {
    if (limit > 0 && static_cast<int64_t>(out.size()) >= limit) break;
    json record = json::parse(it->value, nullptr, false);
    if (record.is_discarded()) continue;
    if (!account.empty() && record.value("account", "") != account) continue;
    out.push_back(record);
  }
  std::reverse(out.begin(), out.end());
  return json{{"records", out}}.dump();
}

Result<std::string> AdminService::status() {
  auto region = regions_.snapshot();
  if (!region) return region.error();
  auto revision = regions_.store().current_revision();
  if (!revision) return revision.error();
  json counts = json::object();
  for (const auto& [kind, count] : resource_counts(**region)) counts[kind] = count;
  return json{{"region", region_name_}, {"store_revision", *revision}, {"counts", counts}}.dump();
}

void AdminService::set_host_source(HostSource source, model::CompileOptions options) {
  host_source_ = std::move(source);
  compile_options_ = std::move(options);
}

Result<std::string> AdminService::hosts() {
  json out = json::array();
  for (const auto& host : host_source_ ? host_source_() : std::vector<mapping::HostStatus>{}) {
    auto underlay = model::host_underlay(compile_options_, host.host_id);
    out.push_back({{"host_id", host.host_id},
                   {"underlay", underlay ? program::format_address(*underlay) : ""},
                   {"desired_version", host.desired_version},
                   {"acked_version", host.acked_version},
                   {"connected", host.connected},
                   {"refused_version", host.refused_version},
                   {"refused_reason", host.refused_reason}});
  }
  return json{{"hosts", out}}.dump();
}

std::string credentials_file_text(const model::AccessKey& key) {
  return "[default]\naws_access_key_id=" + key.access_key_id +
         "\naws_secret_access_key=" + key.secret_access_key + "\n";
}

Result<model::AccessKey> bootstrap_admin(model::RegionStore& regions, model::IdSource& ids,
                                         const std::string& data_dir) {
  model::AccessKey key;
  auto committed = regions.mutate([&](model::Region& region) -> Result<void> {
    if (auto admin = model::admin_account(region)) {
      for (const auto& [id, existing] : region.access_keys) {
        if (existing.account_id == admin->id) {
          key = existing;
          return {};
        }
      }
      auto created = model::create_access_key(region, ids, admin->id);
      if (!created) return created.error();
      key = *created;
      return {};
    }
    auto id = model::create_account(region, ids, "admin", true);
    if (!id) return id.error();
    auto created = model::create_access_key(region, ids, *id);
    if (!created) return created.error();
    key = *created;
    return {};
  });
  if (!committed) return committed.error();
  std::string path = data_dir + "/admin-credentials";
  if (access(path.c_str(), F_OK) == 0) return key;
  std::string text = credentials_file_text(key);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return make_error("store.unavailable", "cannot create " + path);
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fsync(fd);
  ::close(fd);
  if (!written) return make_error("store.unavailable", "cannot write " + path);
  return key;
}

}  // namespace openvpc::controller
