// openvpc — the operator's and tenant's command line.
//
//   openvpc [--endpoint URL] [--credentials FILE] [--json] VERB ...
//   admin:  account create NAME | key create --account ID | audit [--account ID] [--limit N]
//           | status | hosts | hyperplane
//   tenant: vpcs | subnets | instances | security-groups   (through the EC2 API, SigV4)
//   router: trace --eni ENI [--direction egress|ingress] --proto tcp|udp|icmp --dst A [--src A]
//                 [--sport N] [--dport N] [--icmp-type T --icmp-code C] [--tcp-flags SA..]
//           capture --eni ENI -w FILE [--seconds N] [--count N]
//           (the ENI's router is found through the controller, router_client.h, unless
//           --router ADDRESS:PORT names its admin endpoint)
// The endpoint defaults to $OPENVPC_ENDPOINT, then http://127.0.0.1:8773; credentials to
// $OPENVPC_CREDENTIALS, then openvpc-data/admin-credentials.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/client.h"
#include "cli/host_certificates.h"
#include "cli/router_client.h"
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

// "-", or "7: why" for a host whose router refused version 7 (and keeps running its ACKED one).
std::string refused(const json& host) {
  const uint64_t version = host.value("refused_version", uint64_t{0});
  if (version == 0) return "-";
  return std::to_string(version) + ": " + host.value("refused_reason", std::string());
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
                    host.value("connected", false) ? "yes" : "no", refused(host)});
  }
  std::cout << cli::format_table({"HOST", "UNDERLAY", "DESIRED", "ACKED", "CONNECTED", "REFUSED"},
                                 rows);
  return 0;
}

