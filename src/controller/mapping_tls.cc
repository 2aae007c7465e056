#include "controller/mapping_tls.h"

#include <arpa/inet.h>

namespace openvpc::controller {

Result<pki::Credentials> mapping_credentials(const std::string& data_dir,
                                             const std::string& listen_address) {
  auto ca = pki::CertificateAuthority::open_or_create(pki::region_ca_dir(data_dir));
  if (!ca) return ca.error();
  pki::IssueRequest request{.id = "controller", .role = pki::Role::controller};
  request.dns_sans = {"openvpc-controller", "localhost"};
  request.ip_sans = {"127.0.0.1"};
  unsigned char bytes[16];
  bool is_ip = ::inet_pton(AF_INET, listen_address.c_str(), bytes) == 1 ||
               ::inet_pton(AF_INET6, listen_address.c_str(), bytes) == 1;
  bool wildcard = listen_address == "0.0.0.0" || listen_address == "::";
  if (is_ip && !wildcard && listen_address != "127.0.0.1")
    request.ip_sans.push_back(listen_address);
  return ca->issue(request);
}

}  // namespace openvpc::controller
