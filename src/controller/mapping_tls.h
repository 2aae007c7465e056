// mapping_tls.h — the controller's side of the region's PKI (README "Security").
//
// On start the controller opens DATA_DIR/pki (creating the CA the first time, pki/
// certificate_authority.h) and issues itself a fresh server certificate for the mapping
// service: CN "controller", DNS names "openvpc-controller" (what every client checks, whatever
// address reaches the controller) and "localhost", IP 127.0.0.1 and the listen address.
#pragma once

#include <string>

#include "common/result.h"
#include "pki/certificate_authority.h"

namespace openvpc::controller {

Result<pki::Credentials> mapping_credentials(const std::string& data_dir,
                                             const std::string& listen_address);

}  // namespace openvpc::controller
