#include "mapping/program_delta.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "mapping/program_codec.h"

namespace openvpc::mapping {
namespace {

template <typename T>
using Repeated = google::protobuf::RepeatedPtrField<T>;

std::string id_key(uint32_t id) {
  return std::string(reinterpret_cast<const char*>(&id), 4);
}

// An IPv4 address may arrive as 4 bytes or as 16 (mapped); both name the same mapping.
std::string mapping_key(uint32_t vpc, const std::string& address) {
  static constexpr char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff'};
  if (address.size() == 16 && address.compare(0, 12, kMapped, 12) == 0) {
    return id_key(vpc) + address.substr(12);
  }
  return id_key(vpc) + address;
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

void add_removal(Repeated<wire::MappingKey>* removals, const wire::Mapping& m) {
  auto* k = removals->Add();
  k->set_vpc(m.vpc());
  k->set_address(m.address());
}
template <typename T>
void add_removal(google::protobuf::RepeatedField<uint32_t>* removals, const T& object) {
  removals->Add(object.id());
}

template <typename T, typename Removals>
void diff_kind(const Repeated<T>& from, const Repeated<T>& to, Repeated<T>* upserts,
               Removals* removals) {
  std::unordered_map<std::string, const T*> old;
  for (const auto& object : from) old[key_of(object)] = &object;
  std::unordered_set<std::string> kept;
  std::string before, after;  // reused: one allocation each, not two per object
  for (const auto& object : to) {
    std::string key = key_of(object);
    auto it = old.find(key);
    bool changed = it == old.end();
    if (!changed) {
      it->second->SerializeToString(&before);
      object.SerializeToString(&after);
      changed = before != after;
    }
    if (changed) *upserts->Add() = object;
    kept.insert(std::move(key));
  }
  for (const auto& object : from) {
    // insert() also makes a duplicate key in `from` produce one removal, not two.
    if (kept.insert(key_of(object)).second) add_removal(removals, object);
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
