#include "hyperplane/nat_node.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "io/frame.h"
#include "io/underlay_batch.h"
#include "packet/bytes.h"
#include "packet/geneve.h"

namespace openvpc::hyperplane {

namespace {

using dataplane::Packet;
using dataplane::Verdict;

constexpr size_t kBatch = 64;
constexpr uint16_t kHeadroom = 128;
constexpr size_t kBufferSize = kHeadroom + io::kMaxFrameSize;  // TSO super-frames: up to 64 KiB
constexpr uint64_t kExpireNs = 100'000'000;
constexpr uint64_t kSnapshotNs = 200'000'000;
constexpr uint64_t kReportNs = 1'000'000'000;  // per-gateway metrics in the Acks
constexpr size_t kBulkSlotsPerTurn = 1024;     // up to 32 datagrams per peer per loop turn
constexpr uint64_t kUnderlayTag = 1;
constexpr uint64_t kReplicationTag = 2;
constexpr size_t kResets = 32;            // RST packets per LB reap (16 flows)
constexpr size_t kResetBufferSize = 256;  // headroom + a 40-byte RST

// Table slots examined per expiry tick (every 100 ms): the whole table within an eighth of the
// idle timeout (at most 5 s), so the owner re-sends a live flow well before its replicas
// would idle out (the refresh is due every idle_timeout / 4) and idle flows go on time.
size_t expire_budget(size_t max_flows, uint32_t idle_timeout) {
  const uint64_t sweep_ticks = std::clamp<uint64_t>(uint64_t(idle_timeout) * 10 / 8, 1, 50);
  return std::max<size_t>(1024, size_t((max_flows + sweep_ticks - 1) / sweep_ticks));
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

}  // namespace

Result<std::unique_ptr<NatNode>> NatNode::create(const NatNodeOptions& options) {
  auto address = program::parse_address(options.underlay_ip);
  if (!address || !address->is_v4()) {
    return make_error("hyperplane.options",
                      "--underlay-ip: not an IPv4 address: " + options.underlay_ip);
  }
  const uint32_t underlay_v4 = address->v4_host_order();
  io::UnderlaySocketConfig socket_config;
  socket_config.address = underlay_v4;
  auto underlay = io::UnderlaySocket::open(socket_config);
  if (!underlay) return underlay.error();
  auto underlay_out = io::RawUnderlaySocket::open();
  if (!underlay_out) return underlay_out.error();
  auto replicator = Replicator::open(underlay_v4);
  if (!replicator) return replicator.error();
  return std::unique_ptr<NatNode>(new NatNode(options, underlay_v4, std::move(*underlay),
                                              std::move(*underlay_out), std::move(*replicator)));
}

NatNode::NatNode(const NatNodeOptions& options, uint32_t underlay_v4, io::UnderlaySocket underlay,
                 io::RawUnderlaySocket underlay_out, Replicator replicator)
    : options_(options),
      underlay_v4_(underlay_v4),
      start_ns_(monotonic_ns()),
      underlay_(std::move(underlay)),
      underlay_out_(std::move(underlay_out)),
      replicator_(std::move(replicator)),
      table_(options.max_flows, NatTimeouts{options.idle_timeout, 10},
             expire_budget(options.max_flows, options.idle_timeout) + kBatch),
      translator_(table_),
      lb_table_(options.max_lb_flows, LbTimeouts{},
                expire_budget(options.max_lb_flows, LbTimeouts{}.udp_seconds) + kBatch),
      lb_translator_(lb_table_),
      health_(lb_translator_, uint64_t(underlay_v4) << 32 ^ start_ns_),
      storage_(kBatch * kBufferSize),
      datagrams_(kBatch),
      reset_storage_(kResets * kResetBufferSize),
      resets_(kResets) {
  packets_.reserve(kBatch);
  out_batch_.reserve(std::max(kBatch, kResets));
  translator_.set_lb(&lb_translator_);
  lb_translator_.set_probe_sink(&health_);
  replicator_.set_lb_table(&lb_table_);
  LbConfig lb_config;
  lb_config.underlay_v4 = underlay_v4;
  lb_translator_.set_config(lb_config);
  NodeConfig config;
  config.underlay_v4 = underlay_v4;
  translator_.set_config(config);
}

NatNode::~NatNode() {
  if (client_) client_->stop();
}

uint32_t NatNode::now_seconds() const {
  // The table's clock starts at 1000 so that "joined at 0" never falls in the sync window.
  return uint32_t((monotonic_ns() - start_ns_) / 1'000'000'000u) + 1000;
}

Result<void> NatNode::offer_program(const program::Program& program, uint64_t version) {
  std::shared_ptr<const NodePlan> previous;
  {
    std::lock_guard lock(plan_mutex_);
    previous = pending_plan_;
  }
  auto plan = compile_node_program(program, underlay_v4_, now_seconds(), previous.get(),
                                   options_.max_connections_per_destination);
  if (!plan) {
    programs_refused_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("program version {} refused: {}", version, plan.error().message);
    return plan.error();
  }
  const size_t gateways = plan->gateways.size();
  const size_t load_balancers = plan->lb.lbs.size();
  {
    std::lock_guard lock(plan_mutex_);
    pending_plan_ = std::make_shared<const NodePlan>(std::move(*plan));
    pending_version_ = version;
  }
  plan_generation_.fetch_add(1, std::memory_order_release);
  programs_applied_.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("program version {}: {} NAT gateways, {} load balancers, {} edge nodes", version,
               gateways, load_balancers, program.edge_nodes.size());
  return {};
}

void NatNode::pick_up_plan() {
  const uint64_t generation = plan_generation_.load(std::memory_order_acquire);
  if (generation == seen_generation_) return;
  seen_generation_ = generation;
  {
    std::lock_guard lock(plan_mutex_);
    plan_ = pending_plan_;
    program_version_ = pending_version_;
  }
  // What this node created so far goes out under the old shards, then the new ones apply.
  replicator_.drain(table_, monotonic_ns());
  table_.set_gateways(plan_->gateways);
  translator_.set_config(plan_->config);
  lb_table_.set_load_balancers(plan_->lb_numbers);
  lb_translator_.set_config(plan_->lb);
  health_.set_plan(*plan_);
  replicator_.set_shards(plan_->shards, monotonic_ns(), plan_->lb_shards);
  table_.clear_journal();  // set_gateways journals nothing; keep the contract explicit
  lb_table_.clear_journal();
}

void NatNode::run() {
  mapping::MappingClientOptions client_options;
  client_options.target = options_.controller;
  client_options.host_id = options_.node_id;
  client_options.role = "hyperplane";
  client_options.tls_dir = options_.tls_dir;
  client_options.underlay = packet::IpAddress::v4(underlay_v4_);
  client_options.keepalive = std::chrono::milliseconds(1000);
  if (!options_.controller.empty()) {
    client_ = std::make_unique<mapping::MappingClient>(
        client_options, [this](const program::Program& program, uint64_t version) {
          return offer_program(program, version);
        });
    client_->start();
  }

  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto [fd, tag] :
       {std::pair{underlay_.fd(), kUnderlayTag}, {replicator_.fd(), kReplicationTag}}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
  }
  const size_t budget = expire_budget(options_.max_flows, options_.idle_timeout);
  uint64_t next_expire = 0, next_snapshot = 0, next_report = 0;
  epoll_event events[4];
  while (!stopping_.load(std::memory_order_relaxed)) {
    pick_up_plan();
    const int ready = ::epoll_wait(epoll_fd, events, 4, replicator_.syncing() ? 1 : 100);
    pick_up_plan();
    const uint32_t now = now_seconds();
    for (int i = 0; i < ready; ++i) {
      if (events[i].data.u64 == kUnderlayTag) receive_underlay(now);
      if (events[i].data.u64 == kReplicationTag) {
        replicator_.receive(table_, now, monotonic_ns());
        replicator_.drain(table_, monotonic_ns());  // a replica may have displaced a stale flow
      }
    }
    if (const auto probes = health_.poll(); !probes.empty()) {
      underlay_send_failed_ += io::send_underlay_all(underlay_out_, probes);
    }
    const uint64_t now_ns = monotonic_ns();
    if (now_ns >= next_expire) {
      next_expire = now_ns + kExpireNs;
      table_.expire(now, budget);
      reap_load_balancers(now);
      replicator_.drain(table_, now_ns);
    }
    if (replicator_.syncing()) replicator_.pump(table_, kBulkSlotsPerTurn, now_ns);
    if (now_ns >= next_snapshot) {
      next_snapshot = now_ns + kSnapshotNs;
      publish_snapshot();
    }
    if (now_ns >= next_report) {
      next_report = now_ns + kReportNs;
      report_metrics();
    }
  }
  ::close(epoll_fd);
  if (client_) client_->stop();
  publish_snapshot();
}

void NatNode::receive_underlay(uint32_t now) {
  const size_t received = io::receive_underlay_packets(underlay_, datagrams_, storage_.data(),
                                                       kBufferSize, kHeadroom, underlay_v4_);
  packets_.clear();
  for (size_t i = 0; i < received; ++i) {
    const io::Datagram& d = datagrams_[i];
    if (d.size == 0) continue;
    Packet p;
    p.data = d.data - io::kUnderlayHeadersSize;
    p.size = uint16_t(d.size + io::kUnderlayHeadersSize);
    p.headroom = kHeadroom;
    p.capacity = uint16_t(std::min<size_t>(kBufferSize - kHeadroom, 65535));
    p.in_port = dataplane::Port::underlay();
    packets_.push_back(p);
  }
  if (packets_.empty()) return;
  translator_.process(packets_, now);
  out_batch_.clear();
  for (const Packet& p : packets_) {
    if (p.verdict != Verdict::encapsulate) continue;
    io::Datagram d;
    d.data = p.data;
    d.size = p.size;
    d.peer_address = packet::load_be32(p.data + 16);
    out_batch_.push_back(d);
  }
  underlay_send_failed_ += io::send_underlay_all(underlay_out_, out_batch_);
  replicator_.drain(table_, monotonic_ns());
}

void NatNode::reap_load_balancers(uint32_t now) {
  for (size_t i = 0; i < kResets; ++i) {
    Packet& p = resets_[i];
    p = Packet{};
    p.data = reset_storage_.data() + i * kResetBufferSize + kHeadroom;
    p.headroom = kHeadroom;
    p.capacity = uint16_t(kResetBufferSize - kHeadroom);
    p.in_port = dataplane::Port::underlay();
  }
  const size_t written = lb_translator_.reap(
      now, expire_budget(options_.max_lb_flows, LbTimeouts{}.udp_seconds), resets_);
  out_batch_.clear();
  for (size_t i = 0; i < written; ++i) {
    const Packet& p = resets_[i];
    if (p.verdict != Verdict::encapsulate) continue;
    io::Datagram d;
    d.data = p.data;
    d.size = p.size;
    d.peer_address = packet::load_be32(p.data + 16);
    out_batch_.push_back(d);
  }
  if (!out_batch_.empty())
    underlay_send_failed_ += io::send_underlay_all(underlay_out_, out_batch_);
}

void NatNode::report_metrics() {
  if (!client_ || !plan_) return;
  std::vector<mapping::ResourceMetrics> metrics;
  for (size_t g = 0; g < plan_->names.size() && g < table_.gateway_count(); ++g) {
    mapping::ResourceMetrics resource;
    resource.resource = plan_->names[g];
    const NatGatewayCounters& counters = table_.counters(uint16_t(g));
    for (size_t m = 0; m < kNatMetricCount; ++m) {
      resource.values.emplace_back(std::string(to_string(NatMetric(m))), counters[m]);
    }
    metrics.push_back(std::move(resource));
  }
  for (size_t l = 0; l < plan_->lb_names.size() && l < lb_table_.lb_count(); ++l) {
    mapping::ResourceMetrics resource;
    resource.resource = plan_->lb_names[l];
    const LbCounters& counters = lb_table_.counters(uint16_t(l));
    for (size_t m = 0; m < kLbMetricCount; ++m) {
      resource.values.emplace_back(std::string(to_string(LbMetric(m))), counters[m]);
    }
    metrics.push_back(std::move(resource));
  }
  for (mapping::ResourceMetrics& report : health_.reports()) metrics.push_back(std::move(report));
  client_->report_resource_metrics(std::move(metrics));
}

void NatNode::publish_snapshot() {
  NatNodeSnapshot next;
  if (plan_) {
    for (size_t g = 0; g < plan_->names.size() && g < table_.gateway_count(); ++g) {
      next.gateways.push_back({plan_->names[g], plan_->slots[g], table_.counters(uint16_t(g))});
    }
  }
  if (plan_) {
    for (size_t l = 0; l < plan_->lb_names.size() && l < lb_table_.lb_count(); ++l) {
      next.load_balancers.push_back(
          {plan_->lb_names[l], plan_->lb_slots[l], lb_table_.counters(uint16_t(l))});
    }
  }
  next.lb_counters = lb_translator_.counters();
  next.lb_flows = lb_table_.flows();
  next.lb_replica_flows = lb_table_.replica_flows();
  next.lb_journal_overflows = lb_table_.journal_overflows();
  next.health = health_.counters();
  next.health_unmatched = health_.unmatched_replies();
  next.counters = translator_.counters();
  next.replication = replicator_.stats();
  next.latency = replicator_.latency();
  next.flows = table_.flows();
  next.replica_flows = table_.replica_flows();
  next.journal_overflows = table_.journal_overflows();
  next.program_version = program_version_;
  next.programs_applied = programs_applied_.load(std::memory_order_relaxed);
  next.programs_refused = programs_refused_.load(std::memory_order_relaxed);
  next.controller_connected = client_ && client_->status().connected;
  next.underlay_receive = underlay_.stats();
  next.underlay_send = underlay_out_.stats();
  next.underlay_send_failed = underlay_send_failed_;
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(next);
}

NatNodeSnapshot NatNode::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

}  // namespace openvpc::hyperplane
