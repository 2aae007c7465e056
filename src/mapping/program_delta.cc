#include "mapping/program_delta.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mapping/program_codec.h"

namespace openvpc::mapping {
namespace {

template <typename T>
using Repeated = google::protobuf::RepeatedPtrField<T>;

std::string id_key(uint32_t id) {
  return std::string(reinterpret_cast<const char*>(&id), 4);
}

// An IPv4 address may arrive as 4 bytes or as 16 (mapped); both name the same mapping.
std::string_view mapping_address(std::string_view address) {
  static constexpr char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff'};
  if (address.size() == 16 && address.compare(0, 12, std::string_view(kMapped, 12)) == 0) {
    return address.substr(12);
  }
  return address;
}

std::string mapping_key(uint32_t vpc, const std::string& address) {
  return id_key(vpc) + std::string(mapping_address(address));
}

template <typename T>
std::string key_of(const T& object) {
  return id_key(object.id());
}
std::string key_of(const wire::Mapping& m) {
  return mapping_key(m.vpc(), m.address());
}
std::string key_of(uint32_t removed_id) {
  return id_key(removed_id);
}
std::string key_of(const wire::MappingKey& k) {
  return mapping_key(k.vpc(), k.address());
}

// diff()'s key: the same identity as key_of(), without a string per object (diff runs once per
// host on every change; its allocations led the mapping server's profile). The address views
// the object's own bytes, which outlive the diff.
struct Key {
  uint32_t id = 0;  // the object's id, or a mapping's vpc
  std::string_view address;
  auto operator<=>(const Key&) const = default;
};

template <typename T>
Key diff_key(const T& object) {
  return {object.id(), {}};
}
Key diff_key(const wire::Mapping& m) {
  return {m.vpc(), mapping_address(m.address())};
}

void add_removal(Repeated<wire::MappingKey>* removals, const wire::Mapping& m) {
  auto* k = removals->Add();
  k->set_vpc(m.vpc());
  k->set_address(m.address());
}
template <typename T>
void add_removal(google::protobuf::RepeatedField<uint32_t>* removals, const T& object) {
  removals->Add(object.id());
}

// Upserts every object of `to` that is new or differs from the last object of `from` with its
// key, in `to` order; removes every key of `from` that `to` lacks, once, in `from` order. Sorted
// (key, index) vectors stand in for hash maps of string keys; the scratch vectors and buffers
// are per thread, so a diff allocates only what it outputs.
template <typename T>
bool same_bytes(const T& a, const T& b) {
  thread_local std::string before, after;
  a.SerializeToString(&before);
  b.SerializeToString(&after);
  return before == after;
}

// The common case — both lists hold the same keys in the same strictly increasing order (the
// compiler emits them sorted), so keys are unique and objects pair up by index: no sorting and
// no searching. False (nothing added) otherwise.
template <typename T>
bool diff_in_step(const Repeated<T>& from, const Repeated<T>& to, Repeated<T>* upserts) {
  if (from.size() != to.size()) return false;
  for (int i = 0; i < from.size(); ++i) {
    Key key = diff_key(from[i]);
    if (key != diff_key(to[i]) || (i > 0 && !(diff_key(from[i - 1]) < key))) return false;
  }
  for (int i = 0; i < from.size(); ++i) {
    if (!same_bytes(from[i], to[i])) *upserts->Add() = to[i];
  }
  return true;
}

template <typename T, typename Removals>
void diff_kind(const Repeated<T>& from, const Repeated<T>& to, Repeated<T>* upserts,
               Removals* removals) {
  if (diff_in_step(from, to, upserts)) return;
  thread_local std::vector<std::pair<Key, int>> old;  // from's keys, sorted by (key, index)
  thread_local std::vector<Key> kept;                 // to's keys, sorted
  old.clear();
  kept.clear();
  for (int i = 0; i < from.size(); ++i) old.emplace_back(diff_key(from[i]), i);
  std::sort(old.begin(), old.end());
  for (const auto& object : to) kept.push_back(diff_key(object));
  std::sort(kept.begin(), kept.end());
  for (const auto& object : to) {
    Key key = diff_key(object);
    // The last object of `from` with this key, as a map filled in `from` order would hold.
    auto past = std::upper_bound(old.begin(), old.end(), std::pair{key, from.size()});
    bool changed = past == old.begin() || std::prev(past)->first != key;
    if (!changed) changed = !same_bytes(from[std::prev(past)->second], object);
    if (changed) *upserts->Add() = object;
  }
  for (int i = 0; i < from.size(); ++i) {
    Key key = diff_key(from[i]);
    if (std::binary_search(kept.begin(), kept.end(), key)) continue;
    // A key `from` holds twice is removed once, at its first object.
    auto first = std::lower_bound(old.begin(), old.end(), std::pair{key, -1});
    if (first->second == i) add_removal(removals, from[i]);
  }
}

template <typename T, typename Removals>
void apply_kind(const Repeated<T>& from, const Repeated<T>& upserts, const Removals& removals,
                Repeated<T>* out) {
  std::unordered_set<std::string> removed;
  for (const auto& r : removals) removed.insert(key_of(r));
  struct Upsert {
    const T* object;
    bool placed;
  };
  std::unordered_map<std::string, Upsert> upserted;
  for (const auto& object : upserts) upserted[key_of(object)] = {&object, false};
  for (const auto& object : from) {
    std::string key = key_of(object);
    if (removed.contains(key)) continue;
    auto it = upserted.find(key);
    if (it == upserted.end()) {
      *out->Add() = object;
    } else if (!it->second.placed) {
      *out->Add() = *it->second.object;
      it->second.placed = true;
    }
  }
  for (const auto& object : upserts) {
    auto& entry = upserted[key_of(object)];
    if (entry.placed) continue;
    *out->Add() = *entry.object;
    entry.placed = true;
  }
}

}  // namespace

wire::ProgramDelta diff(const wire::Program& from, const wire::Program& to) {
  wire::ProgramDelta d;
  if (from.generation() != to.generation()) d.set_generation(to.generation());
  if (from.host_underlay() != to.host_underlay()) d.set_host_underlay(to.host_underlay());
  if (from.router_mac() != to.router_mac()) d.set_router_mac(to.router_mac());
  if (from.region() != to.region()) d.set_region(to.region());
  diff_kind(from.vpcs(), to.vpcs(), d.mutable_upsert_vpcs(), d.mutable_remove_vpcs());
  diff_kind(from.subnets(), to.subnets(), d.mutable_upsert_subnets(), d.mutable_remove_subnets());
  diff_kind(from.route_tables(), to.route_tables(), d.mutable_upsert_route_tables(),
            d.mutable_remove_route_tables());
  diff_kind(from.security_groups(), to.security_groups(), d.mutable_upsert_security_groups(),
            d.mutable_remove_security_groups());
  diff_kind(from.network_acls(), to.network_acls(), d.mutable_upsert_network_acls(),
            d.mutable_remove_network_acls());
  diff_kind(from.enis(), to.enis(), d.mutable_upsert_enis(), d.mutable_remove_enis());
  diff_kind(from.mappings(), to.mappings(), d.mutable_upsert_mappings(),
            d.mutable_remove_mappings());
  diff_kind(from.flow_logs(), to.flow_logs(), d.mutable_upsert_flow_logs(),
            d.mutable_remove_flow_logs());
  if (!std::equal(from.edge_nodes().begin(), from.edge_nodes().end(), to.edge_nodes().begin(),
                  to.edge_nodes().end())) {
    d.mutable_edge_nodes()->mutable_addresses()->CopyFrom(to.edge_nodes());
  }
  diff_kind(from.nat_gateways(), to.nat_gateways(), d.mutable_upsert_nat_gateways(),
            d.mutable_remove_nat_gateways());
  diff_kind(from.load_balancers(), to.load_balancers(), d.mutable_upsert_load_balancers(),
            d.mutable_remove_load_balancers());
  return d;
}

wire::Program apply(const wire::Program& from, const wire::ProgramDelta& d) {
  wire::Program out;
  out.set_generation(d.has_generation() ? d.generation() : from.generation());
  out.set_host_underlay(d.has_host_underlay() ? d.host_underlay() : from.host_underlay());
  out.set_router_mac(d.has_router_mac() ? d.router_mac() : from.router_mac());
  out.set_region(d.has_region() ? d.region() : from.region());
  apply_kind(from.vpcs(), d.upsert_vpcs(), d.remove_vpcs(), out.mutable_vpcs());
  apply_kind(from.subnets(), d.upsert_subnets(), d.remove_subnets(), out.mutable_subnets());
  apply_kind(from.route_tables(), d.upsert_route_tables(), d.remove_route_tables(),
             out.mutable_route_tables());
  apply_kind(from.security_groups(), d.upsert_security_groups(), d.remove_security_groups(),
             out.mutable_security_groups());
  apply_kind(from.network_acls(), d.upsert_network_acls(), d.remove_network_acls(),
             out.mutable_network_acls());
  apply_kind(from.enis(), d.upsert_enis(), d.remove_enis(), out.mutable_enis());
  apply_kind(from.mappings(), d.upsert_mappings(), d.remove_mappings(), out.mutable_mappings());
  apply_kind(from.flow_logs(), d.upsert_flow_logs(), d.remove_flow_logs(), out.mutable_flow_logs());
  out.mutable_edge_nodes()->CopyFrom(d.has_edge_nodes() ? d.edge_nodes().addresses()
                                                        : from.edge_nodes());
  apply_kind(from.nat_gateways(), d.upsert_nat_gateways(), d.remove_nat_gateways(),
             out.mutable_nat_gateways());
  apply_kind(from.load_balancers(), d.upsert_load_balancers(), d.remove_load_balancers(),
             out.mutable_load_balancers());
  return out;
}

wire::ProgramDelta diff(const program::Program& from, const program::Program& to) {
  return diff(encode(from), encode(to));
}

Result<program::Program> apply(const program::Program& from, const wire::ProgramDelta& delta) {
  return decode(apply(encode(from), delta));
}

bool is_empty(const wire::ProgramDelta& delta) {
  return delta.ByteSizeLong() == 0;
}

}  // namespace openvpc::mapping
