// worker.h — one worker thread: ports in, Pipeline::process, ports out by verdict.
//
// Each worker owns a dataplane::Pipeline (flow cache + connection table) and a LocalServices,
// and receives from the ENI ports assigned to it (port position % worker_count) and, for one
// worker, the underlay socket. Every received packet is dispatched by the symmetric flow hash
// (dispatch.h); packets for another worker are copied into that worker's Inbox. The worker
// then sends by verdict: deliver / icmp_error -> the out port's TAP (or the underlay),
// encapsulate -> its own raw underlay socket (full outer IPv4, so the per-flow UDP source
// port survives), to_local_services -> LocalServices::respond and the reply back on the ENI;
// drops are counted by the pipeline by reason, the router's own losses in WorkerCounters.
//
// TSO: an ENI's TAP may hand over TCP super-frames (eni_port.h); they go through the pipeline
// whole (Packet::gso_size/gso_type) and leave encapsulated whole (the VPC option carries the
// GSO size) or, to a TAP, with a virtio-net GSO header (NEEDS_CSUM at the TCP checksum), so
// the destination kernel takes one skb. Receive buffers are kReceiveBufferSize for that. A
// super-frame dispatched to another worker crosses whole in one of its inbox's large slots
// (gso_handed_off), cut in software only when they are all in use (gso_segmented); a UDP GSO
// frame is dropped (segmentation_offload_dropped). A super-frame for the underlay that exceeds
// its MTU (WorkerContext::underlay_mtu) is cut to fit before it leaves (underlay_segments.h;
// gso_cut_for_underlay).
//
// Configuration (program, services, port table) is picked up between batches; nothing on the
// per-packet path allocates or locks (workers write to a shared TAP without one). Counters are
// copied into a snapshot under a mutex a few times a second for the counters file; readers
// never touch live counters. While an ENI is captured (capture.h), the batches received from
// and sent to its TAP are also offered to the capture queue (one atomic load per batch
// otherwise). stop() is cooperative: run() returns within ~100 ms.
//
// TAP I/O: with a TapBatchIo (io_uring, the default where the kernel has it) a batch of reads
// from an ENI is a few system calls, and flush() writes every ENI's frames in one; without
// one, each frame is a readv/writev of its own (--tap-io syscalls).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "dataplane/pipeline.h"
#include "dataplane/services/local_services.h"
#include "io/raw_underlay_socket.h"
#include "io/tap_batch_io.h"
#include "io/underlay_socket.h"
#include "router/capture.h"
#include "router/dispatch.h"
#include "router/eni_port.h"
#include "router/flow_log_files.h"
#include "router/flow_log_writer.h"

namespace openvpc::router {

// What the router loses or does around the pipeline (the pipeline counts its own drops).
struct WorkerCounters {
  uint64_t eni_frames_received = 0;
  uint64_t underlay_datagrams_received = 0;
  uint64_t checksum_completion_failed = 0;    // a partial-checksum frame offload.h refused
  uint64_t segmentation_offload_dropped = 0;  // a UDP GSO frame, or one not cut for a handoff
  uint64_t gso_frames = 0;                    // TCP super-frames received (from ENIs)
  uint64_t gso_handed_off = 0;                // super-frames handed to another worker whole
  uint64_t gso_segmented = 0;         // ... cut in software instead (no large inbox slot free)
  uint64_t gso_cut_for_underlay = 0;  // super-frames cut to fit the underlay MTU
  uint64_t oversize_dropped = 0;
  uint64_t handed_off = 0;       // to another worker's inbox
  uint64_t handoff_full = 0;     // that inbox was full: dropped
  uint64_t tap_send_failed = 0;  // frames a TAP did not take
  uint64_t tap_io_submits = 0;   // io_uring_enter calls carrying TAP reads/writes (tap_batch_io.h)
  uint64_t no_output_port = 0;   // verdict for an ENI this host has no port for
  uint64_t underlay_sent = 0;
  uint64_t underlay_send_dropped = 0;  // socket buffer full, or refused
  uint64_t underlay_send_full = 0;     // of those: the send buffer was full
  uint64_t gateway_unsupported = 0;    // to_gateway: no gateway ports yet
  uint64_t services_replied = 0;
  uint64_t services_no_reply = 0;
  uint64_t flow_log_records_dropped = 0;  // the flow-log writer's queue was full
};

// One ENI's connection tracking in one worker (each worker has its own table and allowance).
struct EniConnections {
  uint32_t tracked = 0;              // connections counted against the allowance
  uint32_t allowance_available = 0;  // conntrack_allowance_available
  uint64_t allowance_exceeded = 0;   // conntrack_allowance_exceeded
};

struct WorkerSnapshot {
  dataplane::PipelineCounters pipeline;
  std::map<uint32_t, dataplane::EniCounters> enis;
  std::map<uint32_t, EniConnections> connections;  // ENIs this worker's table has seen
  std::map<uint32_t, uint64_t> bandwidth_queued;   // local ENIs: packets waiting for bandwidth
  dataplane::services::ServicesCounters services;
  WorkerCounters router;
  size_t flow_count = 0;
  size_t connection_count = 0;
  io::UnderlaySocketStats underlay_receive;  // the worker that receives the underlay only
  io::UnderlaySocketStats underlay_send;     // this worker's raw socket
};

// What all workers share; owned by the Router, outlives the workers.
struct WorkerContext {
  const dataplane::ProgramPublisher* programs = nullptr;
  const Published<dataplane::services::ServicesConfig>* services = nullptr;
  const Published<PortTable>* ports = nullptr;
  io::UnderlaySocket* underlay = nullptr;  // received by worker `underlay_worker` only
  uint32_t underlay_worker = 0;
  uint32_t underlay_address = 0;  // host order
  // Super-frames larger than this are cut before they leave (underlay_segments.h); at 65535
  // (the largest IPv4 packet) or above, as on loopback (65536), nothing is ever cut and no cut
  // buffers are made.
  uint32_t underlay_mtu = 65536;
  std::vector<std::unique_ptr<Inbox>>* inboxes = nullptr;  // one per worker
  uint32_t worker_count = 1;
  dataplane::PipelineConfig pipeline;
  EniCapture* capture = nullptr;       // checked once per ENI batch (capture.h); may be null
  FlowLogWriter* flow_logs = nullptr;  // where the flow log's windows go; null: no flow logs
};

class Worker {
 public:
  static constexpr size_t kReceiveBatch = 64;
  static constexpr uint16_t kHeadroom = 128;
  static constexpr size_t kBufferSize = 16384;  // > MTU 9001 + Ethernet + outer headers
  // Receive buffers (ENI and underlay): a TSO super-frame, or one encapsulated, fits whole.
  static constexpr size_t kReceiveBufferSize = kHeadroom + io::kMaxFrameSize;
  static constexpr size_t kSegmentSlots = 128;  // software segments of one super-frame
  // Segments of super-frames cut to the underlay MTU, waiting for flush(): 128 hold two 64 KB
  // super-frames at MTU 1500; the cut is at most kCutSlotSize bytes whatever the MTU.
  static constexpr size_t kCutSlots = 128;
  static constexpr size_t kCutSlotSize = kBufferSize;
  static constexpr uint32_t kLargestPacket = 65535;

