// route_table.h — longest-prefix match over one VPC route table.
//
// Routes are kept sorted by prefix length, longest first (ties by address): the first route
// that contains the destination is the longest match. lookup() does not scan them: the routes
// of one prefix length form a group, sorted by their masked address, so a lookup masks the
// destination once per distinct length (a table has a handful: /32, /24, /16, /8, /0 ...) and
// binary-searches that group — every new flow routes once, and a scan of AWS's default 50
// routes cost ~600 instructions. Among equal prefixes the first in route order wins, as the
// scan's would. Immutable after construction.
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
  struct Key {
    uint64_t high = 0, low = 0;  // the route's destination, masked, in address order
    uint32_t route = 0;          // index into routes_
  };
  struct Group {
    uint64_t mask_high = 0, mask_low = 0;
    uint32_t begin = 0, end = 0;  // keys_[begin, end): one prefix length, by (high, low, route)
  };
  std::vector<Group> groups_;  // longest prefix first
  std::vector<Key> keys_;
};

}  // namespace openvpc::dataplane
