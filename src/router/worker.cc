#include "router/worker.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "io/offload.h"
#include "io/underlay_headers.h"
#include "packet/bytes.h"
#include "packet/checksum.h"
#include "packet/geneve.h"
#include "router/cpu_affinity.h"
#include "router/underlay_segments.h"

namespace openvpc::router {

namespace {

using dataplane::Packet;
using dataplane::Port;
using dataplane::PortKind;
using dataplane::Verdict;

constexpr uint64_t kInboxTag = ~uint64_t{0};
constexpr uint64_t kUnderlayTag = ~uint64_t{0} - 1;
constexpr uint64_t kSnapshotIntervalNs = 200'000'000;
constexpr int kPollTimeoutMs = 100;
constexpr int kQueuePollTimeoutMs = 1;

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

void add_fd(int epoll_fd, int fd, uint64_t tag) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = tag;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    spdlog::error("epoll_ctl add fd {}: {}", fd, std::strerror(errno));
  }
}

// The virtio-net header a packet is written to a TAP with (io::tso_header for a super-frame).
io::VirtioNetHeader gso_header(const Packet& p) {
  return io::tso_header(p.data, p.size, p.gso_type, p.gso_size);
}

dataplane::PipelineConfig with_flow_log_sink(dataplane::PipelineConfig config,
                                             flowlog::FlowLogSink* sink) {
  config.flow_log_sink = sink;
  return config;
}

}  // namespace

Worker::Worker(uint32_t index, const WorkerContext& context, io::RawUnderlaySocket underlay_out,
               std::optional<io::TapBatchIo> tap_io)
    : index_(index),
      context_(context),
      underlay_out_(std::move(underlay_out)),
      tap_io_(std::move(tap_io)),
      flow_log_sink_(context.flow_logs != nullptr
                         ? std::make_unique<WorkerFlowLogSink>(*context.flow_logs)
                         : nullptr),
      pipeline_(*context.programs, with_flow_log_sink(context.pipeline, flow_log_sink_.get())),
      receive_storage_(kReceiveBatch * kReceiveBufferSize),
      segment_storage_(kSegmentSlots * kBufferSize),
      segment_frames_(kSegmentSlots),
      frames_(kReceiveBatch),
      datagrams_(kReceiveBatch),
      cut_storage_(context.underlay_mtu < kLargestPacket ? kCutSlots * kCutSlotSize : 0),
      cut_frames_(context.underlay_mtu < kLargestPacket ? kCutSlots : 0),
      reply_buffer_(kBufferSize) {
  pending_.reserve(dataplane::kMaxBatch);
  underlay_pending_.reserve(dataplane::kMaxBatch);
  inbox_entries_.reserve(context.worker_count * inbox_slots_per_producer(context.worker_count));
  if (flow_log_sink_) flow_log_sink_->attach(&pipeline_);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  add_fd(epoll_fd_, (*context_.inboxes)[index_]->event_fd(), kInboxTag);
  if (context_.underlay != nullptr && context_.underlay_worker == index_) {
    add_fd(epoll_fd_, context_.underlay->fd(), kUnderlayTag);
  }
}

Worker::~Worker() {
  stop();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

Result<void> Worker::pin(unsigned cpu) {
  return pin_thread(thread_, cpu);
}

void Worker::stop() {
  stopping_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

WorkerSnapshot Worker::snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  return snapshot_;
}

void Worker::run() {
  spdlog::debug("worker {} started", index_);
  epoll_event events[32];
  while (!stopping_.load(std::memory_order_relaxed)) {
    refresh();
    // Packets waiting for bandwidth leave as tokens accrue, traffic or not: wake every
    // millisecond while there are some (pipeline.h).
    const int timeout = pipeline_.queued_count() > 0 ? kQueuePollTimeoutMs : kPollTimeoutMs;
    const int ready = ::epoll_wait(epoll_fd_, events, 32, timeout);
    // A program applied while we waited: its services must answer what woke us (the port
    // table waits for the next turn, since the events name positions in the current one).
    refresh_services();
    for (int i = 0; i < ready; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kInboxTag) {
        drain_inbox();
      } else if (tag == kUnderlayTag) {
        receive_underlay();
      } else if (ports_ && tag < ports_->ports.size()) {
        receive_eni(size_t(tag));
      }
    }
    const uint64_t now = monotonic_ns();
    if (ready == 0 && (pipeline_.held_fragment_count() > 0 || pipeline_.queued_count() > 0)) {
      // Empty: held fragments expire and queued packets leave without traffic too.
      pipeline_.process(pending_, now);
      emit(pipeline_.released(), now);
    }
    if (now - last_snapshot_ns_ >= kSnapshotIntervalNs) {
      last_snapshot_ns_ = now;
      flush_flow_log(now, false);  // windows that ended while no packet came
      publish_snapshot();
    }
  }
  flush_flow_log(monotonic_ns(), true);  // nothing recorded is lost at shutdown
  publish_snapshot();
  spdlog::debug("worker {} stopped", index_);
}

