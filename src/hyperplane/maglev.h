// maglev.h — Maglev consistent hashing: a network load balancer's choice of target per flow.
//
// Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer" (NSDI 2016),
// §3.4. Every target has a permutation of the table's M slots (M prime) given by an offset and
// a skip derived from the target's own key, so a target's preferences do not depend on which
// other targets exist; filling the table takes each target's next preferred free slot in
// turn. Two properties follow, and both are what a load balancer needs (tests/unit/hyperplane/
// maglev_test.cc measures them):
//   balance: every target holds floor(M/N) or ceil(M/N) slots;
//   minimal disruption: when a target leaves, the slots it held move and only a few others do,
//     so a new connection's choice changes for few clients while existing connections keep
//     their target through the flow table regardless.
// Keys are 64-bit hashes of a target's identity (its address and port), never its index in
// the list, so rebuilding with the same targets in another order gives the same choices.
//
// Build cost: O(M log M) on average (the coupon collector's bound on the probes); a lookup is
// one modulo and one array read. Built on the control path; lookups are read-only and
// thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace openvpc::hyperplane {

class MaglevTable {
 public:
  // Primes: 65,537 suits up to a few hundred targets (the paper asks for M >> N), 655,373
  // thousands.
  static constexpr uint32_t kDefaultSize = 65537;
  static constexpr uint32_t kLargeSize = 655373;

  MaglevTable() = default;
  // `size` must be prime (it is not checked beyond being > 1; a composite size breaks the
  // permutations). Duplicate keys are allowed but get separate shares.
  MaglevTable(std::span<const uint64_t> target_keys, uint32_t size = kDefaultSize);

  // The index (into target_keys) of the target for a flow hash; -1 when there are no targets.
  int32_t lookup(uint64_t flow_hash) const {
    return slots_.empty() ? -1 : slots_[flow_hash % slots_.size()];
  }
  size_t size() const { return slots_.size(); }
  const std::vector<int32_t>& slots() const { return slots_; }

 private:
  std::vector<int32_t> slots_;
};

// A target's key: a hash of its IPv4 address (host order) and port.
uint64_t maglev_key(uint32_t address, uint16_t port);

}  // namespace openvpc::hyperplane
