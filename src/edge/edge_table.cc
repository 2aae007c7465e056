#include "edge/edge_table.h"

#include <algorithm>
#include <map>
#include <set>

namespace openvpc::edge {

namespace {

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

uint64_t private_key(uint32_t vpc, uint32_t private_v4) {
  return uint64_t(vpc) << 32 | private_v4;
}

Error invalid(const std::string& message) {
  return make_error("edge.invalid_program", message);
}

}  // namespace

const PublicBinding* EdgeTable::by_public(uint32_t public_v4) const {
  if (public_slots_.empty()) return nullptr;
  for (size_t i = mix(public_v4) & mask_;; i = (i + 1) & mask_) {
    const int32_t at = public_slots_[i];
    if (at == kEmpty) return nullptr;
    if (bindings[size_t(at)].public_v4 == public_v4) return &bindings[size_t(at)];
  }
}

const PublicBinding* EdgeTable::by_private(uint32_t vpc, uint32_t private_v4) const {
  if (private_slots_.empty()) return nullptr;
  for (size_t i = mix(private_key(vpc, private_v4)) & mask_;; i = (i + 1) & mask_) {
    const int32_t at = private_slots_[i];
    if (at == kEmpty) return nullptr;
    const PublicBinding& b = bindings[size_t(at)];
    if (b.vpc == vpc && b.private_v4 == private_v4) return &b;
  }
}

bool EdgeTable::serves_vpc(uint32_t vpc) const {
  return std::binary_search(vpcs_.begin(), vpcs_.end(), vpc);
}

Result<std::shared_ptr<const EdgeTable>> compile_edge_table(const program::Program& program) {
  auto table = std::make_shared<EdgeTable>();
  table->generation = program.generation;
  if (!program.host_underlay.is_v4()) return invalid("the edge's underlay address is not IPv4");
  table->underlay_v4 = program.host_underlay.v4_host_order();
  for (const auto& vpc : program.vpcs) table->vpcs_.push_back(vpc.id);
  std::sort(table->vpcs_.begin(), table->vpcs_.end());
  std::map<uint32_t, int32_t> shard_of;  // gateway id -> index into nat_shards
  for (const auto& g : program.nat_gateways) {
    const std::string name = "nat gateway " + std::to_string(g.id);
    if (!shard_of.emplace(g.id, int32_t(table->nat_shards.size())).second) {
      return invalid("duplicate " + name);
    }
    if (g.eni == 0) return invalid(name + " has no eni");
    NatShard shard{g.id, g.eni, {}};
    for (const auto& node : g.nodes) {
      if (!node.is_v4()) {
        return invalid(name + " node " + program::format_address(node) + " is not IPv4");
      }
      shard.nodes_v4.push_back(node.v4_host_order());
    }
    table->nat_shards.push_back(std::move(shard));
  }
  std::map<uint32_t, int32_t> lb_shard_of;  // load balancer id -> index into nat_shards
  std::set<std::pair<uint32_t, uint32_t>> lb_interfaces;  // (load balancer id, interface eni)
  for (const auto& lb : program.load_balancers) {
    const std::string name = "load balancer " + std::to_string(lb.id);
    if (!lb_shard_of.emplace(lb.id, int32_t(table->nat_shards.size())).second) {
      return invalid("duplicate " + name);
    }
    NatShard shard{lb.id, 0, {}, true};
    for (const auto& node : lb.nodes) {
      if (!node.is_v4()) {
        return invalid(name + " node " + program::format_address(node) + " is not IPv4");
      }
      shard.nodes_v4.push_back(node.v4_host_order());
    }
    for (const auto& i : lb.interfaces) lb_interfaces.emplace(lb.id, i.eni);
    table->nat_shards.push_back(std::move(shard));
  }
  for (const auto& m : program.mappings) {
    if (!m.public_address) continue;
    if (m.load_balancer != 0) {
      if (!m.public_address->is_v4() || !m.address.is_v4()) {
        return invalid("binding " + program::format_address(m.address) + " is not IPv4");
      }
      const auto shard = lb_shard_of.find(m.load_balancer);
      if (shard == lb_shard_of.end() || m.eni == 0 ||
          !lb_interfaces.count({m.load_balancer, m.eni})) {
        return invalid("binding " + program::format_address(m.address) +
                       " names no interface of a known load balancer " +
                       std::to_string(m.load_balancer));
      }
      PublicBinding b{m.public_address->v4_host_order(),
                      m.address.v4_host_order(),
                      m.vpc,
                      m.eni,
                      0,
                      shard->second};
      table->bindings.push_back(b);
      continue;
    }
    const bool nat = m.nat_gateway != 0;
    if (!m.public_address->is_v4() || !m.address.is_v4() || (!nat && !m.underlay.is_v4())) {
      return invalid("binding " + program::format_address(m.address) + " is not IPv4");
    }
    PublicBinding b{m.public_address->v4_host_order(), m.address.v4_host_order(), m.vpc, m.eni,
                    nat ? 0 : m.underlay.v4_host_order()};
    if (nat) {
      auto shard = shard_of.find(m.nat_gateway);
      if (shard == shard_of.end()) {
        return invalid("binding " + program::format_address(m.address) +
                       " names unknown nat gateway " + std::to_string(m.nat_gateway));
      }
      b.shard = shard->second;
      const uint32_t gateway_eni = table->nat_shards[size_t(b.shard)].eni;
      if (m.eni != 0 && m.eni != gateway_eni) {
        return invalid("binding " + program::format_address(m.address) + " has eni " +
                       std::to_string(m.eni) + ", its nat gateway " +
                       std::to_string(m.nat_gateway) + " eni " + std::to_string(gateway_eni));
      }
      b.eni = gateway_eni;
    }
    table->bindings.push_back(b);
  }
  size_t size = 16;
  while (size < table->bindings.size() * 2) size <<= 1;
  table->mask_ = size - 1;
  table->public_slots_.assign(size, EdgeTable::kEmpty);
  table->private_slots_.assign(size, EdgeTable::kEmpty);
  for (size_t n = 0; n < table->bindings.size(); ++n) {
    const PublicBinding& b = table->bindings[n];
    if (table->by_public(b.public_v4) != nullptr) {
      return invalid("public address " +
                     program::format_address(program::IpAddress::v4(b.public_v4)) +
                     " is bound twice");
    }
    size_t i = mix(b.public_v4) & table->mask_;
    while (table->public_slots_[i] != EdgeTable::kEmpty) i = (i + 1) & table->mask_;
    table->public_slots_[i] = int32_t(n);
    if (table->by_private(b.vpc, b.private_v4) != nullptr) {
      return invalid("private address " +
                     program::format_address(program::IpAddress::v4(b.private_v4)) +
                     " has two public addresses");
    }
    i = mix(private_key(b.vpc, b.private_v4)) & table->mask_;
    while (table->private_slots_[i] != EdgeTable::kEmpty) i = (i + 1) & table->mask_;
    table->private_slots_[i] = int32_t(n);
  }
  return std::shared_ptr<const EdgeTable>(std::move(table));
}

}  // namespace openvpc::edge