// An empty batch makes the pipeline flush the flow-log windows that have ended. At shutdown
// it is stamped a day later on the Unix clock, so every open window has ended: the records
// keep the times of their packets, only the flush sees the later time.
void Worker::flush_flow_log(uint64_t now_ns, bool all_windows) {
  if (!flow_log_sink_) return;
  constexpr uint64_t kDayNs = uint64_t{86400} * 1'000'000'000;
  const uint64_t unix_ns = uint64_t(int64_t(now_ns) + context_.pipeline.unix_clock_offset_ns);
  pipeline_.process({}, now_ns, all_windows ? unix_ns + kDayNs : unix_ns);
  emit(pipeline_.released(), now_ns);  // what the call let go (expired held fragments)
}

void Worker::refresh() {
  refresh_services();
  if (context_.ports->version() != ports_version_) refresh_ports();
}

void Worker::refresh_services() {
  if (context_.services->version() != services_version_) {
    services_version_ = context_.services->version();
    if (services_) {
      for (size_t i = 0; i < services_retired_.values.size(); ++i) {
        services_retired_.values[i] += services_->counters().values[i];
      }
    }
    auto config = context_.services->current();
    services_ = config ? std::make_unique<dataplane::services::LocalServices>(*config) : nullptr;
  }
}

void Worker::refresh_ports() {
  ports_version_ = context_.ports->version();
  for (int fd : registered_) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  registered_.clear();
  ports_ = context_.ports->current();  // the old table (and removed TAPs) go after the DEL
  const size_t count = ports_ ? ports_->ports.size() : 0;
  eni_out_.resize(count);
  last_tap_batch_.assign(count, 0);
  tap_writes_.reserve(count);
  for (size_t position = 0; position < count; ++position) {
    eni_out_[position].clear();
    eni_out_[position].reserve(dataplane::kMaxBatch);
    if (position % context_.worker_count != index_) continue;
    const int fd = ports_->ports[position]->tap.fd();
    add_fd(epoll_fd_, fd, position);
    registered_.push_back(fd);
  }
}

void Worker::receive_eni(size_t position) {
  EniPort& port = *ports_->ports[position];
  const Port in_port = Port::eni(port.plan.eni);
  for (size_t i = 0; i < kReceiveBatch; ++i) {
    frames_[i] = {receive_storage_.data() + i * kReceiveBufferSize + kHeadroom,
                  0,
                  uint32_t(kReceiveBufferSize - kHeadroom),
                  {}};
  }
  // With io_uring, the first round reads one more frame than the last batch brought.
  const size_t received =
      tap_io_ ? tap_io_->receive(port.tap.fd(), frames_, size_t{last_tap_batch_[position]} + 1)
              : port.tap.receive(frames_);
  last_tap_batch_[position] = uint8_t(std::min<size_t>(received, kReceiveBatch));
  counters_.eni_frames_received += received;
  capture(port.plan.eni, std::span(frames_).first(received));
  for (size_t i = 0; i < received; ++i) {
    io::Frame& frame = frames_[i];
    const uint8_t gso = frame.vnet.gso_type & uint8_t(~io::kVirtioGsoEcn);
    const uint32_t target = worker_for_frame({frame.data, frame.size}, context_.worker_count);
    if (gso == io::kVirtioGsoTcpv4 || gso == io::kVirtioGsoTcpv6) {
      ++counters_.gso_frames;  // its checksum stays partial: the last kernel finishes it
      if (target != index_) {
        hand_off_super_frame(frame.data, frame.size, frame.vnet, false, in_port, target);
      } else {
        accept(frame.data, frame.size, in_port, target, frame.vnet.gso_size, gso);
      }
      continue;
    }
    if (gso != io::kVirtioGsoNone) {
      ++counters_.segmentation_offload_dropped;
      continue;
    }
    if (io::complete_checksum({frame.data, frame.size}, frame.vnet) != io::OffloadError::none) {
      ++counters_.checksum_completion_failed;
      continue;
    }
    accept(frame.data, frame.size, in_port, target);
  }
  process_pending(monotonic_ns());
}