  // `tap_io`: the worker's batched TAP reads and writes; empty: readv/writev per frame.
  Worker(uint32_t index, const WorkerContext& context, io::RawUnderlaySocket underlay_out,
         std::optional<io::TapBatchIo> tap_io);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  void stop();  // asks and joins
  // After start(): the worker thread runs on `cpu` only (--cpus, cpu_affinity.h).
  Result<void> pin(unsigned cpu);
  WorkerSnapshot snapshot() const;

 private:
  void run();
  void refresh();
  void refresh_services();
  void refresh_ports();
  void receive_eni(size_t position);
  void receive_underlay();
  void drain_inbox();
  void accept(uint8_t* data, size_t size, dataplane::Port in_port, uint32_t target,
              uint16_t gso_size = 0, uint8_t gso_type = 0);
  // A super-frame for another worker: pushed whole into one of its inbox's large slots; when
  // none is free, cut in software and the pieces pushed. `outer` says the frame is an underlay
  // packet (52 bytes of outer headers, fixed per piece; its GSO rides in the Geneve option)
  // rather than an Ethernet frame.
  void hand_off_super_frame(uint8_t* data, size_t size, const io::VirtioNetHeader& vnet, bool outer,
                            dataplane::Port in_port, uint32_t target);
  void hand_off_segments(uint8_t* data, size_t size, const io::VirtioNetHeader& vnet, bool outer,
                         dataplane::Port in_port, uint32_t target);
  void process_pending(uint64_t now_ns);
  void emit(dataplane::PacketBatch batch, uint64_t now_ns);
  void queue_to_port(const dataplane::Packet& p);
  // A super-frame for the underlay larger than its MTU: cut, the segments queued. False when
  // it is not a super-frame (the caller queues it as it is).
  bool cut_for_underlay(const dataplane::Packet& p);
  void serve_local(const dataplane::Packet& p, uint64_t now_ns);
  void send_to_eni(size_t position, std::span<const io::Frame> frames);
  void capture(uint32_t eni, std::span<const io::Frame> frames);  // when the ENI is watched
  void flush();
  void flush_enis_batched();
  void publish_snapshot();
  void flush_flow_log(uint64_t now_ns, bool all_windows);

  const uint32_t index_;
  const WorkerContext context_;
  io::RawUnderlaySocket underlay_out_;
  std::optional<io::TapBatchIo> tap_io_;
  std::unique_ptr<WorkerFlowLogSink> flow_log_sink_;  // before pipeline_, which points at it
  dataplane::Pipeline pipeline_;
  std::unique_ptr<dataplane::services::LocalServices> services_;
  uint64_t services_version_ = ~uint64_t{0};
  dataplane::services::ServicesCounters services_retired_;  // of replaced LocalServices
  std::shared_ptr<const PortTable> ports_;
  uint64_t ports_version_ = ~uint64_t{0};
  int epoll_fd_ = -1;
  std::vector<int> registered_;  // TAP fds in epoll_fd_

  std::vector<uint8_t> receive_storage_;  // kReceiveBatch buffers of kReceiveBufferSize
  std::vector<uint8_t> segment_storage_;  // kSegmentSlots buffers of kBufferSize
  std::vector<io::Frame> segment_frames_;
  std::vector<io::Frame> frames_;
  std::vector<io::Datagram> datagrams_;
  std::vector<dataplane::Packet> pending_;  // accepted, not yet processed
  std::vector<Inbox::Entry> inbox_entries_;
  std::vector<std::vector<io::Frame>> eni_out_;  // by port position
  std::vector<io::TapWrite> tap_writes_;  // flush(): one per port with frames, tagged by position
  std::vector<uint8_t> last_tap_batch_;   // by port position: the frames its last read gave
  std::vector<io::Datagram> underlay_pending_;
  std::vector<uint8_t> cut_storage_;  // kCutSlots buffers of kCutSlotSize (small MTUs only)
  std::vector<io::Frame> cut_frames_;
  size_t cut_slots_used_ = 0;  // by segments in underlay_pending_
  std::vector<uint8_t> reply_buffer_;
  WorkerCounters counters_;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex snapshot_mutex_;
  WorkerSnapshot snapshot_;
  uint64_t last_snapshot_ns_ = 0;
};

}  // namespace openvpc::router
