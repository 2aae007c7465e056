// host_table.h — the mapping service's per-host state: desired program, version history,
// ACKed version and the one live subscription. No gRPC here; mapping_server.h wires it up.
//
// Versions are per host and consecutive: publishing a program that differs from the current
// one makes version + 1 and a delta from the previous one; an identical program makes nothing.
// The last deltas are kept — at most `history_limit`, and together no larger than the snapshot
// (past that a snapshot is the cheaper catch-up) — so that a router coming back with (epoch,
// version) gets only what it missed; otherwise (another epoch, a version out of the history) it
// gets a snapshot. A subscriber attached to a host is always sent everything up to the current
// version, in order, so the next delta applies to what it was sent last.
//
// Threading: every method may be called from any thread. The hosts are spread over kShards
// shards by their id, each with its own mutex, so publishes of hosts in different shards (and
// the ACKs of other shards' routers) do not wait for each other; publish() diffs the program
// outside the lock. A Subscriber's send() and close() are called with its host's shard mutex
// held, so they must only queue work and never call back into the table. A subscriber stays
// registered until detach(); the caller keeps it alive until then.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mapping.pb.h"
#include "mapping/flow_log_status.h"
#include "mapping/resource_metrics.h"
#include "program/program.h"

namespace openvpc::mapping {

// One router's stream as the table sees it.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Queues an update; updates must reach the router in the order of these calls.
  virtual void send(std::shared_ptr<const wire::ProgramUpdate> update) = 0;
  // Ends the stream (a newer stream for the same host, or the server stopping).
  virtual void close(const std::string& reason) = 0;
};

struct HostStatus {
  std::string host_id;
  uint64_t desired_version = 0;  // 0: nothing published yet
  uint64_t acked_version = 0;    // 0: the router runs no version of this epoch
  bool connected = false;
  uint64_t refused_version = 0;  // the last version the router refused (0: none since)
  std::string refused_reason;
  std::vector<FlowLogStatus> flow_logs{};           // as the router's last Ack reported them
  std::vector<ResourceMetrics> resource_metrics{};  // as a hyperplane node's last Ack did
};

class HostTable {
 public:
  HostTable(uint64_t epoch, size_t history_limit);

  uint64_t epoch() const { return epoch_; }

  // Makes `program` the host's desired program and sends the change to its subscriber.
  // Returns the host's version afterwards.
  uint64_t publish(std::string_view host_id, wire::Program program);

  // Makes `subscriber` the host's stream (closing an earlier one) and sends it what it needs
  // to reach the current version. A router resuming in this epoch counts as running the
  // version it names.
  void attach(const wire::Hello& hello, Subscriber* subscriber);
  // Forgets `subscriber` if it is still the host's stream.
  void detach(const std::string& host_id, const Subscriber* subscriber);
  // Records that the host runs `version`. False (and nothing recorded) when `subscriber` is
  // not the host's stream, the version was never published, or it is older than the last ACK.
  bool acknowledge(const std::string& host_id, const Subscriber* subscriber, uint64_t version);
  // Records that the host refused `version` (it keeps running its acked one) and why. A
  // later ACK clears it. Same conditions as acknowledge().
  bool refuse(const std::string& host_id, const Subscriber* subscriber, uint64_t version,
              const std::string& reason);
  // Records the flow-log statuses and resource metrics an Ack carried (bounded:
  // kMaxFlowLogStatuses, each error cut to 512 bytes; kMaxResources resources of at most
  // kMaxMetrics metrics, names of letters, digits and '_' only, else left out). False (nothing
  // recorded) when `subscriber` is not the host's stream.
  bool report(const std::string& host_id, const Subscriber* subscriber, const wire::Ack& ack);
  static constexpr size_t kMaxFlowLogStatuses = 4096;
  static constexpr size_t kMaxResources = 4096;
  static constexpr size_t kMaxMetrics = 64;
  // Closes every stream (the server is stopping); the state stays.
  void close_all(const std::string& reason);

  std::vector<HostStatus> hosts() const;  // sorted by host id
  // The version the host last ACKed (0: none in this epoch, or no such host); cheap, for
  // asking about a few hosts often (hosts() copies every host's reports).
  uint64_t acked_version(const std::string& host_id) const;

  // The shard that holds host_id: callers publishing from several threads split their hosts by
  // it, so that no two threads wait on one shard's mutex.
  static constexpr size_t kShards = 64;
  static size_t shard_of(std::string_view host_id);

 private:
  struct Host {
    uint64_t version = 0;
    uint64_t acked_version = 0;
    uint64_t refused_version = 0;
    std::string refused_reason;
    std::vector<FlowLogStatus> flow_logs;
    std::vector<ResourceMetrics> resource_metrics;
    // The current program as a ready-to-send snapshot (null before the first publish).
    std::shared_ptr<const wire::ProgramUpdate> snapshot;
    struct Past {
      std::shared_ptr<const wire::ProgramUpdate> delta;
      size_t size;  // bytes, encoded
    };
    std::deque<Past> history;  // deltas, oldest first
    size_t history_size = 0;   // bytes, encoded
    Subscriber* subscriber = nullptr;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::map<std::string, Host, std::less<>> hosts;
  };

  // What takes a router at (epoch, version) to the host's current version.
  std::vector<std::shared_ptr<const wire::ProgramUpdate>> catch_up(const Host& host, uint64_t epoch,
                                                                   uint64_t version) const;

  Shard& shard(std::string_view host_id) { return shards_[shard_of(host_id)]; }
  const Shard& shard(std::string_view host_id) const { return shards_[shard_of(host_id)]; }

  const uint64_t epoch_;
  const size_t history_limit_;
  std::array<Shard, kShards> shards_;
};

}  // namespace openvpc::mapping
