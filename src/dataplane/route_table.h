// route_table.h — longest-prefix match over one VPC route table.
//
// Routes are kept sorted by prefix length, longest first (ties by address), so the first
// route that contains the destination is the longest match. A route table holds tens of
// routes (AWS: 50 by default, 1000 at most) and lookups run only on the slow path (the flow
// cache holds the result), so a scan of a sorted, contiguous array beats a trie here; swap in
// a DIR-24-8 or a Poptrie behind lookup() if tables grow. Immutable after construction.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/prefix.h"
#include "program/program.h"

namespace openvpc::dataplane {

class RouteLookup {
 public:
  RouteLookup() = default;
  explicit RouteLookup(const program::RouteTable& table);

  // The longest route containing destination, or nullptr.
  const program::Route* lookup(const packet::IpAddress& destination) const;
  uint32_t id() const { return id_; }
  size_t route_count() const { return routes_.size(); }

 private:
  uint32_t id_ = 0;
  std::vector<program::Route> routes_;
  std::vector<Prefix> prefixes_;  // routes_[i].destination, compiled
};

}  // namespace openvpc::dataplane
