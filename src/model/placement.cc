#include "model/placement.h"

#include <algorithm>
#include <set>

namespace openvpc::model {

namespace {

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (char ch : text) {
    hash ^= static_cast<uint8_t>(ch);
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t mix64(uint64_t x) {  // splitmix64's finaliser: every input bit moves every output bit
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint64_t placement_score(const std::string& resource_id, const std::string& node_id) {
  return mix64(mix64(fnv1a64(resource_id)) ^ fnv1a64(node_id));
}

std::vector<std::string> place_shard(const std::string& resource_id,
                                     const std::vector<std::string>& previous,
                                     const std::vector<std::string>& live_nodes, int shard_size) {
  const std::set<std::string> live(live_nodes.begin(), live_nodes.end());
  const size_t cap = static_cast<size_t>(std::max(shard_size, 0));
  // A shard never loses slots (each slot owns a share of the port space: fewer slots would
  // move every flow's owner), and grows up to shard_size while live nodes allow.
  const size_t size = std::max(std::min(previous.size(), cap), std::min(cap, live.size()));
  // Candidates best first (ties, which need equal 64-bit scores, broken by node id).
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (const auto& node : live) ranked.emplace_back(placement_score(resource_id, node), node);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> shard, dead;  // dead[i]: the slot's dead node, kept if unfilled
  std::set<std::string> taken(previous.begin(), previous.end());  // never twice in one shard
  for (const auto& node : previous) {  // survivors keep their slots; dead slots are holes
    if (shard.size() == size) break;
    const bool keep = live.contains(node);
    shard.push_back(keep ? node : std::string());
    dead.push_back(keep ? std::string() : node);
  }
  auto next = ranked.begin();
  auto fill = [&]() -> std::string {
    while (next != ranked.end() && taken.contains(next->second)) ++next;
    if (next == ranked.end()) return {};
    taken.insert(next->second);
    return (next++)->second;
  };
  for (size_t i = 0; i < shard.size(); ++i) {
    if (shard[i].empty()) shard[i] = fill();
    if (shard[i].empty()) shard[i] = dead[i];  // no spare node: the slot waits for its own
  }
  while (shard.size() < size) {
    auto node = fill();
    if (node.empty()) break;
    shard.push_back(std::move(node));
  }
  std::erase(shard, std::string());
  return shard;
}

}  // namespace openvpc::model
