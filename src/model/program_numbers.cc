#include "model/program_numbers.h"

#include <set>
#include <string_view>

namespace openvpc::model {

namespace {

// Calls visit(map) for every kind that shares the program-number namespace.
template <typename R, typename F>
void for_each_numbered_kind(R& region, F&& visit) {
  visit(region.subnets);
  visit(region.route_tables);
  visit(region.network_acls);
  visit(region.security_groups);
  visit(region.internet_gateways);
  visit(region.flow_logs);
  visit(region.nat_gateways);
  visit(region.load_balancers);
  visit(region.target_groups);
}

std::set<uint32_t> numbers_in_use(const Region& region) {
  std::set<uint32_t> used;
  for_each_numbered_kind(region, [&](const auto& resources) {
    for (const auto& [id, resource] : resources) {
      if (resource.number != 0) used.insert(resource.number);
    }
  });
  return used;
}

uint32_t fnv1a(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (char ch : text) {
    hash ^= static_cast<uint8_t>(ch);
    hash *= 16777619u;
  }
  return hash;
}

}  // namespace

uint32_t new_program_number(Region& region, IdSource& ids) {
  sync_indexes(region);  // the numbers in use, found in the index (region_index.h), not a scan
  for (;;) {             // draws and rejects exactly as a set of the numbers in use would
    uint32_t number = ids.random32();
    if (number != 0 && !program_number_indexed(region, number)) return number;
  }
}

void number_unnumbered(Region& region) {
  std::set<uint32_t> used = numbers_in_use(region);
  std::map<std::string, uint32_t*> unnumbered;  // by id: the same order on every controller
  for_each_numbered_kind(region, [&](auto& resources) {
    for (auto& [id, resource] : resources) {
      if (resource.number == 0) unnumbered.emplace(id, &resource.number);
    }
  });
  for (auto& [id, number] : unnumbered) {
    uint32_t candidate = fnv1a(id);
    while (candidate == 0 || used.contains(candidate)) ++candidate;
    *number = candidate;
    used.insert(candidate);
  }
}

}  // namespace openvpc::model
