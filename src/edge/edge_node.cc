#include "edge/edge_node.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "io/offload.h"
#include "io/underlay_batch.h"
#include "packet/geneve.h"

namespace openvpc::edge {

namespace {

using dataplane::Packet;
using dataplane::Port;
using dataplane::PortKind;
using dataplane::Verdict;

constexpr size_t kBatch = 64;
constexpr uint16_t kHeadroom = 128;
constexpr size_t kBufferSize = kHeadroom + io::kMaxFrameSize;
constexpr uint64_t kArpUnresolvedNs = 500'000'000;
constexpr uint64_t kArpRefreshNs = 30'000'000'000;
constexpr uint64_t kSnapshotNs = 200'000'000;
constexpr uint64_t kOutsideTag = 1;
constexpr uint64_t kUnderlayTag = 2;

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

Result<uint32_t> parse_v4(const std::string& text, const char* what) {
  auto address = program::parse_address(text);
  if (!address || !address->is_v4()) {
    return make_error("edge.options", std::string(what) + ": not an IPv4 address: " + text);
  }
  return address->v4_host_order();
}

// A locally administered MAC for the node's outside side, from its underlay address.
packet::MacAddress outside_mac(uint32_t underlay_v4) {
  return packet::MacAddress{{0x02, 0xed, uint8_t(underlay_v4 >> 24), uint8_t(underlay_v4 >> 16),
                             uint8_t(underlay_v4 >> 8), uint8_t(underlay_v4)}};
}

}  // namespace

Result<std::unique_ptr<EdgeNode>> EdgeNode::create(const EdgeOptions& options) {
  auto underlay_v4 = parse_v4(options.underlay_ip, "--underlay-ip");
  if (!underlay_v4) return underlay_v4.error();
  const size_t slash = options.outside_address.find('/');
  auto outside_v4 = parse_v4(options.outside_address.substr(0, slash), "--outside-address");
  if (!outside_v4) return outside_v4.error();
  auto gateway_v4 = parse_v4(options.outside_gateway, "--outside-gateway");
  if (!gateway_v4) return gateway_v4.error();
  EdgeConfig config;
  config.outside_address = *outside_v4;
  config.outside_gateway = *gateway_v4;
  config.outside_mac = outside_mac(*underlay_v4);
  config.outside_mtu = options.outside_mtu;

  io::UnderlaySocketConfig socket_config;
  socket_config.address = *underlay_v4;
  auto underlay = io::UnderlaySocket::open(socket_config);
  if (!underlay) return underlay.error();
  auto underlay_out = io::RawUnderlaySocket::open();
  if (!underlay_out) return underlay_out.error();
  io::TapPortConfig tap;
  tap.name = options.outside_dev;
  tap.mtu = options.outside_mtu;
  tap.offloads = true;
  auto outside = io::TapPort::create(tap);
  if (!outside) return outside.error();
  if (!options.outside_netns.empty()) {
    if (auto moved = outside->move_to_namespace(options.outside_netns); !moved) {
      return moved.error();
    }
  }
  return std::unique_ptr<EdgeNode>(new EdgeNode(options, *underlay_v4, config, std::move(*underlay),
                                                std::move(*underlay_out), std::move(*outside)));
}

EdgeNode::EdgeNode(const EdgeOptions& options, uint32_t underlay_v4, EdgeConfig config,
                   io::UnderlaySocket underlay, io::RawUnderlaySocket underlay_out,
                   io::TapPort outside)
    : options_(options),
      underlay_v4_(underlay_v4),
      underlay_(std::move(underlay)),
      underlay_out_(std::move(underlay_out)),
      outside_(std::move(outside)),
      translator_(config),
      storage_(kBatch * kBufferSize),
      frames_(kBatch),
      datagrams_(kBatch) {
  packets_.reserve(kBatch);
  outside_out_.reserve(kBatch);
  underlay_out_batch_.reserve(kBatch);
}

EdgeNode::~EdgeNode() {
  if (client_) client_->stop();
}

Result<void> EdgeNode::receive_program(const program::Program& program, uint64_t version) {
  auto table = compile_edge_table(program);
  if (!table) {
    programs_refused_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("program version {} refused: {}", version, table.error().message);
    return table.error();
  }
  if ((*table)->underlay_v4 != underlay_v4_) {
    programs_refused_.fetch_add(1, std::memory_order_relaxed);
    return make_error("edge.invalid_program", "the program is for another underlay address");
  }
  {
    std::lock_guard lock(table_mutex_);
    pending_table_ = std::move(*table);
    pending_version_ = version;
  }
  table_generation_.fetch_add(1, std::memory_order_release);
  programs_applied_.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("program version {}: {} public addresses", version, program.mappings.size());
  return {};
}

void EdgeNode::pick_up_table() {
  const uint64_t generation = table_generation_.load(std::memory_order_acquire);
  if (generation == seen_generation_) return;
  seen_generation_ = generation;
  std::lock_guard lock(table_mutex_);
  translator_.set_table(pending_table_);
  program_version_ = pending_version_;
}

void EdgeNode::run() {
  mapping::MappingClientOptions client_options;
  client_options.target = options_.controller;
  client_options.host_id = options_.node_id;
  client_options.role = "edge";
  client_options.tls_dir = options_.tls_dir;
  client_options.underlay = packet::IpAddress::v4(underlay_v4_);
  client_options.keepalive = std::chrono::milliseconds(1000);
  client_ = std::make_unique<mapping::MappingClient>(
      client_options, [this](const program::Program& program, uint64_t version) {
        return receive_program(program, version);
      });
  client_->start();

  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto [fd, tag] : {std::pair{outside_.fd(), kOutsideTag}, {underlay_.fd(), kUnderlayTag}}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
  }
  uint64_t next_snapshot = 0;
  epoll_event events[4];
  while (!stopping_.load(std::memory_order_relaxed)) {
    pick_up_table();
    const int ready = ::epoll_wait(epoll_fd, events, 4, 100);
    pick_up_table();
    for (int i = 0; i < ready; ++i) {
      if (events[i].data.u64 == kOutsideTag) receive_outside();
      if (events[i].data.u64 == kUnderlayTag) receive_underlay();
    }
    const uint64_t now = monotonic_ns();
    if (now >= next_arp_ns_) send_arp_request(now);
    if (now >= next_snapshot) {
      next_snapshot = now + kSnapshotNs;
      publish_snapshot();
    }
  }
  ::close(epoll_fd);
  client_->stop();
  publish_snapshot();
}

