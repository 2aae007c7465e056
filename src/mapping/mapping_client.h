// mapping_client.h — the router side of the mapping service (proto/mapping.proto).
//
// A MappingClient keeps one Subscribe stream to the controller. It says Hello with its host id
// and the (epoch, version) it last applied, applies snapshots and deltas itself, hands every
// new full program to the ProgramCallback, and ACKs the version only after the callback has
// returned — so the controller's view of a host never runs ahead of the router. When the
// controller is unreachable or the stream breaks it keeps the last program and reconnects with
// exponential backoff (with jitter); a reconnect resumes by version when the controller still
// has the history. With tls_dir it speaks mutual TLS with the certificate found there.
//
// Every Ack carries the host's flow-log delivery statuses (flow_log_status.h) as last given to
// report_flow_logs(), and a hyperplane node's resource metrics (resource_metrics.h) as last
// given to report_resource_metrics(); when they change, the last Ack of the session is sent
// again with them.
//
// Threading: one thread of its own runs the stream and calls the callback, in version order,
// never concurrently. lookup(), status() and report_flow_logs() may be called from any thread
// (report_flow_logs() writes to the stream itself; writes are serialised, reads stay on the
// client thread). stop() cancels the
// stream and joins; the destructor stops. A program that does not decode, or a delta that does
// not follow the applied version, ends the session (the next one resumes or gets a snapshot).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "mapping.grpc.pb.h"
#include "mapping/flow_log_status.h"
#include "mapping/resource_metrics.h"
#include "pki/certificate_authority.h"
#include "program/program.h"

namespace openvpc::mapping {

struct MappingClientOptions {
  // "127.0.0.1:PORT", or several controllers sharing one store, "A:PORT,B:PORT,C:PORT": the
  // client talks to one at a time and moves to the next when its session ends or it cannot
  // be reached (a controller killed with SIGKILL ends the stream at once).
  std::string target;
  std::string host_id;  // must not be empty
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds keepalive{10000};  // pings on an idle stream find a dead peer
  std::string role{};  // Hello's role: empty (a router), "edge" or "hyperplane"
  std::optional<program::IpAddress> underlay{};  // Hello's underlay (edge and hyperplane nodes)
  // Mutual TLS: DIR/{ca.pem,cert.pem,key.pem} (`openvpc host add`), read again for every new
  // channel, so a reissued certificate is picked up at the next reconnect. Empty: plaintext.
  std::string tls_dir{};
  // The name the controller's certificate must carry (pki: the controller's DNS SAN).
  std::string tls_server_name{"openvpc-controller"};
  // After a session the TLS handshake or the controller's PERMISSION_DENIED ended, the client
  // builds a new channel and waits at least this long: a wrong certificate does not spin.
  std::chrono::milliseconds refused_backoff{5000};
};

// A mapping client's command line names its TLS files (--tls-dir DIR) or says --insecure:
// exactly one. "options.invalid" with the text to print otherwise; checks DIR's files exist.
Result<void> check_tls_choice(const std::string& tls_dir, bool insecure);

// Called with each new program and its version; the version is ACKed when this returns: ok =
// applied; an error = refused (the router keeps its previous program), sent in the Ack with
// the error's message, and the next session asks for a snapshot instead of resuming.
using ProgramCallback =
    std::function<Result<void>(const program::Program& program, uint64_t version)>;

struct MappingClientStatus {
  uint64_t epoch = 0;
  uint64_t version = 0;  // 0: no program yet
  bool connected = false;
  uint64_t snapshots = 0;  // updates applied, by kind
  uint64_t deltas = 0;
  uint64_t sessions = 0;   // streams that reached the controller
  uint64_t refused = 0;    // updates the callback refused
  std::string controller;  // the target of the latest session
};

class MappingClient {
 public:
  MappingClient(MappingClientOptions options, ProgramCallback callback);
  ~MappingClient();
  MappingClient(const MappingClient&) = delete;
  MappingClient& operator=(const MappingClient&) = delete;

  void start();
  void stop();

  // Asks the controller where (vpc, address) lives. nullopt: no such mapping. Errors:
  // "mapping.deadline" when no answer came within `deadline`, "mapping.unavailable" otherwise.
  Result<std::optional<program::Mapping>> lookup(uint32_t vpc, const program::IpAddress& address,
                                                 std::chrono::milliseconds deadline) const;

  MappingClientStatus status() const;

  // The flow-log statuses Acks carry from now on; when they differ from the last ones, the
  // session's last Ack is sent again with them (nothing is sent before the first Ack).
  void report_flow_logs(std::vector<FlowLogStatus> statuses);
  // The same for a hyperplane node's per-resource metrics (resource_metrics.h).
  void report_resource_metrics(std::vector<ResourceMetrics> metrics);

 private:
  using Stream = grpc::ClientReaderWriter<wire::RouterMessage, wire::ProgramUpdate>;
  void run();
  // One stream, from Hello until it ends; true if it reached the controller.
  bool session();
  // Decodes and hands over one update; the callback's refusal, if any, lands in refusal_.
  Result<void> apply_update(const wire::ProgramUpdate& update);
  std::chrono::milliseconds next_backoff(std::chrono::milliseconds current);
  // A new channel and stub (re-reading the TLS files); false when they cannot be read.
  bool rebuild_channel();
  std::shared_ptr<wire::MappingService::Stub> stub() const;
  // Writes `ack` with the current flow-log statuses and remembers it as the session's last.
  bool send_ack(Stream& stream, wire::RouterMessage ack);
  void add_reports(wire::Ack& ack) const;  // flow-log statuses and resource metrics
  void resend_last_ack();

  const MappingClientOptions options_;
  const ProgramCallback callback_;
  const std::vector<std::string> targets_;            // options_.target split at commas
  size_t current_ = 0;                                // index into targets_; client thread only
  std::shared_ptr<wire::MappingService::Stub> stub_;  // under mutex_; replaced by rebuild
  bool rejected_ = false;  // the last session ended on TLS or an identity refusal

  // Applied state: written by the client thread only; status() reads it under mutex_.
  wire::Program applied_;
  std::string refusal_;  // the callback refused the latest update: why (empty: applied)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  grpc::ClientContext* live_context_ = nullptr;  // the stream to cancel on stop()
  MappingClientStatus status_;
  std::vector<FlowLogStatus> flow_logs_;
  std::vector<ResourceMetrics> resource_metrics_;
  // Writes to the live stream (acks and repeated acks); taken before mutex_, never after.
  std::mutex write_mutex_;
  Stream* live_stream_ = nullptr;                // under write_mutex_; null between sessions
  std::optional<wire::RouterMessage> last_ack_;  // under write_mutex_; of the live session
  uint32_t jitter_state_;
  std::thread thread_;
};

}  // namespace openvpc::mapping
