// identity.h — who a certificate names: the id in its CN and the role in its OU.
//
// The mapping service takes a peer's host id from its verified client certificate, never from
// what the peer claims; the role says what the peer may ask for (routers, edge and hyperplane
// nodes subscribe; operators use the routers' admin endpoints; the controller serves).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace openvpc::pki {

// One descriptor: the OU text of each role is to_string(role).
enum class Role : uint8_t { router, edge, hyperplane, operator_, controller, count_ };
std::string_view to_string(Role role);
bool parse_role(std::string_view text, Role& role);

struct Identity {
  std::string id;
  Role role = Role::router;
};

// The CN and OU of a PEM certificate. "pki.invalid" when it does not parse or lacks either.
Result<Identity> read_identity(std::string_view cert_pem);
// Whether the certificate was signed by the CA (and is within its validity period).
// "pki.untrusted" otherwise, with OpenSSL's reason.
Result<void> verify_certificate(std::string_view cert_pem, std::string_view ca_pem);
// An id fit for a CN: 1..64 of [A-Za-z0-9._-].
bool valid_id(std::string_view id);

}  // namespace openvpc::pki
