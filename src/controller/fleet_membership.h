// fleet_membership.h — which edge and hyperplane nodes are live across every controller that
// shares the store (the pure part: no store, no clock of its own; fleet_sync.h does the IO).
//
// A node is attached to one controller at a time (its Subscribe stream, NodeRegistry), but
// placement and the compiled programs must see the whole fleet, or two controllers place NAT
// gateways on different node sets and a router on controller A sees a node on controller B as
// down. So each controller records the nodes it holds, one key per (node, controller):
//
//   /openvpc/fleet/nodes/<node id>/<controller id>
//       -> {"node_id", "role": "edge"|"hyperplane", "underlay", "controller", "renewal": N}
//
// and rewrites them every lease/3 (a renewal: N counts up, so every renewal is a new
// mod_revision). This controller's live set is the union of:
//  - this controller's own nodes (set_local: the truth, whatever the store says), and
//  - every other controller's record whose mod_revision this controller saw move less than one
//    lease ago, measured on THIS controller's clock (observe()).
// Ages are measured by the reader, not from a timestamp the writer put in the record, so the
// controllers' clocks need not agree; a controller that starts counts every record as renewed
// at its first read (a dead controller's records then last one more lease). Time the reader
// could not read (more than half a lease between two reads: the store was down, and the
// writers most likely could not renew either) does not age anyone's records: otherwise the
// first read after an outage would declare every other controller's nodes dead, and placement
// would move their shards, a moment before their renewals arrive. The store has no
// leases (the SQLite backend has none, and the Store interface is shared), hence the renewals.
//
// One key per (node, controller) means no two controllers ever write the same key: a node
// that moves from A to B (A died) gets B's record at once, and A's expires or is erased by A.
// Where several records name one node, this controller's own wins, then the newest
// (highest mod_revision). Records nobody renewed for two leases are abandoned(): any controller
// erases them with a compare on their mod_revision (a late renewal wins the race).
//
// Store contents are untrusted: a record whose key does not match its value, or whose role or
// underlay does not parse, is ignored and counted (invalid_records()).
// Not thread-safe: FleetSync serialises every call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/node_registry.h"
#include "store/store.h"

namespace openvpc::controller {

inline constexpr std::string_view kFleetPrefix = "/openvpc/fleet/nodes/";

// One live edge or hyperplane node, as placement and the program compiler need it.
struct FleetNode {
  std::string node_id;
  mapping::NodeRole role = mapping::NodeRole::hyperplane;
  std::string underlay;    // dotted IPv4
  std::string controller;  // the controller the node is attached to
  bool operator==(const FleetNode&) const = default;
};

// The store key of node_id's record by controller_id.
std::string fleet_key(std::string_view node_id, std::string_view controller_id);
std::string encode_fleet_record(const FleetNode& node, uint64_t renewal);
// nullopt when kv is not a well-formed record under kFleetPrefix (its key names another
// node or controller than its value, an unknown role, an underlay that is not IPv4).
std::optional<FleetNode> decode_fleet_record(const store::KeyValue& kv);

// Whether two live sets differ in what placement and the programs use (node ids, roles,
// underlays): a node moving to another controller is not a membership change.
bool same_membership(const std::vector<FleetNode>& a, const std::vector<FleetNode>& b);

class FleetMembership {
 public:
  FleetMembership(std::string controller_id, int64_t lease_ms)
      : controller_id_(std::move(controller_id)), lease_ms_(lease_ms) {}

  const std::string& controller_id() const { return controller_id_; }
  int64_t lease_ms() const { return lease_ms_; }

  // The edge and hyperplane nodes whose stream is open on this controller (routers ignored).
  void set_local(const std::vector<mapping::NodeStatus>& nodes);
  // Every record under kFleetPrefix, read from the store at now_ms: a key seen for the first
  // time, or whose mod_revision moved, counts as renewed at now_ms; keys not in records are
  // forgotten (erased). Reads are expected at least every half lease (see above).
  void observe(const std::vector<store::KeyValue>& records, int64_t now_ms);
  // The live fleet at now_ms, sorted by node id.
  std::vector<FleetNode> live(int64_t now_ms) const;
  // The operations that make this controller's records match set_local(): a put per local node
  // (the renewal count moved on), an erase per record of this controller's whose node it no
  // longer holds. Call renewed() once they are committed.
  std::vector<store::Operation> renewal();
  void renewed();
  // Other controllers' records unrenewed for two leases (their controller is gone), each as
  // a compare on its last seen mod_revision: erase the key only if it still holds.
  std::vector<store::Compare> abandoned(int64_t now_ms) const;
  uint64_t invalid_records() const { return invalid_records_; }

 private:
  struct Observed {
    int64_t mod_revision = 0;
    int64_t renewed_at_ms = 0;      // this controller's clock when mod_revision last moved
    std::optional<FleetNode> node;  // nullopt: invalid record
  };
  const std::string controller_id_;
  const int64_t lease_ms_;
  std::map<std::string, FleetNode> local_;    // by node id
  std::map<std::string, Observed> observed_;  // by key
  std::vector<std::string> written_;          // own keys the committed renewals put
  std::vector<std::string> pending_;          // own keys the last renewal() puts
  int64_t last_observed_ms_ = -1;             // the last observe(); -1: none yet
  uint64_t renewal_count_ = 0;
  uint64_t invalid_records_ = 0;
};

}  // namespace openvpc::controller
