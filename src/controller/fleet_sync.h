// fleet_sync.h — keeps this controller's fleet records in the store and its view of the whole
// live fleet (fleet_membership.h) in step, and says when membership changed.
//
// set_local() runs when a node attaches to or leaves this controller (the mapping service's
// on_nodes): it writes this controller's records at once, so the other controllers hear of the
// change through their watch within milliseconds. start() runs a thread that watches
// kFleetPrefix and, on every event and at least every tick, syncs: renews this controller's
// records when a third of the lease has passed, reads every record, erases the abandoned ones
// and recomputes the live set. `changed` runs only when the live set's membership differs from
// the last one it was given (a node appears, goes, expires or changes underlay) — never for a
// plain renewal — so heartbeats are not region changes and recompile nothing.
//
// Without a store (nullptr: the SQLite backend, which one controller owns) there is nobody to
// share with: the live set is exactly the local one, nothing is written, and start() starts
// nothing — the single-controller behaviour of before (and no renewal rows in a SQLite history
// that nothing compacts).
//
// Cost on etcd: one transaction per controller that holds nodes every lease/3 (each a store
// revision, kept in etcd's history until etcd compacts it: run etcd with
// --auto-compaction-retention), and one range read of the records per event and per tick.
//
// A read or write that fails leaves the other controllers' nodes as they were (expiry is
// judged at the last successful read) but still applies this controller's own: a controller
// cut off from the store must not declare the rest of the fleet dead meanwhile, and its
// routers must hear at once of a node that left it. A controller that stops does not
// erase its records: its nodes reattach to another controller within seconds (which writes
// its own records) and the stopped one's expire after the lease, so a controller restart moves
// no shard.
//
// Threading: every method may be called from any thread; syncs are serialised, and `changed`
// runs with that serialisation held (so the last call it gets is the latest state). It must
// not call back into this object except live().
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "common/result.h"
#include "controller/fleet_membership.h"

namespace openvpc::controller {

class FleetSync {
 public:
  using Changed = std::function<void(const std::vector<FleetNode>& live)>;

  // store: the shared store, or nullptr (see above). now_ms: a monotonic clock.
  FleetSync(store::Store* store, std::string controller_id, std::chrono::milliseconds lease,
            std::function<int64_t()> now_ms, Changed changed);
  ~FleetSync();
  FleetSync(const FleetSync&) = delete;
  FleetSync& operator=(const FleetSync&) = delete;

  // The nodes attached to this controller now (NodeRegistry::nodes()).
  Result<void> set_local(const std::vector<mapping::NodeStatus>& nodes);
  // Renews if due, reads every record, erases abandoned ones, recomputes the live set.
  Result<void> sync();
  std::vector<FleetNode> live() const;
  uint64_t invalid_records() const;

  // Watches the store on a thread of its own until stop(), syncing on every event and at least
  // every min(500 ms, lease / 4) (reads must come more often than every half lease,
  // fleet_membership.h); no-op without a store.
  void start();
  void stop();

 private:
  Result<void> sync_locked(bool renew_now);
  Result<void> exchange_locked(bool renew_now);  // the store's part of a sync
  void publish_locked();
  void run(std::chrono::milliseconds tick);

  store::Store* const store_;
  const std::function<int64_t()> now_ms_;
  const Changed changed_;
  mutable std::mutex sync_mutex_;  // serialises set_local/sync and the changed callback
  FleetMembership membership_;
  int64_t next_renewal_ms_ = 0;
  int64_t last_read_ms_ = 0;  // when the records were last read (expiry is judged then)
  // The live set changed_ was last given; empty at first, as the programs' fleet is.
  std::vector<FleetNode> applied_;
  bool failing_ = false;  // the last sync failed (logged once until one succeeds)
  mutable std::mutex view_mutex_;
  std::vector<FleetNode> view_;  // the latest live set (holders may move without a change)
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace openvpc::controller
