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
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kIndexed = {{
    {kSubnetKind, "vpc-id"},
    {kSubnetKind, "tag:Name"},
    {kSecurityGroupKind, "vpc-id"},
    {kSecurityGroupKind, "tag:Name"},
    {kSecurityGroupKind, "group-name"},  // also DescribeSecurityGroups' GroupName.N
    {kSecurityGroupRuleKind, "security-group-rule-id"},
    {kInterfaceKind, "vpc-id"},
    {kInterfaceKind, "subnet-id"},
    {kInterfaceKind, "group-id"},
    {kInterfaceKind, "tag:Name"},
    {kInterfaceKind, "attachment.instance-id"},  // also DescribeInstances' interfaces
    {kInstanceKind, "vpc-id"},
    {kInstanceKind, "subnet-id"},
    {kInstanceKind, "tag:Name"},
    // What Terraform and the CLI ask of a VPC's tables and gateways (issue 14).
    {kRouteTableKind, "vpc-id"},
    {kRouteTableKind, "association.subnet-id"},
    {kRouteTableKind, "tag:Name"},
    {kNetworkAclKind, "vpc-id"},
    {kNetworkAclKind, "association.subnet-id"},
    {kNetworkAclKind, "tag:Name"},
    {kInternetGatewayKind, "attachment.vpc-id"},
    {kInternetGatewayKind, "tag:Name"},
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
  add_field(out, kSecurityGroupKind, "group-name", group.name, id);  // names never change
  for (const auto& rule : group.rules) {
    add_field(out, kSecurityGroupRuleKind, "security-group-rule-id", rule.id, id);
  }
}
void keys_of(const std::string& id, const RouteTable& table, Keys& out) {
  add_number(out, table.number, id);
  add_field(out, kRouteTableKind, "vpc-id", table.vpc_id, id);
  for (const auto& association : table.associations) {
    if (!association.subnet_id.empty()) {
      add_field(out, kRouteTableKind, "association.subnet-id", association.subnet_id, id);
    }
  }
  add_name_tag(out, kRouteTableKind, table.tags, id);
}
void keys_of(const std::string& id, const NetworkAcl& acl, Keys& out) {
  add_number(out, acl.number, id);
  add_field(out, kNetworkAclKind, "vpc-id", acl.vpc_id, id);
  for (const auto& association : acl.associations) {
    add_field(out, kNetworkAclKind, "association.subnet-id", association.subnet_id, id);
  }
  add_name_tag(out, kNetworkAclKind, acl.tags, id);
}
void keys_of(const std::string& id, const InternetGateway& gateway, Keys& out) {
  add_number(out, gateway.number, id);
  if (!gateway.attached_vpc_id.empty()) {
    add_field(out, kInternetGatewayKind, "attachment.vpc-id", gateway.attached_vpc_id, id);
  }
  add_name_tag(out, kInternetGatewayKind, gateway.tags, id);
}
// An interface's number is carried in Geneve, a namespace of its own: not indexed.
void keys_of(const std::string& id, const NetworkInterface& eni, Keys& out) {
  add_field(out, kInterfaceKind, "vpc-id", eni.vpc_id, id);
  add_field(out, kInterfaceKind, "subnet-id", eni.subnet_id, id);
  for (const auto& group : eni.group_ids) add_field(out, kInterfaceKind, "group-id", group, id);
  add_name_tag(out, kInterfaceKind, eni.tags, id);
  if (eni.attached) {
    add_field(out, kInterfaceKind, "attachment.instance-id", eni.attachment.instance_id, id);
  }
}
void keys_of(const std::string& id, const Instance& instance, Keys& out) {
  add_field(out, kInstanceKind, "vpc-id", instance.vpc_id, id);
  add_field(out, kInstanceKind, "subnet-id", instance.subnet_id, id);
  add_name_tag(out, kInstanceKind, instance.tags, id);
}

// Calls visit(the reference's map, the region's map) for every indexed map.
template <typename Visit>
void for_each_indexed_map(const Region& index, const Region& region, Visit&& visit) {
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

// Applies the differences between `from` and `live` to keys; whether there were any.
template <typename T>
bool sync_kind(IndexKeys& keys, const ResourceMap<T>& from, const ResourceMap<T>& live) {
  if (from.same_chunks(live)) return false;
  Keys old_keys, new_keys;
  using Entry = typename ResourceMap<T>::value_type;
  for_each_unshared_entry(from, live, [&](const Entry* old, const Entry* now) {
    // Most entries of a written chunk are copies of unchanged resources: equal resources under
    // one id have the same keys, and comparing them costs less than building their keys.
    if (old != nullptr && now != nullptr && old->second == now->second) return;
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
  return true;
}

// The Region region.index.keys reflects; null with the keys cleared when that is lost (or was
// never set): they then reflect an empty Region.
std::shared_ptr<const Region> reference_of(Region& region) {
  if (region.index.owned) return region.index.owned;
  auto synced = region.index.synced.lock();
  if (!synced) region.index.keys.clear();
  return synced;
}

const Region& empty_region() {
  static const Region empty;
  return empty;
}

// Syncs region.index.keys; whether any indexed map differed from the reference.
bool sync_keys(Region& region) {
  auto reference = reference_of(region);
  if (reference.get() == &region) return false;
  const Region& from = reference ? *reference : empty_region();
  bool changed = reference == nullptr;
  for_each_indexed_map(from, std::as_const(region), [&](const auto& before, const auto& live) {
    changed = sync_kind(region.index.keys, before, live) || changed;
  });
  return changed;
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

const IndexKeys& index_keys(const Region& region) {
  return region.index.keys;
}

}  // namespace detail

bool indexed_filter(std::string_view kind, std::string_view filter) {
  return std::find(kIndexed.begin(), kIndexed.end(), std::pair{kind, filter}) != kIndexed.end();
}

void sync_indexes(Region& region) {
  if (!sync_keys(region)) return;
  auto reference = std::make_shared<Region>(region);
  reference->index = RegionIndex{};  // only its maps are read: no chain of references
  region.index.owned = std::move(reference);
}

void sync_indexes(const std::shared_ptr<Region>& region) {
  sync_keys(*region);
  region->index.owned.reset();
  region->index.synced = region;
}

bool indexes_current(const Region& region) {
  std::shared_ptr<const Region> reference =
      region.index.owned ? region.index.owned : region.index.synced.lock();
  if (reference.get() == &region) return true;
  const Region& from = reference ? *reference : empty_region();
  if (!reference && !region.index.keys.empty()) return false;
  bool current = true;
  for_each_indexed_map(from, region, [&](const auto& before, const auto& live) {
    current = current && before.same_chunks(live);
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
