#include "dataplane/route_table.h"

#include <algorithm>
#include <cstring>

namespace openvpc::dataplane {

RouteLookup::RouteLookup(const program::RouteTable& table) : id_(table.id), routes_(table.routes) {
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const program::Route& a, const program::Route& b) {
                     const int la = a.destination.mapped_prefix_length();
                     const int lb = b.destination.mapped_prefix_length();
                     if (la != lb) return la > lb;
                     return a.destination.address < b.destination.address;
                   });
  for (uint32_t i = 0; i < routes_.size(); ++i) {
    const Prefix p = Prefix::from(routes_[i].destination);
    if (groups_.empty() || groups_.back().mask_high != p.mask_high ||
        groups_.back().mask_low != p.mask_low) {
      groups_.push_back({p.mask_high, p.mask_low, i, i});
    }
    keys_.push_back({p.high, p.low, i});
    groups_.back().end = i + 1;
  }
  for (const Group& g : groups_) {
    std::sort(keys_.begin() + g.begin, keys_.begin() + g.end, [](const Key& a, const Key& b) {
      if (a.high != b.high) return a.high < b.high;
      if (a.low != b.low) return a.low < b.low;
      return a.route < b.route;
    });
  }
}

const program::Route* RouteLookup::lookup(const packet::IpAddress& destination) const {
  uint64_t high, low;
  std::memcpy(&high, destination.bytes.data(), 8);
  std::memcpy(&low, destination.bytes.data() + 8, 8);
  for (const Group& g : groups_) {
    const uint64_t h = high & g.mask_high, l = low & g.mask_low;
    // The first key >= (h, l): the route of the lowest index among equal prefixes.
    const Key* first = keys_.data() + g.begin;
    size_t count = g.end - g.begin;
    while (count > 0) {
      const size_t half = count / 2;
      const Key& k = first[half];
      if (k.high < h || (k.high == h && k.low < l)) {
        first += half + 1;
        count -= half + 1;
      } else {
        count = half;
      }
    }
    if (first != keys_.data() + g.end && first->high == h && first->low == l) {
      return &routes_[first->route];
    }
  }
  return nullptr;
}

}  // namespace openvpc::dataplane