void Worker::receive_underlay() {
  for (size_t i = 0; i < kReceiveBatch; ++i) {
    datagrams_[i] = {};
    datagrams_[i].data =
        receive_storage_.data() + i * kReceiveBufferSize + kHeadroom + io::kUnderlayHeadersSize;
    datagrams_[i].capacity = uint32_t(kReceiveBufferSize - kHeadroom - io::kUnderlayHeadersSize);
  }
  const size_t received = context_.underlay->receive(datagrams_);
  counters_.underlay_datagrams_received += received;
  for (size_t i = 0; i < received; ++i) {
    const io::Datagram& d = datagrams_[i];
    uint8_t* outer = d.data - io::kUnderlayHeadersSize;
    if (!io::write_underlay_headers(outer, d.peer_address, context_.underlay_address, d.peer_port,
                                    packet::kGenevePort, d.size, d.tos)) {
      ++counters_.oversize_dropped;
      continue;
    }
    const size_t size = d.size + io::kUnderlayHeadersSize;
    const uint32_t target = worker_for_underlay({outer, size}, context_.worker_count);
    const io::VirtioNetHeader vnet = underlay_gso(outer, size);
    if (target != index_ && vnet.gso_type != io::kVirtioGsoNone) {
      hand_off_super_frame(outer, size, vnet, true, Port::underlay(), target);
    } else {
      accept(outer, size, Port::underlay(), target);  // the pipeline reads the GSO option
    }
  }
  process_pending(monotonic_ns());
}

void Worker::hand_off_super_frame(uint8_t* data, size_t size, const io::VirtioNetHeader& vnet,
                                  bool outer, Port in_port, uint32_t target) {
  // An underlay packet's GSO is read from its Geneve option by the pipeline, as on this worker.
  const Inbox::Offload offload =
      outer ? Inbox::Offload{}
            : Inbox::Offload{vnet.gso_size, uint8_t(vnet.gso_type & uint8_t(~io::kVirtioGsoEcn))};
  if ((*context_.inboxes)[target]->push(index_, {data, size}, in_port, offload)) {
    ++counters_.handed_off;
    ++counters_.gso_handed_off;
    return;
  }
  hand_off_segments(data, size, vnet, outer, in_port, target);
}

void Worker::hand_off_segments(uint8_t* data, size_t size, const io::VirtioNetHeader& vnet,
                               bool outer, Port in_port, uint32_t target) {
  for (size_t i = 0; i < kSegmentSlots; ++i) {
    segment_frames_[i] = {
        segment_storage_.data() + i * kBufferSize, 0, uint32_t(kBufferSize - kHeadroom), {}};
  }
  const io::SegmentResult cut = outer ? cut_encapsulated({data, size}, vnet, segment_frames_)
                                      : io::segment_tcp({data, size}, vnet, 14, segment_frames_);
  if (cut.error != io::OffloadError::none) {
    ++counters_.segmentation_offload_dropped;
    return;
  }
  ++counters_.gso_segmented;
  for (uint32_t i = 0; i < cut.count; ++i) {
    const io::Frame& piece = segment_frames_[i];
    accept(piece.data, piece.size, in_port, target);
  }
}

void Worker::accept(uint8_t* data, size_t size, Port in_port, uint32_t target, uint16_t gso_size,
                    uint8_t gso_type) {
  if (size > 65535) {
    ++counters_.oversize_dropped;
    return;
  }
  if (target != index_) {
    if ((*context_.inboxes)[target]->push(index_, {data, size}, in_port)) {
      ++counters_.handed_off;
    } else {
      ++counters_.handoff_full;
    }
    return;
  }
  Packet p;
  p.data = data;
  p.size = uint16_t(size);
  p.headroom = kHeadroom;
  p.capacity = uint16_t(std::min<size_t>(kReceiveBufferSize - kHeadroom, 65535));
  p.in_port = in_port;
  p.gso_size = gso_size;
  p.gso_type = gso_type;
  pending_.push_back(p);
}

