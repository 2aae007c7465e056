#include "model/region_index.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "model/region.h"

namespace openvpc::model {

namespace {

using Keys = std::vector<std::string>;

// The (kind, filter) pairs the index holds: the one list indexed_filter and the key makers
// below agree on (a key maker adds only pairs listed here).
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kIndexed = {{
    {kSubnetKind, "vpc-id"},
    {kSubnetKind, "tag:Name"},
    {kSecurityGroupKind, "vpc-id"},
    {kSecurityGroupKind, "tag:Name"},
    {kInterfaceKind, "vpc-id"},
    {kInterfaceKind, "subnet-id"},
    {kInterfaceKind, "group-id"},
    {kInterfaceKind, "tag:Name"},
    {kInstanceKind, "vpc-id"},
    {kInstanceKind, "subnet-id"},
    {kInstanceKind, "tag:Name"},
}};

void add_field(Keys& out, std::string_view kind, std::string_view filter, std::string_view value,
               const std::string& id) {
  std::string key = detail::index_prefix(kind, filter, value);
  key += detail::kSeparator;
  key += id;
  out.push_back(std::move(key));
}

void add_name_tag(Keys& out, std::string_view kind, const Tags& tags, const std::string& id) {
  if (auto it = tags.find("Name"); it != tags.end())
    add_field(out, kind, "tag:Name", it->second, id);
}

std::string number_prefix(uint32_t number) {
  char text[16];
  std::snprintf(text, sizeof text, "#%08x", number);
  std::string prefix(text);
  prefix += detail::kSeparator;
  return prefix;
}

void add_number(Keys& out, uint32_t number, const std::string& id) {
  if (number != 0) out.push_back(number_prefix(number) + id);
}

// The keys of one resource. The kinds without filter entries share the program-number
// namespace only.
template <typename T>
void keys_of(const std::string& id, const T& resource, Keys& out) {
  add_number(out, resource.number, id);
}
void keys_of(const std::string& id, const Subnet& subnet, Keys& out) {
  add_number(out, subnet.number, id);
  add_field(out, kSubnetKind, "vpc-id", subnet.vpc_id, id);
  add_name_tag(out, kSubnetKind, subnet.tags, id);
}
void keys_of(const std::string& id, const SecurityGroup& group, Keys& out) {
  add_number(out, group.number, id);
  add_field(out, kSecurityGroupKind, "vpc-id", group.vpc_id, id);
  add_name_tag(out, kSecurityGroupKind, group.tags, id);
}
// An interface's number is carried in Geneve, a namespace of its own: not indexed.
void keys_of(const std::string& id, const NetworkInterface& eni, Keys& out) {
  add_field(out, kInterfaceKind, "vpc-id", eni.vpc_id, id);
  add_field(out, kInterfaceKind, "subnet-id", eni.subnet_id, id);
  for (const auto& group : eni.group_ids) add_field(out, kInterfaceKind, "group-id", group, id);
  add_name_tag(out, kInterfaceKind, eni.tags, id);
}
void keys_of(const std::string& id, const Instance& instance, Keys& out) {
  add_field(out, kInstanceKind, "vpc-id", instance.vpc_id, id);
  add_field(out, kInstanceKind, "subnet-id", instance.subnet_id, id);
  add_name_tag(out, kInstanceKind, instance.tags, id);
}

// Applies the differences between `synced` and `live` to keys, then remembers live.
template <typename T>
void sync_kind(ResourceMap<char, 128>& keys, ResourceMap<T>& synced, const ResourceMap<T>& live) {
  if (synced.same_chunks(live)) return;
  Keys old_keys, new_keys;
  using Entry = typename ResourceMap<T>::value_type;
  for_each_unshared_entry(synced, live, [&](const Entry* old, const Entry* now) {
    old_keys.clear();
    new_keys.clear();
    if (old != nullptr) keys_of(old->first, old->second, old_keys);
    if (now != nullptr) keys_of(now->first, now->second, new_keys);
    for (const auto& key : old_keys) {
      if (std::find(new_keys.begin(), new_keys.end(), key) == new_keys.end()) keys.erase(key);
    }
    for (auto& key : new_keys) {
      if (std::find(old_keys.begin(), old_keys.end(), key) == old_keys.end()) {
        keys.try_emplace(std::move(key), '\0');
      }
    }
  });
  synced = live;
}

// Calls visit(indexed copy, live map) for every indexed map of the region.
template <typename R, typename I, typename Visit>
void for_each_indexed_map(R& region, I& index, Visit&& visit) {
  visit(index.subnets, region.subnets);
  visit(index.route_tables, region.route_tables);
  visit(index.internet_gateways, region.internet_gateways);
  visit(index.security_groups, region.security_groups);
  visit(index.network_acls, region.network_acls);
  visit(index.network_interfaces, region.network_interfaces);
  visit(index.instances, region.instances);
  visit(index.flow_logs, region.flow_logs);
  visit(index.nat_gateways, region.nat_gateways);
  visit(index.load_balancers, region.load_balancers);
  visit(index.target_groups, region.target_groups);
}

}  // namespace

namespace detail {

std::string index_prefix(std::string_view kind, std::string_view filter, std::string_view value) {
  std::string prefix;
  prefix.reserve(kind.size() + filter.size() + value.size() + 2);
  prefix.append(kind);
  prefix += kSeparator;
  prefix.append(filter);
  prefix += kSeparator;
  prefix.append(value);
  return prefix;
}

const ResourceMap<char, 128>& index_keys(const Region& region) {
  return region.index.keys;
}

}  // namespace detail

bool indexed_filter(std::string_view kind, std::string_view filter) {
  return std::find(kIndexed.begin(), kIndexed.end(), std::pair{kind, filter}) != kIndexed.end();
}

void sync_indexes(Region& region) {
  for_each_indexed_map(std::as_const(region), region.index, [&](auto& synced, const auto& live) {
    sync_kind(region.index.keys, synced, live);
  });
}

bool indexes_current(const Region& region) {
  bool current = true;
  for_each_indexed_map(region, region.index, [&](const auto& synced, const auto& live) {
    current = current && synced.same_chunks(live);
  });
  return current;
}

std::optional<std::vector<std::string>> indexed_ids(const Region& region, std::string_view kind,
                                                    std::string_view filter,
                                                    const std::vector<std::string>& patterns) {
  if (!indexed_filter(kind, filter)) return std::nullopt;
  std::vector<std::string> ids;
  const auto& keys = region.index.keys;
  for (const auto& pattern : patterns) {
    size_t wild = pattern.find_first_of("*?");
    if (wild == 0) return std::nullopt;
    // Exact: the keys "<prefix>\x1f<id>". A wildcard: every value starting with the literal
    // part, so the id is what follows the key's last separator (ids hold none).
    std::string prefix =
        detail::index_prefix(kind, filter, std::string_view(pattern).substr(0, wild));
    if (wild == std::string::npos) prefix += detail::kSeparator;
    for (auto it = keys.lower_bound(prefix);
         it != keys.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      ids.push_back(it->first.substr(it->first.rfind(detail::kSeparator) + 1));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool program_number_indexed(const Region& region, uint32_t number) {
  std::string prefix = number_prefix(number);
  auto it = region.index.keys.lower_bound(prefix);
  return it != region.index.keys.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace openvpc::model
