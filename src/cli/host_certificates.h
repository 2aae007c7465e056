// host_certificates.h — `openvpc host add`: the operator issues a host (or an operator) its
// key and certificate from the region's CA (pki/certificate_authority.h), on the controller's
// machine, with the controller's data directory.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace openvpc::cli {

struct HostAddArguments {
  std::string data_dir = "openvpc-data";  // the controller's --data-dir
  std::string id;                         // host or node id (the router's --host-id ...)
  std::string role = "router";            // router | edge | hyperplane | operator
  std::string out;                        // OUT/{ca.pem,cert.pem,key.pem}
  std::vector<std::string> addresses;     // IP subjectAltNames (a router's HTTPS admin address)
};

// Opens (creates on first use) DATA_DIR/pki and writes the credentials. Issuing the same id
// again rotates its key: the old certificate stays valid until it expires.
Result<void> add_host(const HostAddArguments& arguments);

}  // namespace openvpc::cli
