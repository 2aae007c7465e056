// peer_identity.h — who is asking the mapping service, from its TLS client certificate.
//
// With TLS on (MappingServerOptions::tls) gRPC has already verified the peer's certificate
// against the region's CA; here the server reads the CN (the host or node id) and the OU (the
// role, pki/identity.h) from it and decides whether the peer may say what it says: a Hello or a
// Lookup must carry the certificate's id, and a Hello's role must be the certificate's. Routers,
// edge and hyperplane nodes may subscribe and look up; operators and controllers may not.
// Every refusal is counted by reason (one descriptor: MappingRefusal and to_string).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mapping/node_registry.h"
#include "pki/identity.h"

namespace grpc {
class AuthContext;
}

namespace openvpc::mapping {

enum class MappingRefusal : uint8_t {
  no_identity,    // TLS on, but no certificate with a CN and a role reached the call
  host_mismatch,  // Hello or Lookup named another host than the certificate
  role_mismatch,  // Hello's role is not the certificate's, or the role may not subscribe
  count_,
};
inline constexpr size_t kMappingRefusalCount = size_t(MappingRefusal::count_);
std::string_view to_string(MappingRefusal refusal);

using MappingRefusalCounts = std::array<uint64_t, kMappingRefusalCount>;

// Counted from gRPC threads; read by metrics.
class MappingRefusals {
 public:
  void count(MappingRefusal refusal) {
    counts_[size_t(refusal)].fetch_add(1, std::memory_order_relaxed);
  }
  MappingRefusalCounts snapshot() const {
    MappingRefusalCounts out{};
    for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
    return out;
  }

 private:
  std::array<std::atomic<uint64_t>, kMappingRefusalCount> counts_{};
};

// The verified peer's identity; nullopt when the call carries no usable certificate.
std::optional<pki::Identity> peer_identity(const grpc::AuthContext& auth);

// Whether a peer with IDENTITY may claim HOST_ID in ROLE (nullopt role: any node role, as for a
// Lookup); the reason when it may not.
std::optional<MappingRefusal> check_claim(const pki::Identity& identity, std::string_view host_id,
                                          std::optional<NodeRole> role);

}  // namespace openvpc::mapping
