#include "cli/router_client.h"

#include <httplib.h>

#include <fstream>

namespace openvpc::cli {

namespace {

// tls_dir empty: plain HTTP; else HTTPS with DIR/{cert,key}.pem, the router's certificate
// checked against DIR/ca.pem and its address.
httplib::Client client_for(const std::string& router, time_t read_timeout_seconds,
                           const std::string& tls_dir) {
  httplib::Client client =
      tls_dir.empty()
          ? httplib::Client("http://" + router)
          : httplib::Client("https://" + router, tls_dir + "/cert.pem", tls_dir + "/key.pem");
  if (!tls_dir.empty()) {
    client.set_ca_cert_path((tls_dir + "/ca.pem").c_str());
    client.enable_server_certificate_verification(true);
  }
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(read_timeout_seconds, 0);
  return client;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

Result<std::string> locate_router(ApiClient& client, const std::string& eni) {
  auto interfaces = client.call("DescribeNetworkInterfaces", {{"NetworkInterfaceId.1", eni}});
  if (!interfaces) return interfaces.error();
  const auto items = interfaces->items("networkInterfaceSet");
  if (items.empty()) return Error{"InvalidNetworkInterfaceID.NotFound", eni + " not found"};
  const std::string instance = items.front()->text_at("attachment/instanceId");
  if (instance.empty()) {
    return Error{"InvalidNetworkInterface", eni + " is not attached to an instance"};
  }
  auto instances = client.call("DescribeInstances", {{"InstanceId.1", instance}});
  if (!instances) return instances.error();
  std::string host;
  for (const XmlNode* reservation : instances->items("reservationSet")) {
    for (const XmlNode* item : reservation->items("instancesSet")) {
      host = item->text_at("placement/hostId");
    }
  }
  if (host.empty()) return Error{"InvalidInstance", instance + " has no placement host"};
  auto hosts = client.admin("hosts", nlohmann::json::object());
  if (!hosts) return hosts.error();
  for (const auto& entry : (*hosts)["hosts"]) {
    if (entry.value("host_id", "") != host) continue;
    const std::string underlay = entry.value("underlay", "");
    if (underlay.empty()) break;
    return underlay + ":" + std::to_string(kRouterAdminPort);
  }
  return Error{"UnknownHost", "the controller knows no underlay address for host " + host};
}

Result<std::string> router_trace(const std::string& router, const nlohmann::json& request,
                                 const std::string& tls_dir) {
  auto client = client_for(router, 10, tls_dir);
  auto response = client.Post("/trace", request.dump(), "application/json");
  if (!response) {
    return Error{"ConnectionFailed",
                 "cannot reach router " + router + ": " + httplib::to_string(response.error())};
  }
  if (response->status != 200) return Error{"TraceFailed", trimmed(response->body)};
  return response->body;
}

Result<uint64_t> router_capture(const std::string& router, const std::string& eni, uint32_t seconds,
                                uint32_t count, const std::string& path,
                                const std::string& tls_dir) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return Error{"CaptureFailed", "cannot write " + path};
  auto client = client_for(router, time_t(seconds) + 10, tls_dir);
  const std::string target = "/capture?eni=" + httplib::detail::encode_query_param(eni) +
                             "&seconds=" + std::to_string(seconds) +
                             "&count=" + std::to_string(count);
  uint64_t written = 0;
  int status = 0;
  std::string refusal;
  auto response = client.Get(
      target,
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status != 200) {
          refusal.append(data, size);
          return true;
        }
        file.write(data, std::streamsize(size));
        file.flush();  // a reader (or Ctrl-C) sees every frame received so far
        written += size;
        return bool(file);
      });
  if (!response) {
    return Error{"ConnectionFailed",
                 "capture from router " + router + ": " + httplib::to_string(response.error())};
  }
  if (status != 200) return Error{"CaptureFailed", trimmed(refusal)};
  if (!file) return Error{"CaptureFailed", "cannot write " + path};
  return written;
}

}  // namespace openvpc::cli
