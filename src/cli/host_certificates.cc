#include "cli/host_certificates.h"

#include "pki/certificate_authority.h"

namespace openvpc::cli {

Result<void> add_host(const HostAddArguments& arguments) {
  pki::Role role = pki::Role::router;
  if (!pki::parse_role(arguments.role, role) || role == pki::Role::controller) {
    return make_error("host.invalid", "--role must be router, edge, hyperplane or operator, not '" +
                                          arguments.role + "'");
  }
  if (arguments.out.empty()) return make_error("host.invalid", "--out DIR is needed");
  auto ca = pki::CertificateAuthority::open_or_create(pki::region_ca_dir(arguments.data_dir));
  if (!ca) return ca.error();
  auto credentials = ca->issue({.id = arguments.id, .role = role, .ip_sans = arguments.addresses});
  if (!credentials) return credentials.error();
  return pki::write_credentials(arguments.out, *credentials);
}

}  // namespace openvpc::cli
