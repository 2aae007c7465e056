#include "dataplane/route_table.h"

#include <algorithm>
#include <cstring>

namespace openvpc::dataplane {

namespace {

// A Prefix word (memory order) as a number whose order is the address's, so that a group's
// keys sort numerically and its first and last key bound a range of addresses.
uint64_t in_address_order(uint64_t word) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return __builtin_bswap64(word);
#else
  return word;
#endif
}

}  // namespace

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
    keys_.push_back({in_address_order(p.high), in_address_order(p.low), i});
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
    const uint64_t h = in_address_order(high & g.mask_high);
    const uint64_t l = in_address_order(low & g.mask_low);
    // Outside the group's first and last key: no route of this length (one compare each,
    // where most groups a destination meets are not its own).
    const Key& lo = keys_[g.begin];
    const Key& hi = keys_[g.end - 1];
    if (h < lo.high || (h == lo.high && l < lo.low)) continue;
    if (h > hi.high || (h == hi.high && l > hi.low)) continue;
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
