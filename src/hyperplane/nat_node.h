// nat_node.h — openvpc-hyperplane: a hyperplane node's sockets, program and packet loop.
//
// One NatNode runs, on one thread, the NAT data path of every NAT gateway placed on the node
// and the load balancer data path of every network load balancer placed on it (lb_table.h,
// lb_translator.h: the NAT translator hands each packet for a load balancer interface to the
// LB translator in the same pass; one send batch; the replicator carries both kinds of flows;
// every 100 ms LbTranslator::reap() expires LB flows and resets those whose target left):
//   underlay: a UDP socket bound to UNDERLAY:6081 (receive) and a raw socket (send, so each
//     flow keeps its outer UDP source port), as the edge and the routers do; each batch goes
//     through NatNodeTranslator (nat_node_translator.h) over one NatTable;
//   replication: UDP UNDERLAY:6082 (replicator.h): the table's journal is sent to the shard
//     peers after every batch; peers' records become replicas; bulk syncs are paced;
//   timers: NatTable::expire() a slice of the table every 100 ms (idle flows go, flows with
//     traffic are re-sent to peers), a /metrics snapshot every 200 ms, and every second the
//     per-gateway counters (Amazon's names) given to the mapping client, whose Acks carry them
//     to the controller (mapping/resource_metrics.h: it sums each gateway over its shard).
// The program comes from the controller's mapping service (role "hyperplane"): the controller
// counts the node live while that stream is open and places gateways on it. Each program is
// compiled (node_program.h) on the mapping client's thread and handed to the loop, which
// applies it between batches.
//
// Threading: run() on the caller's thread until stop(); snapshot() from any thread (a copy
// refreshed every 200 ms).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "hyperplane/nat_node_translator.h"
#include "hyperplane/node_health.h"
#include "hyperplane/node_program.h"
#include "hyperplane/replicator.h"
#include "io/raw_underlay_socket.h"
#include "io/underlay_socket.h"
#include "mapping/mapping_client.h"

namespace openvpc::hyperplane {

struct NatNodeOptions {
  std::string node_id;
  std::string underlay_ip;
  std::string controller;       // ADDRESS:PORT of the mapping service; empty: none (tests
                                // hand programs over with offer_program)
  std::string tls_dir;          // mapping_client.h: ca.pem, cert.pem, key.pem; empty: plaintext
  uint32_t idle_timeout = 350;  // seconds (Amazon's NAT gateway idle timeout)
  size_t max_flows = 131072;    // flows (own and replicas) the table holds
  // Connections per (NAT address, destination, port, protocol) over the shard (EC2: 55,000).
  uint32_t max_connections_per_destination = kMaxConnectionsPerDestination;
  size_t max_lb_flows = 131072;  // load balancer flows (own and replicas) the node holds
};

// What /metrics shows; copied under a mutex a few times a second.
struct NatNodeSnapshot {
  struct Gateway {
    std::string name;
    int slot = 0;
    NatGatewayCounters counters{};
  };
  std::vector<Gateway> gateways;
  struct LoadBalancer {
    std::string name;  // "net/<name>/<id>"
    int slot = 0;
    LbCounters counters{};
  };
  std::vector<LoadBalancer> load_balancers;
  LbNodeCounters lb_counters;
  size_t lb_flows = 0;
  size_t lb_replica_flows = 0;
  uint64_t lb_journal_overflows = 0;
  HealthProberCounters health;
  uint64_t health_unmatched = 0;
  NodeCounters counters;
  ReplicationStats replication;
  ReplicationLatency latency;
  size_t flows = 0;
  size_t replica_flows = 0;
  uint64_t journal_overflows = 0;
  uint64_t program_version = 0;
  uint64_t programs_applied = 0;
  uint64_t programs_refused = 0;
  bool controller_connected = false;
  io::UnderlaySocketStats underlay_receive;
  io::UnderlaySocketStats underlay_send;
  uint64_t underlay_send_failed = 0;
};

class NatNode {
 public:
  static Result<std::unique_ptr<NatNode>> create(const NatNodeOptions& options);
  ~NatNode();
  NatNode(const NatNode&) = delete;
  NatNode& operator=(const NatNode&) = delete;

  // Starts the mapping client and runs the packet loop until stop().
  void run();
  // Compiles a program and hands it to the loop (the mapping client's callback; any thread).
  Result<void> offer_program(const program::Program& program, uint64_t version);
  void stop() { stopping_.store(true, std::memory_order_relaxed); }
  NatNodeSnapshot snapshot() const;
  // The load balancers' translator, for the health prober (its health input and ProbeSink):
  // loop thread only.
  LbTranslator& load_balancers() { return lb_translator_; }

 private:
  NatNode(const NatNodeOptions& options, uint32_t underlay_v4, io::UnderlaySocket underlay,
          io::RawUnderlaySocket underlay_out, Replicator replicator);
  void pick_up_plan();
  void receive_underlay(uint32_t now);
  uint32_t now_seconds() const;
  void publish_snapshot();
  void report_metrics();  // this node's per-gateway counters, for the controller's sums
  void reap_load_balancers(uint32_t now);  // LB idle flows; resets for targets that left

  NatNodeOptions options_;
  uint32_t underlay_v4_ = 0;
  uint64_t start_ns_ = 0;
  io::UnderlaySocket underlay_;
  io::RawUnderlaySocket underlay_out_;
  Replicator replicator_;
  NatTable table_;
  NatNodeTranslator translator_;
  LbTable lb_table_;
  LbTranslator lb_translator_;
  NodeHealth health_;  // the targets' health checks (the translator's ProbeSink)
  std::unique_ptr<mapping::MappingClient> client_;

  // Handed over from the mapping client's thread.
  std::mutex plan_mutex_;
  std::shared_ptr<const NodePlan> pending_plan_;  // also the `previous` of the next compile
  uint64_t pending_version_ = 0;
  std::atomic<uint64_t> plan_generation_{0};
  uint64_t seen_generation_ = 0;
  std::atomic<uint64_t> programs_applied_{0};
  std::atomic<uint64_t> programs_refused_{0};
  uint64_t program_version_ = 0;
  std::shared_ptr<const NodePlan> plan_;  // in force (loop thread)

  std::vector<uint8_t> storage_;  // batch buffers
  std::vector<io::Datagram> datagrams_;
  std::vector<dataplane::Packet> packets_;
  std::vector<io::Datagram> out_batch_;
  std::vector<uint8_t> reset_storage_;  // the RSTs reap() writes
  std::vector<dataplane::Packet> resets_;
  uint64_t underlay_send_failed_ = 0;

  std::atomic<bool> stopping_{false};
  mutable std::mutex snapshot_mutex_;
  NatNodeSnapshot snapshot_;
};

}  // namespace openvpc::hyperplane
