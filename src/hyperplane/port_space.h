// port_space.h — the source ports of a NAT gateway, split among its shard so that no two nodes
// ever hand out the same (NAT address, port) for the same destination, without locks.
//
// Each NAT address's ports 1024..65535 are cut into one contiguous range per shard slot
// (model/placement.h: slot i of the shard); a node allocates only from the ranges of the slots
// it owns (its own, plus a dead predecessor's once it takes over), so the destination port of
// a return packet names the slot — and so the node — that holds the flow. EC2 allows 55,000
// concurrent connections per (NAT address, destination IP, destination port, protocol); each
// slot may hold its share of that (slot_cap: the shares sum to exactly 55,000), so the shard
// as a whole never exceeds it and, with flows spread evenly by the routers' flow hash, reaches
// it. Beyond its share a slot refuses (the caller drops and counts ErrorPortAllocation).
//
// PortAllocator: the ports in use in one slot's range, per destination. Fixed capacity chosen at
// construction (open addressing, linear probing, backward-shift deletion): allocate and release
// never allocate memory, take no locks and throw nothing; single-threaded (one per worker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/nat_shard.h"

namespace openvpc::hyperplane {

inline constexpr uint32_t kFirstNatPort = dataplane::kFirstNatPort;
inline constexpr uint32_t kNatPorts = dataplane::kNatPorts;
inline constexpr uint32_t kMaxConnectionsPerDestination = 55'000;

struct PortRange {
  uint32_t first = kFirstNatPort;
  uint32_t count = 0;
  bool contains(uint32_t port) const { return port >= first && port - first < count; }
};

// Slot `slot` of `slots` (0 <= slot < slots): contiguous ranges covering 1024..65535, sizes
// differing by at most one.
PortRange slot_range(int slot, int slots);
// The slot whose range holds port; -1 for ports below 1024 or a bad slot count (the senders'
// dataplane::nat_port_slot: one definition).
inline int slot_of_port(uint32_t port, int slots) {
  return dataplane::nat_port_slot(port, slots);
}
// Slot's share of the `total` (EC2: 55,000) connections per destination (shares sum to
// exactly total, each at most the slot's range).
uint32_t slot_cap(int slot, int slots, uint32_t total = kMaxConnectionsPerDestination);

struct Destination {
  uint32_t nat_address = 0;  // host order
  uint32_t address = 0;      // host order
  uint16_t port = 0;         // the ICMP echo id's destination is 0
  uint8_t protocol = 0;
  bool operator==(const Destination&) const = default;
};

class PortAllocator {
 public:
  // At most max_flows ports in use at once (over all destinations) and max_destinations
  // distinct destinations with a port in use.
  PortAllocator(PortRange range, uint32_t cap, size_t max_flows, size_t max_destinations);

  // A free port of the range for destination, searched from hint (e.g. a hash of the flow's
  // source, so a retransmitted SYN of a lost flow tends to get its old port); nullopt when the
  // destination is at its cap or the tables are full.
  std::optional<uint16_t> allocate(const Destination& destination, uint32_t hint);
  // Marks port in use (a replicated flow from a peer, or the one a dead owner gave); false when
  // it already was, is outside the range, or the tables are full.
  bool claim(const Destination& destination, uint16_t port);
  // Frees port; false when it was not in use.
  bool release(const Destination& destination, uint16_t port);

  uint32_t in_use(const Destination& destination) const;
  size_t flows() const { return flows_; }
  const PortRange& range() const { return range_; }

 private:
  struct Flow {
    Destination destination;
    uint16_t port = 0;
    bool used = false;
  };
  struct Count {
    Destination destination;
    uint32_t count = 0;  // 0: the slot is empty
  };
  size_t find_flow(const Destination& destination, uint16_t port) const;  // slot or npos
  Count* count_of(const Destination& destination, bool create);
  void erase_flow(size_t slot);
  void erase_count(size_t slot);

  PortRange range_;
  uint32_t cap_;
  size_t max_flows_, max_destinations_;
  size_t flows_ = 0, destinations_ = 0;
  std::vector<Flow> flow_table_;    // power-of-two size >= 2 * max_flows
  std::vector<Count> count_table_;  // power-of-two size >= 2 * max_destinations
};

}  // namespace openvpc::hyperplane
