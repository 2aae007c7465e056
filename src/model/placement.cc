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
  const size_t size = std::min(static_cast<size_t>(std::max(shard_size, 0)), live.size());
  // Candidates best first (ties, which need equal 64-bit scores, broken by node id).
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (const auto& node : live) ranked.emplace_back(placement_score(resource_id, node), node);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> shard;
  std::set<std::string> taken;
  for (const auto& node : previous) {  // survivors keep their slots; dead slots are holes
    if (shard.size() == size) break;
    const bool keep = live.contains(node) && !taken.contains(node);
    shard.push_back(keep ? node : std::string());
    if (keep) taken.insert(node);
  }
  auto next = ranked.begin();
  auto fill = [&]() -> std::string {
    while (next != ranked.end() && taken.contains(next->second)) ++next;
    if (next == ranked.end()) return {};
    taken.insert(next->second);
    return (next++)->second;
  };
  for (auto& slot : shard) {
    if (slot.empty()) slot = fill();
  }
  while (shard.size() < size) shard.push_back(fill());
  std::erase(shard, std::string());
  return shard;
}

}  // namespace openvpc::model
