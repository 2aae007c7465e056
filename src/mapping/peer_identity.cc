#include "mapping/peer_identity.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

namespace openvpc::mapping {

std::string_view to_string(MappingRefusal refusal) {
  switch (refusal) {
    case MappingRefusal::no_identity:
      return "no_identity";
    case MappingRefusal::host_mismatch:
      return "host_mismatch";
    case MappingRefusal::role_mismatch:
      return "role_mismatch";
    case MappingRefusal::count_:
      break;
  }
  return "unknown";
}

std::optional<pki::Identity> peer_identity(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated()) return std::nullopt;
  auto pems = auth.FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pems.empty()) return std::nullopt;
  auto identity = pki::read_identity(std::string_view(pems.front().data(), pems.front().size()));
  if (!identity) return std::nullopt;
  return *identity;
}

namespace {

std::optional<NodeRole> node_role(pki::Role role) {
  switch (role) {
    case pki::Role::router:
      return NodeRole::router;
    case pki::Role::edge:
      return NodeRole::edge;
    case pki::Role::hyperplane:
      return NodeRole::hyperplane;
    default:
      return std::nullopt;  // operators and the controller do not subscribe
  }
}

}  // namespace

std::optional<MappingRefusal> check_claim(const pki::Identity& identity, std::string_view host_id,
                                          std::optional<NodeRole> role) {
  auto certified = node_role(identity.role);
  if (!certified || (role && *role != *certified)) return MappingRefusal::role_mismatch;
  if (identity.id != host_id) return MappingRefusal::host_mismatch;
  return std::nullopt;
}

}  // namespace openvpc::mapping