void Worker::drain_inbox() {
  Inbox& inbox = *(*context_.inboxes)[index_];
  inbox.take(inbox_entries_);
  for (size_t at = 0; at < inbox_entries_.size();) {
    const size_t end = std::min(inbox_entries_.size(), at + dataplane::kMaxBatch);
    for (; at < end; ++at) {
      const Inbox::Entry& entry = inbox_entries_[at];
      Packet p;
      p.data = inbox.data(entry);
      p.size = entry.size;
      p.headroom = inbox.headroom();
      p.capacity = inbox.capacity(entry);
      p.in_port = entry.in_port;
      p.gso_size = entry.offload.gso_size;
      p.gso_type = entry.offload.gso_type;
      pending_.push_back(p);
    }
    process_pending(monotonic_ns());
  }
  inbox.release();
}

void Worker::process_pending(uint64_t now_ns) {
  if (pending_.empty()) return;
  pipeline_.process(pending_, now_ns);
  emit(pending_, now_ns);
  emit(pipeline_.released(), now_ns);  // held fragments let go, fragments cut to the MTU
  pending_.clear();
}

void Worker::emit(dataplane::PacketBatch batch, uint64_t now_ns) {
  for (const Packet& p : batch) {
    switch (p.verdict) {
      case Verdict::deliver:
      case Verdict::icmp_error:
      case Verdict::encapsulate:
        queue_to_port(p);
        break;
      case Verdict::to_local_services:
        serve_local(p, now_ns);
        break;
      case Verdict::to_gateway:
        ++counters_.gateway_unsupported;
        break;
      case Verdict::drop:
      case Verdict::held:  // the pipeline copied it; it comes back through released()
        break;
    }
  }
  flush();
}

void Worker::queue_to_port(const Packet& p) {
  if (p.out_port.kind == PortKind::underlay) {
    if (p.size > context_.underlay_mtu && cut_for_underlay(p)) return;
    io::Datagram d;
    d.data = p.data;
    d.size = p.size;
    d.peer_address = packet::load_be32(p.data + 16);  // the outer destination
    underlay_pending_.push_back(d);
    return;
  }
  const int32_t position = p.out_port.kind == PortKind::eni ? ports_->find(p.out_port.id) : -1;
  if (position < 0) {
    ++counters_.no_output_port;
    return;
  }
  eni_out_[size_t(position)].push_back({p.data, p.size, p.capacity, gso_header(p)});
}

bool Worker::cut_for_underlay(const Packet& p) {
  if (underlay_gso(p.data, p.size).gso_type == io::kVirtioGsoNone) {
    return false;  // sent as it is: a plain packet's size is the sender's path MTU business
  }
  const uint32_t mtu = std::min<uint32_t>(context_.underlay_mtu, kCutSlotSize);
  io::SegmentResult cut;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The segments wait in underlay_pending_ until flush(); when the slots left do not hold
    // this super-frame's (a 64 KB one at MTU 1500 takes ~45), flush and cut again.
    const std::span<io::Frame> free = std::span(cut_frames_).subspan(cut_slots_used_);
    for (size_t i = 0; i < free.size(); ++i) {
      free[i] = {cut_storage_.data() + (cut_slots_used_ + i) * kCutSlotSize,
                 0,
                 uint32_t(kCutSlotSize),
                 {}};
    }
    cut = cut_to_mtu({p.data, p.size}, mtu, free);
    if (cut.error != io::OffloadError::too_many_segments || cut_slots_used_ == 0) break;
    flush();
  }
  if (cut.error != io::OffloadError::none) {
    ++counters_.segmentation_offload_dropped;
    return true;
  }
  ++counters_.gso_cut_for_underlay;
  for (uint32_t i = 0; i < cut.count; ++i) {
    const io::Frame& piece = cut_frames_[cut_slots_used_ + i];
    io::Datagram d;
    d.data = piece.data;
    d.size = piece.size;
    d.peer_address = packet::load_be32(piece.data + 16);
    underlay_pending_.push_back(d);
  }
  cut_slots_used_ += cut.count;
  return true;
}

void Worker::serve_local(const Packet& p, uint64_t now_ns) {
  const int32_t position = p.in_port.kind == PortKind::eni ? ports_->find(p.in_port.id) : -1;
  if (!services_ || position < 0) {
    ++counters_.services_no_reply;
    return;
  }
  const std::span<const uint8_t> frame(p.data, p.size);
  const size_t size =
      services_->respond(p.in_port.id, frame, packet::parse_frame(frame), reply_buffer_, now_ns);
  if (size == 0) {
    ++counters_.services_no_reply;
    return;
  }
  ++counters_.services_replied;
  const io::Frame reply{reply_buffer_.data(), uint32_t(size), uint32_t(reply_buffer_.size()), {}};
  send_to_eni(size_t(position), std::span(&reply, 1));
}

