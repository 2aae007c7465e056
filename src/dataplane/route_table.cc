#include "dataplane/route_table.h"

#include <algorithm>

namespace openvpc::dataplane {

RouteLookup::RouteLookup(const program::RouteTable& table) : id_(table.id), routes_(table.routes) {
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const program::Route& a, const program::Route& b) {
                     const int la = a.destination.mapped_prefix_length();
                     const int lb = b.destination.mapped_prefix_length();
                     if (la != lb) return la > lb;
                     return a.destination.address < b.destination.address;
                   });
  for (const auto& route : routes_) prefixes_.push_back(Prefix::from(route.destination));
}

const program::Route* RouteLookup::lookup(const packet::IpAddress& destination) const {
  for (size_t i = 0; i < prefixes_.size(); ++i) {
    if (prefixes_[i].contains(destination)) return &routes_[i];
  }
  return nullptr;
}

}  // namespace openvpc::dataplane
