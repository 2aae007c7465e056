// node_acl.h — a NAT gateway's subnet network ACL as the gateway's hyperplane nodes apply it.
//
// In Amazon VPC a NAT gateway is an interface in its subnet, so that subnet's network ACL sees
// its traffic four times (REFERENCE.md: numbered rules, lowest first, stateless, `*` denies):
//   instance -> gateway   ingress (source = the instance)        before translate_out
//   gateway -> internet   egress  (destination = the internet)   the translated packet
//   internet -> gateway   ingress (source = the internet)        before translate_in
//   gateway -> instance   egress  (destination = the instance)   after translate_in
// As a router does (dataplane/classifier.cc), ingress is skipped when the source and egress
// when the destination is inside the subnet: the ACL filters traffic that crosses its border.
//
// GatewayAcl compiles one gateway's ACL (dataplane::NetworkAclPolicy, the routers' evaluator)
// with its subnet's prefix. A direction whose first entry to decide (lowest number first) is an
// allow of all protocols from/to 0.0.0.0/0 (the default ACL's rule 100) allows every IPv4 packet:
// that is worked out once here, so such a gateway, like one without an ACL (a default-made
// GatewayAcl), costs one load and branch per check. The node translates IPv4 only.
// Control path (the constructor) allocates; allows() does not.
#pragma once

#include <optional>

#include "dataplane/acl.h"
#include "dataplane/prefix.h"
#include "packet/parser.h"
#include "program/program.h"

namespace openvpc::hyperplane {

class GatewayAcl {
 public:
  GatewayAcl() = default;  // no ACL: allows everything
  GatewayAcl(const program::Cidr& subnet, const program::NetworkAcl& acl);

  // The packet (meta.tuple as it is, or will be, on the wire at that point) passes the subnet's
  // rules for `direction` as the gateway's interface sees it.
  bool allows(program::Direction direction, const packet::PacketMeta& meta) const {
    if (allows_all(direction)) return true;
    const bool ingress = direction == program::Direction::ingress;
    if (subnet_.contains(ingress ? meta.tuple.src : meta.tuple.dst)) return true;
    return policy_->evaluate(direction, meta).allowed;
  }
  // Every IPv4 packet passes `direction` (no ACL, or one that allows all): no lookup needed.
  bool allows_all(program::Direction direction) const {
    return direction == program::Direction::ingress ? ingress_all_ : egress_all_;
  }

 private:
  dataplane::Prefix subnet_;
  std::optional<dataplane::NetworkAclPolicy> policy_;
  bool ingress_all_ = true;
  bool egress_all_ = true;
};

}  // namespace openvpc::hyperplane