void Worker::send_to_eni(size_t position, std::span<const io::Frame> frames) {
  EniPort& port = *ports_->ports[position];
  // Several workers may write to one TAP at once: send_shared() keeps no state of its own.
  const size_t sent = port.tap.send_shared(frames);
  counters_.tap_send_failed += frames.size() - sent;
  capture(port.plan.eni, frames.first(sent));
}

void Worker::capture(uint32_t eni, std::span<const io::Frame> frames) {
  if (context_.capture == nullptr) return;
  const uint64_t watch = context_.capture->watch();
  if (EniCapture::eni_of(watch) == eni) context_.capture->offer(watch, frames);
}

void Worker::flush() {
  if (tap_io_) {
    flush_enis_batched();
  } else {
    for (size_t position = 0; position < eni_out_.size(); ++position) {
      if (eni_out_[position].empty()) continue;
      send_to_eni(position, eni_out_[position]);
      eni_out_[position].clear();
    }
  }
  // The raw socket's 4 MB send buffer is the underlay's queue: what it has no room for is
  // dropped and counted, as a NIC's full transmit ring drops. The worker never waits for room
  // (it did: up to 4 x poll(1 ms)), since its other ports and its inbox would wait with it.
  const uint64_t errors_before = underlay_out_.stats().send_errors;
  const size_t sent = underlay_out_.send(underlay_pending_);
  counters_.underlay_sent += sent;
  counters_.underlay_send_dropped += underlay_pending_.size() - sent;
  counters_.underlay_send_full +=
      underlay_pending_.size() - sent - (underlay_out_.stats().send_errors - errors_before);
  underlay_pending_.clear();
  cut_slots_used_ = 0;
}

// Every ENI's frames in one TapBatchIo::send: one system call for the batch (per 128 frames).
void Worker::flush_enis_batched() {
  tap_writes_.clear();
  for (size_t position = 0; position < eni_out_.size(); ++position) {
    if (eni_out_[position].empty()) continue;
    tap_writes_.push_back({ports_->ports[position]->tap.fd(), eni_out_[position], 0, position});
  }
  if (tap_writes_.empty()) return;
  tap_io_->send(tap_writes_);
  for (const io::TapWrite& write : tap_writes_) {
    counters_.tap_send_failed += write.frames.size() - write.sent;
    capture(ports_->ports[write.tag]->plan.eni, write.frames.first(write.sent));
    eni_out_[write.tag].clear();
  }
}

void Worker::publish_snapshot() {
  WorkerSnapshot next;
  next.pipeline = pipeline_.counters();
  if (const auto* program = pipeline_.program()) {
    for (const auto& eni : program->local_enis) {
      if (const auto* counters = pipeline_.eni_counters(eni.id)) next.enis[eni.id] = *counters;
      next.bandwidth_queued[eni.id] = pipeline_.queued_count(eni.id);
    }
  }
  next.services = services_retired_;
  if (services_) {
    for (size_t i = 0; i < next.services.values.size(); ++i) {
      next.services.values[i] += services_->counters().values[i];
    }
  }
  next.router = counters_;
  if (tap_io_) next.router.tap_io_submits = tap_io_->stats().submits;
  if (flow_log_sink_) next.router.flow_log_records_dropped = flow_log_sink_->dropped();
  if (const auto* program = pipeline_.program()) {
    for (const auto& eni : program->local_enis) {
      if (pipeline_.connection_counters(eni.id) == nullptr) continue;
      EniConnections& c = next.connections[eni.id];
      c.allowance_available = pipeline_.connection_allowance_available(eni.id);
      c.allowance_exceeded = pipeline_.connection_allowance_exceeded(eni.id);
      const uint32_t allowance = context_.pipeline.connection_settings.allowance;
      c.tracked = allowance > c.allowance_available ? allowance - c.allowance_available : 0;
    }
  }
  next.flow_count = pipeline_.flow_count();
  next.connection_count = pipeline_.connection_count();
  if (context_.underlay != nullptr && context_.underlay_worker == index_) {
    next.underlay_receive = context_.underlay->stats();
  }
  next.underlay_send = underlay_out_.stats();
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  snapshot_ = std::move(next);
}

}  // namespace openvpc::router
