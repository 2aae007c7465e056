// router.h — the per-host router: program in, ports and workers kept in step with it.
//
// The Router is driven by one thread (main.cc's signal loop): reload() asks the
// ProgramSource for a new program and applies it — load_program() checks it, the ENI ports
// it lists are created (TAP, instance namespace) or kept, and the compiled program, the
// local services' configuration and the port table are published to the workers; the source
// is told the outcome (settled(), so a controller source ACKs only then). An ENI that names an
// instance gets its TAP in the namespace named after the instance. A program that fails
// anywhere is refused as a whole: logged with its reason, counted, and the previous program,
// ports and workers keep running untouched.
//
// Known limit: an ENI whose port settings (MAC, TAP name, namespace) change between programs
// keeps its old port until the router restarts (logged as a warning).
//
// The flow logs' delivery statuses go to the source whenever they change (checked on every
// reload(), and before a program's outcome is settled so that its Ack carries them).
//
// shutdown() stops the workers, then deletes the TAPs and the namespaces the router created.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/program_publisher.h"
#include "io/underlay_socket.h"
#include "router/counters_file.h"
#include "router/eni_port.h"
#include "router/flow_log_files.h"
#include "router/options.h"
#include "router/program_loader.h"
#include "router/program_source.h"
#include "router/worker.h"

namespace openvpc::router {

class Router {
 public:
  // Binds the underlay, applies the first program (failing if it is refused) and starts
  // the workers.
  static Result<std::unique_ptr<Router>> create(const RouterOptions& options,
                                                std::unique_ptr<ProgramSource> source);
  ~Router();

  // Applies the source's program if it changed (always when `force`). Returns the result of
  // that attempt; ok (and nothing done) when nothing changed.
  Result<void> reload(bool force);
  // Rewrites STATE_DIR/counters.json (no-op without --state-dir).
  void write_counters();
  void shutdown();

  RouterStatus status() const { return status_; }  // the router thread's own copy

  // For the admin server's threads (admin_server.h): copies the router thread publishes after
  // every reload, the workers' snapshots, the program in force, the capture point.
  RouterStatus published_status() const;
  std::vector<WorkerSnapshot> snapshots() const;
  std::shared_ptr<const dataplane::CompiledProgram> program() const { return programs_.current(); }
  EniCapture& capture() { return capture_; }
  uint32_t connection_allowance() const { return pipeline_config_.connection_settings.allowance; }

 private:
  Router(RouterOptions options, std::unique_ptr<ProgramSource> source);
  Result<void> apply(const program::Program& program);
  // Tells the source the flow logs' delivery statuses when they changed since last told.
  void report_flow_logs();
  void start_workers();

  RouterOptions options_;
  HostSettings host_;
  std::unique_ptr<ProgramSource> source_;
  dataplane::ProgramPublisher programs_;
  Published<dataplane::services::ServicesConfig> services_;
  Published<PortTable> ports_;
  std::shared_ptr<const PortTable> current_ports_;
  NamespaceRegistry namespaces_;
  std::unique_ptr<io::UnderlaySocket> underlay_;
  dataplane::PipelineConfig pipeline_config_;  // what the workers' pipelines are built with
  EniCapture capture_;                         // outlives the workers (declared before them)
  FlowLogFiles flow_logs_;                     // the flow-log writer delivers here; outlives it
  FlowLogWriter flow_log_writer_{flow_logs_};  // the workers' sinks submit here; outlives them
  std::vector<std::unique_ptr<Inbox>> inboxes_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint64_t reported_flow_log_status_ = 0;  // flow_logs_.status_version() last reported
  RouterStatus status_;
  mutable std::mutex published_mutex_;
  RouterStatus published_status_;
};

}  // namespace openvpc::router
