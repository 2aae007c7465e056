// openvpc — the operator's and tenant's command line.
//
//   openvpc [--endpoint URL] [--credentials FILE] [--json] VERB ...
//   admin:  account create NAME | key create --account ID | audit [--account ID] [--limit N]
//           | status | hosts
//   tenant: vpcs | subnets | instances | security-groups   (through the EC2 API, SigV4)
// The endpoint defaults to $OPENVPC_ENDPOINT, then http://127.0.0.1:8773; credentials to
// $OPENVPC_CREDENTIALS, then openvpc-data/admin-credentials.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/client.h"
#include "cli/views.h"

namespace {

using namespace openvpc;
using nlohmann::json;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

int fail(const Error& error) {
  std::fprintf(stderr, "openvpc: %s: %s\n", error.code.c_str(), error.message.c_str());
  return 1;
}

int show_admin(const Result<json>& answer, bool as_json, const std::vector<std::string>& keys) {
  if (!answer) return fail(answer.error());
  if (as_json || keys.empty()) {
    std::cout << answer->dump(2) << "\n";
    return 0;
  }
  std::vector<std::string> row;
  for (const auto& key : keys) {
    const json& value = (*answer)[key];
    row.push_back(value.is_string() ? value.get<std::string>() : value.dump());
  }
  std::cout << cli::format_table(keys, {row});
  return 0;
}

// Each host's underlay and program versions (desired by the controller, ACKed by its router).
int show_hosts(const Result<json>& answer, bool as_json) {
  if (!answer) return fail(answer.error());
  if (as_json) {
    std::cout << (*answer)["hosts"].dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& host : (*answer)["hosts"]) {
    rows.push_back({host.value("host_id", ""), host.value("underlay", ""),
                    std::to_string(host.value("desired_version", uint64_t{0})),
                    std::to_string(host.value("acked_version", uint64_t{0})),
                    host.value("connected", false) ? "yes" : "no"});
  }
  std::cout << cli::format_table({"HOST", "UNDERLAY", "DESIRED", "ACKED", "CONNECTED"}, rows);
  return 0;
}

int show_audit(const Result<json>& answer, bool as_json) {
  if (!answer) return fail(answer.error());
  if (as_json) {
    std::cout << (*answer)["records"].dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& record : (*answer)["records"]) {
    rows.push_back({record.value("time", ""), record.value("account", ""),
                    record.value("action", ""), record.value("code", ""),
                    record.value("request_id", "")});
  }
  std::cout << cli::format_table({"Time", "Account", "Action", "Result", "RequestId"}, rows);
  return 0;
}

int show_view(cli::ApiClient& client, const cli::View& view, bool as_json) {
  auto items = client.describe_all(view.action, view.set_name);
  if (!items) return fail(items.error());
  auto rows = cli::rows_of(view, *items);
  if (as_json) {
    std::cout << cli::rows_to_json(view, rows).dump(2) << "\n";
    return 0;
  }
  std::vector<std::string> headers;
  for (const auto& column : view.columns) headers.push_back(column.header);
  std::cout << cli::format_table(headers, rows);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"openvpc: operate and use an openvpc region"};
  std::string endpoint = env_or("OPENVPC_ENDPOINT", "http://127.0.0.1:8773");
  std::string credentials_path = env_or("OPENVPC_CREDENTIALS", "openvpc-data/admin-credentials");
  std::string region = "us-east-1";
  bool as_json = false;
  app.add_option("--endpoint", endpoint, "controller URL ($OPENVPC_ENDPOINT)");
  app.add_option("--credentials", credentials_path, "AWS-style credentials file");
  app.add_option("--region", region, "region used in signatures");
  app.add_flag("--json", as_json, "print JSON instead of a table");
  app.require_subcommand(1);

  auto* account = app.add_subcommand("account", "accounts (admin)");
  account->require_subcommand(1);
  std::string account_name;
  account->add_subcommand("create", "create an account and its first key")
      ->add_option("name", account_name, "account name")
      ->required();
  auto* key = app.add_subcommand("key", "access keys (admin)");
  key->require_subcommand(1);
  std::string key_account;
  key->add_subcommand("create", "create another access key")
      ->add_option("--account", key_account, "12-digit account id")
      ->required();
  auto* audit = app.add_subcommand("audit", "show the audit log (admin)");
  std::string audit_account;
  int audit_limit = 50;
  audit->add_option("--account", audit_account, "only this account's calls");
  audit->add_option("--limit", audit_limit, "the latest N records (0: all)");
  auto* status = app.add_subcommand("status", "region status (admin)");
  auto* hosts = app.add_subcommand("hosts", "hosts and their program versions (admin)");
  std::vector<CLI::App*> views;
  for (const char* verb : {"vpcs", "subnets", "instances", "security-groups"}) {
    views.push_back(app.add_subcommand(verb, std::string("list ") + verb));
  }
  CLI11_PARSE(app, argc, argv);

  auto credentials = cli::read_credentials(credentials_path);
  if (!credentials) return fail(credentials.error());
  cli::ApiClient client(endpoint, *credentials, region);
  if (account->parsed()) {
    return show_admin(client.admin("accounts", {{"name", account_name}}), as_json,
                      {"account_id", "name", "access_key_id", "secret_access_key"});
  }
  if (key->parsed()) {
    return show_admin(client.admin("keys", {{"account_id", key_account}}), as_json,
                      {"account_id", "access_key_id", "secret_access_key"});
  }
  if (audit->parsed()) {
    json body = {{"limit", audit_limit}};
    if (!audit_account.empty()) body["account"] = audit_account;
    return show_audit(client.admin("audit", body), as_json);
  }
  if (status->parsed()) return show_admin(client.admin("status", json::object()), true, {});
  if (hosts->parsed()) return show_hosts(client.admin("hosts", json::object()), as_json);
  for (auto* view : views) {
    if (view->parsed()) return show_view(client, *cli::find_view(view->get_name()), as_json);
  }
  return 2;
}
