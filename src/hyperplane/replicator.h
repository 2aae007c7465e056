// replicator.h — a hyperplane node's flow replication to and from its shard peers.
//
// Owns the node's UDP socket on UNDERLAY:6082 (io::UnderlaySocket: sendmmsg/recvmmsg, never
// blocking) and, on the loop thread:
//   drain(): after each batch, every entry of the NatTable's journal (flows this node created,
//     refreshed or retired) becomes a record for each live peer of its gateway's shard (every
//     slot's node but this one and the down ones), packed kMaxRecords to a datagram per peer,
//     sent at once (flow_replication.h);
//   set_shards(): on each program; a peer new to a gateway's shard (a restarted node, or one
//     filling a dead node's slot) gets a bulk sync of every flow of that gateway this node
//     holds (its own and its replicas), which pump() sends a bounded number of datagrams at a
//     time, starting kBulkDelayNs later: the newcomer learns of the gateway from its own
//     program, which may reach it a little after ours reached us (until then it would refuse
//     the records as not from a peer);
//   receive(): decodes what peers sent (only from addresses that are a shard peer of the
//     record's gateway; anything else is a counted drop) into NatTable::insert_replica /
//     erase_replica, and records the send-to-receive latency (replication_latency.h).
// Load balancers' flows (lb_table.h) travel the same way, as ops 3 / 4 records, to the live
// peers of each load balancer's shard, when an LbTable is attached (set_lb_table): drain()
// sends its journal too, set_shards() takes the load balancers' shards as a second list (a
// new peer gets a bulk sync of that load balancer's flows), receive() applies ops 3 / 4 to it.
// Memory is allocated by set_shards (control path); drain/pump/receive allocate nothing.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/result.h"
#include "hyperplane/flow_replication.h"
#include "hyperplane/lb_table.h"
#include "hyperplane/nat_table.h"
#include "hyperplane/replication_latency.h"
#include "io/underlay_socket.h"

namespace openvpc::hyperplane {

// A gateway's shard as replication sees it: its peers (live shard nodes other than this one).
struct ShardPeers {
  uint32_t gateway_number = 0;
  uint16_t gateway_index = 0;  // NatTable's index of the gateway
  std::vector<uint32_t> peers;
};

struct ReplicationStats {
  uint64_t datagrams_sent = 0;
  uint64_t records_sent = 0;
  uint64_t bulk_records_sent = 0;
  uint64_t send_failed = 0;  // datagrams the socket refused or had no room for
  uint64_t datagrams_received = 0;
  uint64_t records_received = 0;
  std::array<uint64_t, kReplicationErrorCount> dropped{};  // datagrams (not_a_peer: records)
  std::array<uint64_t, kReplicaResultCount> applied{};     // records, by what the table did
  std::array<uint64_t, size_t(LbReplicaResult::count_)> lb_applied{};  // load balancer records
};

class Replicator {
 public:
  static Result<Replicator> open(uint32_t underlay_v4, uint16_t port = kReplicationPort);

  int fd() const { return socket_.fd(); }
  uint16_t port() const { return socket_.port(); }
  static constexpr uint64_t kBulkDelayNs = 500'000'000;
  // Replaces the shards (control path: allocates); starts a bulk sync toward each new peer.
  // lb_shards: the load balancers' (gateway_number: the load balancer's number,
  // gateway_index: its LbTable index).
  void set_shards(std::vector<ShardPeers> shards, uint64_t now_ns,
                  std::vector<ShardPeers> lb_shards = {});
  // The load balancers' flow table (nullptr: none; ops 3 / 4 are then refused as not_a_peer).
  void set_lb_table(LbTable* table) { lb_table_ = table; }
  // Sends the table's journal to the peers and clears it.
  void drain(NatTable& table, uint64_t now_ns);
  // Advances the bulk syncs by up to `slots` table slots; true while some remain.
  bool pump(const NatTable& table, size_t slots, uint64_t now_ns);
  bool syncing() const { return !bulk_.empty(); }
  // Applies every waiting datagram from peers to the table (`now`: its clock, seconds).
  void receive(NatTable& table, uint32_t now, uint64_t now_ns);

  const ReplicationStats& stats() const { return stats_; }
  const ReplicationLatency& latency() const { return latency_; }

 private:
  struct Outbox {  // records waiting for one peer
    uint32_t peer = 0;
    uint8_t flags = 0;
    uint16_t count = 0;
    std::array<uint8_t, kMaxReplicationDatagram> bytes{};
  };
  struct Bulk {
    bool lb = false;
    uint32_t gateway_number = 0;
    uint16_t gateway_index = 0;
    size_t cursor = 0;
    uint64_t start_ns = 0;
    Outbox out;
  };
  explicit Replicator(io::UnderlaySocket socket);
  void add(Outbox& box, const ReplicationRecord& record, uint64_t now_ns);
  void flush(Outbox& box, uint64_t now_ns);
  const ShardPeers* shard(uint32_t gateway_number, bool lb = false) const;
  void drain_lb(uint64_t now_ns);
  bool is_peer(uint32_t address) const;

  io::UnderlaySocket socket_;
  std::vector<ShardPeers> shards_;
  std::vector<ShardPeers> lb_shards_;
  LbTable* lb_table_ = nullptr;
  std::vector<Outbox> outboxes_;                       // one per distinct peer
  std::vector<std::vector<uint16_t>> shard_outboxes_;  // per shard: its peers' outboxes
  std::vector<std::vector<uint16_t>> lb_shard_outboxes_;
  std::vector<Bulk> bulk_;
  std::vector<uint8_t> receive_storage_;
  std::vector<io::Datagram> received_;
  std::array<ReplicationRecord, kMaxRecords> records_{};
  ReplicationStats stats_;
  ReplicationLatency latency_;
};

}  // namespace openvpc::hyperplane