void EdgeNode::receive_outside() {
  for (size_t i = 0; i < kBatch; ++i) {
    frames_[i] = {
        storage_.data() + i * kBufferSize + kHeadroom, 0, uint32_t(kBufferSize - kHeadroom), {}};
  }
  const size_t received = outside_.receive(frames_);
  packets_.clear();
  for (size_t i = 0; i < received; ++i) {
    io::Frame& frame = frames_[i];
    const uint8_t gso = frame.vnet.gso_type & uint8_t(~io::kVirtioGsoEcn);
    if (gso == io::kVirtioGsoNone &&
        io::complete_checksum({frame.data, frame.size}, frame.vnet) != io::OffloadError::none) {
      continue;
    }
    if (frame.size > 65535) continue;
    Packet p;
    p.data = frame.data;
    p.size = uint16_t(frame.size);
    p.headroom = kHeadroom;
    p.capacity = uint16_t(std::min<size_t>(kBufferSize - kHeadroom, 65535));
    p.in_port = Port{PortKind::gateway, 0};
    if (gso != io::kVirtioGsoNone) {
      p.gso_type = gso;
      p.gso_size = frame.vnet.gso_size;
    }
    packets_.push_back(p);
  }
  process_and_send(packets_.size());
}

void EdgeNode::receive_underlay() {
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
    p.in_port = Port::underlay();
    packets_.push_back(p);
  }
  process_and_send(packets_.size());
}

void EdgeNode::process_and_send(size_t count) {
  if (count == 0) return;
  translator_.process(std::span(packets_).first(count));
  outside_out_.clear();
  underlay_out_batch_.clear();
  for (const Packet& p : std::span(packets_).first(count)) {
    if (p.verdict == Verdict::deliver) {
      outside_out_.push_back(
          {p.data, p.size, p.capacity, io::tso_header(p.data, p.size, p.gso_type, p.gso_size)});
    } else if (p.verdict == Verdict::encapsulate) {
      io::Datagram d;
      d.data = p.data;
      d.size = p.size;
      d.peer_address = packet::load_be32(p.data + 16);
      underlay_out_batch_.push_back(d);
    }
  }
  if (!outside_out_.empty()) {
    outside_send_failed_ += outside_out_.size() - outside_.send(outside_out_);
  }
  (void)io::send_underlay_all(underlay_out_, underlay_out_batch_);  // a full buffer: lost
}

void EdgeNode::send_arp_request(uint64_t now_ns) {
  next_arp_ns_ = now_ns + (translator_.next_hop_known() ? kArpRefreshNs : kArpUnresolvedNs);
  uint8_t frame[64];
  const size_t size = translator_.write_gateway_arp_request(frame, sizeof frame);
  if (size == 0) return;
  const io::Frame out{frame, uint32_t(size), uint32_t(sizeof frame), {}};
  if (outside_.send(std::span(&out, 1)) == 0) ++outside_send_failed_;
}

void EdgeNode::publish_snapshot() {
  EdgeSnapshot next;
  next.counters = translator_.counters();
  next.bindings = translator_.table() ? translator_.table()->bindings.size() : 0;
  next.program_version = program_version_;
  next.programs_applied = programs_applied_.load(std::memory_order_relaxed);
  next.programs_refused = programs_refused_.load(std::memory_order_relaxed);
  next.next_hop_known = translator_.next_hop_known();
  next.controller_connected = client_ && client_->status().connected;
  next.outside = outside_.stats();
  next.underlay_receive = underlay_.stats();
  next.underlay_send = underlay_out_.stats();
  next.outside_send_failed = outside_send_failed_;
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(next);
}

EdgeSnapshot EdgeNode::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

}  // namespace openvpc::edge
