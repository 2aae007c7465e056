// mapping_server.h — the controller side of the mapping service (proto/mapping.proto).
//
// The controller publish()es each host's desired program; the server turns it into a version,
// keeps a bounded history of deltas per host (host_table.h) and streams updates to the host's
// router over gRPC: a snapshot or the missed deltas when it subscribes, then one delta per
// change, at once. Routers ACK versions; hosts() says what each host runs. Lookup calls are
// answered by the controller's LookupFunction.
//
// Threading: gRPC's callback API, so a stream costs no thread of its own; reactions run on
// gRPC's pool. publish(), publish_all(), hosts() and the accessors may be called from any
// thread. The lookup
// function and the ACK observer run on gRPC threads, possibly concurrently, and must not block
// for long. A router that falls more than history_limit updates behind is disconnected; it
// reconnects and gets a snapshot.
//
// Edge and hyperplane nodes subscribe the same way (Hello says their role and underlay
// address); nodes() lists those whose stream is open, and on_nodes hears of every change.
//
// With options.tls the service speaks only mutual TLS: a client without a certificate from the
// region's CA fails the handshake, and one whose certificate names another host or role than
// its Hello or Lookup gets PERMISSION_DENIED (counted in refusals()).
//
// Lifecycle: start() binds and serves; stop() ends every stream and waits until the last
// reaction has returned; the published state survives, so start() again serves it on the same
// port (routers resume by version). The destructor stops.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mapping/host_table.h"
#include "mapping/node_registry.h"
#include "mapping/peer_identity.h"
#include "pki/certificate_authority.h"
#include "program/program.h"

namespace grpc {
class Server;
}

namespace openvpc::mapping {

// Answers a router's mapping miss: where (vpc, address) lives, or nullopt.
using LookupFunction =
    std::function<std::optional<program::Mapping>(uint32_t vpc, const program::IpAddress&)>;
// Told of every ACK the table records.
using AckObserver = std::function<void(const std::string& host_id, uint64_t version)>;
// Told that the set of live edge / hyperplane nodes changed (read it with nodes()).
using NodesObserver = std::function<void()>;

struct MappingServerOptions {
  std::string address = "127.0.0.1:0";  // port 0: any free port
  size_t history_limit = 64;            // deltas kept per host
  uint64_t epoch = 0;                   // 0: a random one (a restarted controller differs)
  LookupFunction lookup;                // unset: every lookup answers "not found"
  AckObserver on_ack;
  NodesObserver on_nodes;  // node_registry.h: runs on a gRPC thread, must not block for long
  // Mutual TLS (peer_identity.h): the server's certificate and key, and the CA every client
  // certificate must chain to; a peer's host id is its certificate's. Unset: plaintext, and
  // peers are who they say they are (controller --insecure).
  std::optional<pki::Credentials> tls{};
  // publish_all()'s threads: 0 is the machine's cores, at most 8.
  size_t publish_threads = 0;
};

// One host's program, for publish_all(); both are read during the call only.
struct HostProgram {
  std::string_view host_id;
  const program::Program* program;
};

class MappingServiceImpl;

class MappingServer {
 public:
  explicit MappingServer(MappingServerOptions options);
  ~MappingServer();
  MappingServer(const MappingServer&) = delete;
  MappingServer& operator=(const MappingServer&) = delete;

  // Serves on options.address the first time, on the port it got then afterwards. Returns the
  // port; "mapping.bind" when the address cannot be bound, "mapping.running" when serving.
  Result<int> start();
  void stop();

  // Sets the host's desired program; returns its version (unchanged if the program is).
  uint64_t publish(const std::string& host_id, const program::Program& program);
  // Publishes every host's program as publish() called on each in turn would — the same
  // versions, the same updates to each router in the same order, a host listed twice published
  // twice in list order — encoding and diffing on up to options.publish_threads threads, each
  // taking the hosts of its own HostTable shards, so a change to many hosts uses several cores.
  // Returns each host's version, in the order given.
  std::vector<uint64_t> publish_all(std::span<const HostProgram> programs);
  std::vector<HostStatus> hosts() const;
  std::optional<HostStatus> host(const std::string& host_id) const;
  // HostTable::acked_version: what the host last ACKed (0: nothing), without copying reports.
  uint64_t acked_version(const std::string& host_id) const { return table_.acked_version(host_id); }
  // The live edge and hyperplane nodes (node_registry.h), sorted by id.
  std::vector<NodeStatus> nodes() const { return nodes_.nodes(); }
  uint64_t epoch() const { return table_.epoch(); }
  // Calls refused because the peer's certificate does not allow what it asked, by reason.
  MappingRefusalCounts refusals() const { return refusals_.snapshot(); }
  int port() const { return port_; }

  // For the stream reactors (mapping_server.cc); not for callers.
  struct Shared;

 private:
  MappingServerOptions options_;
  HostTable table_;
  NodeRegistry nodes_;
  MappingRefusals refusals_;
  std::unique_ptr<Shared> shared_;
  std::mutex lifecycle_mutex_;  // start()/stop()
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MappingServiceImpl> service_;
  int port_ = 0;
};

}  // namespace openvpc::mapping
