#include "hyperplane/node_acl.h"

#include <algorithm>
#include <vector>

namespace openvpc::hyperplane {

namespace {

// Every IPv4 packet gets `allow` from the entries of `direction`: going lowest number first,
// an allow of everything comes before any deny (an allow before it only allows more).
bool allows_all_v4(const program::NetworkAcl& acl, program::Direction direction) {
  std::vector<const program::NetworkAclEntry*> entries;
  for (const program::NetworkAclEntry& e : acl.entries) {
    if (e.direction == direction) entries.push_back(&e);
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto* a, const auto* b) { return a->rule_number < b->rule_number; });
  for (const program::NetworkAclEntry* e : entries) {
    if (e->action == program::AclAction::deny) return false;
    if (e->traffic.protocol == program::kAllProtocols && e->cidr.is_v4() &&
        e->cidr.prefix_length == 0) {
      return true;
    }
  }
  return false;  // the `*` rule denies what no entry allowed
}

}  // namespace

GatewayAcl::GatewayAcl(const program::Cidr& subnet, const program::NetworkAcl& acl)
    : subnet_(dataplane::Prefix::from(subnet)),
      policy_(std::in_place, acl),
      ingress_all_(allows_all_v4(acl, program::Direction::ingress)),
      egress_all_(allows_all_v4(acl, program::Direction::egress)) {}

}  // namespace openvpc::hyperplane
