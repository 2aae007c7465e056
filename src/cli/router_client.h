// router_client.h — the CLI's way to a router's admin endpoint (`openvpc trace`, `capture`).
//
// A router serves /trace and /capture on its admin address, by convention its host's
// underlay address and port 9180 (openvpc-router --admin). locate_router() finds the router of
// an ENI through the controller: DescribeNetworkInterfaces (the ENI's instance),
// DescribeInstances (the instance's placement host) and /admin/hosts (the host's underlay),
// so it needs credentials that see the ENI and the admin verb. `--router ADDRESS:PORT` skips
// all of that. Errors are openvpc::Error values ("ConnectionFailed", "InvalidNetworkInterface",
// the router's own message); nothing throws.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/client.h"
#include "common/result.h"

namespace openvpc::cli {

inline constexpr int kRouterAdminPort = 9180;

// "UNDERLAY:9180" of the router hosting `eni`.
Result<std::string> locate_router(ApiClient& client, const std::string& eni);

// tls_dir: an operator's DIR/{ca,cert,key}.pem (`openvpc host add --operator`) for a router
// whose admin endpoint is HTTPS; empty: plain HTTP (a router's loopback endpoint).

// POST /trace; the trace text.
Result<std::string> router_trace(const std::string& router, const nlohmann::json& request,
                                 const std::string& tls_dir = "");

// GET /capture, written to `path` as it arrives. Returns the pcap's size in bytes.
Result<uint64_t> router_capture(const std::string& router, const std::string& eni, uint32_t seconds,
                                uint32_t count, const std::string& path,
                                const std::string& tls_dir = "");

}  // namespace openvpc::cli
