// controller_program_source.h — the router's program from the controller's mapping service.
//
// ControllerProgramSource wraps a mapping::MappingClient (one Subscribe stream, resumed by
// the last applied version, reconnected with backoff). The client thread hands each new
// program to the source and waits; the router thread sees changed(), fetch()es it, applies it
// and reports the outcome with settled(); only then does the client thread return, so the
// client ACKs a version only once the router has acted on it. While the controller is
// unreachable nothing changes and the router keeps forwarding on the last program.
//
// Threading: the callback runs on the client's thread; changed(), fetch(), settled() and
// wait_first() on the router thread. The destructor stops the client (releasing a waiting
// callback) before anything else goes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mapping/mapping_client.h"
#include "router/program_source.h"

namespace openvpc::router {

class ControllerProgramSource final : public ProgramSource {
 public:
  // target: "127.0.0.1:PORT"; host_id: the id this router subscribes as.
  // tls_dir: mapping_client.h (empty: plaintext).
  ControllerProgramSource(std::string target, std::string host_id, std::string tls_dir);
  ~ControllerProgramSource() override;

  bool changed() override;
  // The newest program not yet fetched, else the last one fetched; "program.source" before the
  // controller has sent any.
  Result<program::Program> fetch() override;
  void settled(bool applied, const std::string& reason) override;
  void report_flow_logs(std::vector<mapping::FlowLogStatus> statuses) override;
  std::string describe() const override;

  // Waits until a first program arrived or `limit` passed; true if one is there.
  bool wait_first(std::chrono::milliseconds limit);

 private:
  // Hands the program to the router thread and returns its outcome (an error: refused).
  Result<void> receive(const program::Program& program, uint64_t version);

  const std::string target_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<program::Program> pending_;  // received, not yet fetched
  uint64_t pending_version_ = 0;
  std::optional<program::Program> last_;  // the last fetched
  uint64_t fetched_version_ = 0;
  uint64_t settled_version_ = 0;
  std::string refusal_;  // why settled_version_ was refused; empty: it was applied
  bool stopping_ = false;
  std::unique_ptr<mapping::MappingClient> client_;  // last: stopped first
};

}  // namespace openvpc::router
