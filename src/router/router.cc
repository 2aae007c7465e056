#include "router/router.h"

#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <spdlog/spdlog.h>

#include "io/interface_mtu.h"
#include "packet/geneve.h"

namespace openvpc::router {

namespace {

// Unix time minus the monotonic clock the workers read, for the flow log's timestamps.
int64_t unix_clock_offset_ns() {
  timespec real{}, monotonic{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &monotonic);
  return (int64_t(real.tv_sec) - int64_t(monotonic.tv_sec)) * 1'000'000'000 +
         (int64_t(real.tv_nsec) - int64_t(monotonic.tv_nsec));
}

}  // namespace

Router::Router(RouterOptions options, std::unique_ptr<ProgramSource> source)
    : options_(std::move(options)),
      source_(std::move(source)),
      flow_logs_(
          {options_.flow_log_root, options_.flow_log_rotate_bytes, options_.flow_log_keep_files}) {
  host_.underlay_address = options_.underlay_address;
  host_.tap_prefix = options_.tap_prefix;
  host_.mtu = uint16_t(options_.mtu);
  host_.instances = options_.instances;
  status_.host_id = options_.host_id;
  status_.underlay_address = packet::IpAddress::v4(options_.underlay_address).to_string();
}

Router::~Router() {
  shutdown();
}

Result<std::unique_ptr<Router>> Router::create(const RouterOptions& options,
                                               std::unique_ptr<ProgramSource> source) {
  std::unique_ptr<Router> router(new Router(options, std::move(source)));
  io::UnderlaySocketConfig underlay;
  underlay.address = options.underlay_address;
  underlay.port = packet::kGenevePort;
  auto socket = io::UnderlaySocket::open(underlay);
  if (!socket) return socket.error();
  router->underlay_ = std::make_unique<io::UnderlaySocket>(std::move(*socket));
  if (auto first = router->reload(true); !first) return first.error();
  router->start_workers();
  return router;
}

void Router::start_workers() {
  const uint32_t count = options_.worker_count;
  for (uint32_t i = 0; i < count; ++i) {
    inboxes_.push_back(std::make_unique<Inbox>(
        count, inbox_slots_per_producer(count), Worker::kBufferSize, Worker::kHeadroom,
        inbox_large_slots_per_producer(count), Worker::kReceiveBufferSize));
  }
  WorkerContext context;
  context.programs = &programs_;
  context.services = &services_;
  context.ports = &ports_;
  context.underlay = underlay_.get();
  context.underlay_worker = count - 1;  // with 2+ workers, apart from the first ENI ports
  context.underlay_address = options_.underlay_address;
  context.inboxes = &inboxes_;
  context.worker_count = count;
  context.flow_logs = &flow_log_writer_;
  context.pipeline.unix_clock_offset_ns = unix_clock_offset_ns();
  context.pipeline.connection_settings = pipeline_config_.connection_settings;
  context.pipeline.allowance.packets_per_second = options_.eni_pps_allowance;
  context.pipeline.allowance.megabits_per_second = options_.eni_bandwidth_allowance_mbits;
  using BandwidthQueue = RouterOptions::BandwidthQueue;
  context.pipeline.allowance.queue_bandwidth_out =
      options_.eni_bandwidth_queue != BandwidthQueue::none;
  context.pipeline.bandwidth_queue_codel.enabled =
      options_.eni_bandwidth_queue == BandwidthQueue::fq_codel;
  context.pipeline.connection_capacity = options_.max_connections;
  context.capture = &capture_;
  context.underlay_mtu = options_.underlay_mtu;
  std::string mtu_source = "--underlay-mtu";
  if (context.underlay_mtu == 0) {
    auto learned = io::interface_mtu_for(options_.underlay_address);
    if (learned) {
      context.underlay_mtu = learned->mtu;
      mtu_source = learned->name;
    } else {  // no cut then: what every router did before it learned the MTU
      spdlog::warn("underlay MTU: {}; super-frames leave whole", learned.error().message);
      context.underlay_mtu = 65536;
      mtu_source = "unknown";
    }
  }
  // What an inner packet may weigh so that it still fits one underlay packet once
  // encapsulated; below 9001 a DF packet above it gets fragmentation needed (pipeline.h).
  const uint32_t inner_fits = context.underlay_mtu - uint32_t(packet::kGeneveEncapSize);
  context.pipeline.encapsulated_mtu = uint16_t(std::min<uint32_t>(dataplane::kVpcMtu, inner_fits));
  const char* tap_io = "readv/writev per frame";
  for (uint32_t i = 0; i < count; ++i) {
    auto raw = io::RawUnderlaySocket::open();
    if (!raw) {
      spdlog::critical("raw underlay socket: {}", raw.error().message);
      std::abort();  // CAP_NET_RAW was there for the TAPs a moment ago
    }
    std::optional<io::TapBatchIo> batch;
    if (options_.tap_io != RouterOptions::TapIo::syscalls) {
      auto ring = io::TapBatchIo::create();
      if (ring) {
        batch.emplace(std::move(*ring));
        tap_io = "io_uring batches";
      } else if (options_.tap_io == RouterOptions::TapIo::io_uring) {
        spdlog::critical("--tap-io io_uring: {}", ring.error().message);
        std::exit(1);
      } else if (i == 0) {
        spdlog::warn("TAP I/O falls back to readv/writev per frame: {}", ring.error().message);
      }
    }
    workers_.push_back(std::make_unique<Worker>(i, context, std::move(*raw), std::move(batch)));
  }
  for (auto& worker : workers_) worker->start();
  std::string placement;  // "worker 0 on CPU 1, ..." for the log
  for (size_t i = 0; i < workers_.size() && !options_.cpus.empty(); ++i) {
    const unsigned cpu = options_.cpus[i % options_.cpus.size()];
    if (auto pinned = workers_[i]->pin(cpu); !pinned) {
      spdlog::critical("--cpus: {}", pinned.error().message);
      std::exit(1);  // asked for and not given: running unpinned would hide it
    }
    placement += (placement.empty() ? "" : ", ") + fmt::format("worker {} on CPU {}", i, cpu);
  }
  if (!placement.empty()) spdlog::info("{}: {}", options_.host_id, placement);
  spdlog::info("{}: {} worker(s) running, underlay {}:{}, MTU {} ({}), TAP I/O {}",
               options_.host_id, count, status_.underlay_address, packet::kGenevePort,
               context.underlay_mtu, mtu_source, tap_io);
}

Result<void> Router::reload(bool force) {
  report_flow_logs();  // what deliveries changed since the last look
  if (!force && !source_->changed()) return {};
  auto program = source_->fetch();
  Result<void> applied = program ? apply(*program) : Result<void>(program.error());
  if (program) {
    report_flow_logs();  // before settled(): the Ack of this program carries them
    source_->settled(applied.ok(), applied ? "" : applied.error().message);
  }
  if (!applied) {
    ++status_.programs_refused;
    status_.last_error = applied.error().code + ": " + applied.error().message;
    spdlog::error("program from {} refused, keeping generation {}: {}", source_->describe(),
                  status_.generation, status_.last_error);
  }
  std::lock_guard<std::mutex> lock(published_mutex_);
  published_status_ = status_;
  return applied;
}

void Router::report_flow_logs() {
  const uint64_t version = flow_logs_.status_version();
  if (version == reported_flow_log_status_) return;
  reported_flow_log_status_ = version;
  std::vector<mapping::FlowLogStatus> statuses;
  for (const FlowLogDelivery& delivery : flow_logs_.deliveries()) {
    statuses.push_back({delivery.flow_log, delivery.error});
  }
  source_->report_flow_logs(std::move(statuses));
}

RouterStatus Router::published_status() const {
  std::lock_guard<std::mutex> lock(published_mutex_);
  return published_status_;
}

std::vector<WorkerSnapshot> Router::snapshots() const {
  std::vector<WorkerSnapshot> snapshots;
  for (const auto& worker : workers_) snapshots.push_back(worker->snapshot());
  return snapshots;
}

Result<void> Router::apply(const program::Program& program) {
  if (status_.programs_applied > 0 && program.generation < status_.generation) {
    return make_error("program.stale", "generation " + std::to_string(program.generation) +
                                           " is older than the running " +
                                           std::to_string(status_.generation));
  }
  std::optional<program::Program> rewindowed;  // --flow-log-window-seconds
  if (options_.flow_log_window_seconds != 0 && !program.flow_logs.empty()) {
    rewindowed = program;
    for (auto& log : rewindowed->flow_logs) {
      log.aggregation_seconds = options_.flow_log_window_seconds;
    }
  }
  auto loaded = load_program(rewindowed ? *rewindowed : program, host_);
  if (!loaded) return loaded.error();

  auto table = std::make_shared<PortTable>();
  for (const auto& plan : loaded->ports) {
    const int32_t existing = current_ports_ ? current_ports_->find(plan.eni) : -1;
    if (existing >= 0) {
      const auto& port = current_ports_->ports[size_t(existing)];
      if (!(port->plan == plan)) {
        spdlog::warn("ENI {}: port settings changed; keeping {} until restart", plan.eni,
                     port->plan.tap_name);
      }
      table->ports.push_back(port);
      continue;
    }
    auto port = create_eni_port(plan, options_.mtu, options_.tso, namespaces_);
    if (!port)
      return make_error(port.error().code,
                        "ENI " + std::to_string(plan.eni) + ": " + port.error().message);
    spdlog::info("ENI {} ({}): TAP {}{}{}", plan.eni, plan.name, plan.tap_name,
                 plan.namespace_name.empty() ? "" : " in namespace ", plan.namespace_name);
    table->ports.push_back(std::move(*port));
  }
  table->build_index();
  if (current_ports_) {
    for (const auto& old : current_ports_->ports) {
      if (table->find(old->plan.eni) < 0) spdlog::info("ENI {}: port removed", old->plan.eni);
    }
  }
  // Ports first, so a worker on the new program finds every port it delivers to.
  current_ports_ = table;
  ports_.publish(table);
  services_.publish(loaded->services);
  flow_logs_.configure(program);  // before the program whose ENIs log into it
  programs_.publish(loaded->compiled);
  status_.generation = loaded->generation;
  status_.ports = loaded->ports;
  status_.last_error.clear();
  ++status_.programs_applied;
  spdlog::info("program generation {} applied from {}: {} ENI(s), {} mapping(s)",
               loaded->generation, source_->describe(), loaded->ports.size(),
               loaded->compiled->mappings.size());
  return {};
}

void Router::write_counters() {
  if (options_.state_dir.empty()) return;
  std::vector<WorkerSnapshot> snapshots;
  for (const auto& worker : workers_) snapshots.push_back(worker->snapshot());
  status_.flow_logs = flow_logs_.deliveries();
  auto written = write_file_atomically(options_.state_dir + "/counters.json",
                                       counters_json(status_, snapshots));
  if (!written) spdlog::warn("{}", written.error().message);
}

void Router::shutdown() {
  if (workers_.empty() && !current_ports_) return;
  for (auto& worker : workers_) worker->stop();
  write_counters();
  workers_.clear();  // drops the workers' port tables
  ports_.publish(nullptr);
  services_.publish(nullptr);
  current_ports_.reset();  // deletes the TAPs, then the namespaces
  spdlog::info("{}: stopped; TAPs and instance namespaces removed", options_.host_id);
}

}  // namespace openvpc::router