// The live hyperplane nodes and the NAT gateways placed on each (shuffle shards); then, when
// there are any, the network load balancers with their state and shard (node ids by slot).
int show_hyperplane(const Result<json>& answer, bool as_json) {
  if (!answer) return fail(answer.error());
  if (as_json) {
    std::cout << answer->dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& node : (*answer)["nodes"]) {
    std::string nats;
    for (const auto& id : node["nat_gateways"])
      nats += (nats.empty() ? "" : ",") + id.get<std::string>();
    rows.push_back({node.value("node_id", ""), node.value("live", false) ? "live" : "dead",
                    std::to_string(node["nat_gateways"].size()), nats.empty() ? "-" : nats});
  }
  std::cout << cli::format_table({"NODE", "HEALTH", "RESOURCES", "NAT GATEWAYS"}, rows);
  std::vector<std::vector<std::string>> balancers;
  for (const auto& lb : answer->value("load_balancers", json::array())) {
    std::string shard;
    for (const auto& node : lb["shard"])
      shard += (shard.empty() ? "" : ",") + node.get<std::string>();
    balancers.push_back({lb.value("name", ""), lb.value("state", ""), shard.empty() ? "-" : shard});
  }
  if (!balancers.empty()) {
    std::cout << "\n" << cli::format_table({"LOAD BALANCER", "STATE", "SHARD"}, balancers);
  }
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

struct TraceArguments {
  std::string eni, direction = "egress", protocol = "tcp", source, destination, tcp_flags;
  int source_port = -1, destination_port = -1, icmp_type = -1, icmp_code = -1;
};

nlohmann::json trace_body(const TraceArguments& a) {
  json body = {{"eni", a.eni}, {"direction", a.direction}, {"proto", a.protocol}};
  if (!a.source.empty()) body["src"] = a.source;
  if (!a.destination.empty()) body["dst"] = a.destination;
  if (!a.tcp_flags.empty()) body["tcp_flags"] = a.tcp_flags;
  if (a.source_port >= 0) body["sport"] = a.source_port;
  if (a.destination_port >= 0) body["dport"] = a.destination_port;
  if (a.icmp_type >= 0) body["icmp_type"] = a.icmp_type;
  if (a.icmp_code >= 0) body["icmp_code"] = a.icmp_code;
  return body;
}

// The router to ask: --router, or the ENI's host through the controller.
Result<std::string> router_of(const std::string& given, const std::string& eni,
                              const std::string& endpoint, const std::string& credentials_path,
                              const std::string& region) {
  if (!given.empty()) return given;
  auto credentials = cli::read_credentials(credentials_path);
  if (!credentials) return credentials.error();
  cli::ApiClient client(endpoint, *credentials, region);
  return cli::locate_router(client, eni);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"openvpc: operate and use an openvpc region"};
  std::string endpoint = env_or("OPENVPC_ENDPOINT", "http://127.0.0.1:8773");
  std::string credentials_path = env_or("OPENVPC_CREDENTIALS", "openvpc-data/admin-credentials");
  std::string region = "us-east-1";
  bool as_json = false;
  std::string tls_dir = env_or("OPENVPC_TLS_DIR", "");
  app.add_option("--endpoint", endpoint, "controller URL ($OPENVPC_ENDPOINT)");
  app.add_option("--tls-dir", tls_dir,
                 "operator certificate folder (openvpc host add --operator) for routers' HTTPS "
                 "admin endpoints ($OPENVPC_TLS_DIR)");
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
  auto* hyperplane =
      app.add_subcommand("hyperplane", "hyperplane nodes and the resources on each (admin)");
  std::vector<CLI::App*> views;
  for (const char* verb : {"vpcs", "subnets", "instances", "security-groups"}) {
    views.push_back(app.add_subcommand(verb, std::string("list ") + verb));
  }
  auto* host = app.add_subcommand("host", "hosts' certificates for mutual TLS (on the controller)");
  host->require_subcommand(1);
  cli::HostAddArguments host_add;
  bool host_operator = false;
  auto* host_add_command =
      host->add_subcommand("add", "issue a host its key and certificate: OUT/{ca,cert,key}.pem");
  host_add_command->add_option("--data-dir", host_add.data_dir,
                               "the controller's --data-dir (its CA is DATA_DIR/pki)");
  host_add_command->add_option("--id", host_add.id, "host or node id (the certificate's CN)")
      ->required();
  host_add_command->add_option("--role", host_add.role, "router, edge or hyperplane")
      ->check(CLI::IsMember({"router", "edge", "hyperplane"}));
  host_add_command->add_option("--address", host_add.addresses,
                               "an IP address the host serves HTTPS on (its certificate's "
                               "subjectAltName; repeatable): a router's admin address");
  host_add_command->add_flag("--operator", host_operator,
                             "an operator's certificate (the routers' admin endpoints)");
  host_add_command->add_option("--out", host_add.out, "folder to write ca.pem, cert.pem, key.pem")
      ->required();
  std::string router;
  TraceArguments trace_arguments;
  auto* trace = app.add_subcommand("trace", "how the ENI's router would handle a packet");
  trace->add_option("--eni", trace_arguments.eni, "eni-... (or its number)")->required();
  trace
      ->add_option("--direction", trace_arguments.direction,
                   "egress: sent by the ENI; ingress: arriving from the underlay for it")
      ->check(CLI::IsMember({"egress", "ingress"}));
  trace->add_option("--proto", trace_arguments.protocol, "tcp, udp or icmp")
      ->check(CLI::IsMember({"tcp", "udp", "icmp"}));
  trace->add_option("--src", trace_arguments.source, "source address (egress: the ENI's)");
  trace->add_option("--dst", trace_arguments.destination, "destination (ingress: the ENI's)");
  trace->add_option("--sport", trace_arguments.source_port, "source port")
      ->check(CLI::Range(0, 65535));
  trace->add_option("--dport", trace_arguments.destination_port, "destination port")
      ->check(CLI::Range(0, 65535));
  trace->add_option("--icmp-type", trace_arguments.icmp_type, "8 echo request, 0 echo reply")
      ->check(CLI::Range(0, 255));
  trace->add_option("--icmp-code", trace_arguments.icmp_code, "ICMP code")
      ->check(CLI::Range(0, 255));
  trace->add_option("--tcp-flags", trace_arguments.tcp_flags, "letters of SAFRPU (default S)");
  trace->add_option("--router", router, "the router's admin ADDRESS:PORT (default: located)");
  auto* capture = app.add_subcommand("capture", "write what an ENI sends and receives (pcap)");
  std::string capture_eni, capture_path;
  uint32_t capture_seconds = 10, capture_count = 0;
  capture->add_option("--eni", capture_eni, "eni-... (or its number)")->required();
  capture->add_option("-w,--write", capture_path, "pcap file to write")->required();
  capture->add_option("--seconds", capture_seconds, "stop after N seconds")
      ->check(CLI::Range(1u, 3600u));
  capture->add_option("--count", capture_count, "stop after N frames (0: no limit)");
  capture->add_option("--router", router, "the router's admin ADDRESS:PORT (default: located)");
  CLI11_PARSE(app, argc, argv);

  if (host_add_command->parsed()) {
    if (host_operator) host_add.role = "operator";
    if (auto added = cli::add_host(host_add); !added) return fail(added.error());
    std::fprintf(stderr, "openvpc: %s (%s) written to %s\n", host_add.id.c_str(),
                 host_add.role.c_str(), host_add.out.c_str());
    return 0;
  }
  if (trace->parsed()) {
    auto address = router_of(router, trace_arguments.eni, endpoint, credentials_path, region);
    if (!address) return fail(address.error());
    auto text = cli::router_trace(*address, trace_body(trace_arguments), tls_dir);
    if (!text) return fail(text.error());
    std::cout << *text;
    return 0;
  }
  if (capture->parsed()) {
    auto address = router_of(router, capture_eni, endpoint, credentials_path, region);
    if (!address) return fail(address.error());
    auto size = cli::router_capture(*address, capture_eni, capture_seconds, capture_count,
                                    capture_path, tls_dir);
    if (!size) return fail(size.error());
    std::fprintf(stderr, "openvpc: %llu bytes of pcap written to %s\n",
                 static_cast<unsigned long long>(*size), capture_path.c_str());
    return 0;
  }

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
  if (hyperplane->parsed()) {
    return show_hyperplane(client.admin("hyperplane", json::object()), as_json);
  }
  for (auto* view : views) {
    if (view->parsed()) return show_view(client, *cli::find_view(view->get_name()), as_json);
  }
  return 2;
}
