// options.h — openvpc-router's command line, parsed into plain values.
//
// parse_options() never exits the process and never throws: --help and every error come back
// as an Error whose message is the text to print (code "options.help" or "options.invalid").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace openvpc::router {

// `--instance ENI=NAMESPACE`: the router creates NAMESPACE and moves the ENI's TAP into it.
// ENI is the ENI's number or its name in the program. Without one, an ENI whose program entry
// names an instance goes into the namespace named after that instance; this overrides it.
struct InstanceBinding {
  std::string eni;
  std::string namespace_name;
};

struct RouterOptions {
  std::string host_id;
  uint32_t underlay_address = 0;   // IPv4, host order
  std::string program_path;        // --program FILE, or
  std::string controller_address;  // --controller HOST:PORT (the mapping service)
  // --tls-dir DIR: ca.pem, cert.pem, key.pem (`openvpc host add`) for the mapping service and
  // the admin endpoint; --insecure: a plaintext controller. One is needed with --controller.
  std::string tls_dir;
  bool insecure = false;
  unsigned worker_count = 1;
  // --cpus LIST: worker i runs on cpus[i mod size] (cpu_affinity.h); empty: wherever the
  // scheduler puts it.
  std::vector<unsigned> cpus;
  // Tracked connections each worker's table holds (all its ENIs together; a power of two).
  size_t max_connections = size_t{1} << 16;
  // --eni-pps-allowance N / --eni-bandwidth-allowance MBITS: every ENI's packets per second
  // and Mbit/s, each direction on its own (dataplane/eni_allowance.h); 0: unlimited.
  uint32_t eni_pps_allowance = 0;
  uint32_t eni_bandwidth_allowance_mbits = 0;
  // --eni-bandwidth-queue fq_codel|fair|none: what the outbound bandwidth allowance does with
  // a packet it cannot pay for yet: fq_codel = waits in the ENI's per-flow fair queue (a
  // shaper, dataplane/fair_queue.h) whose flows CoDel keeps short (dataplane/codel.h), fair =
  // the same queue without CoDel, none = dropped (a policer).
  enum class BandwidthQueue { fq_codel, fair, none };
  BandwidthQueue eni_bandwidth_queue = BandwidthQueue::fq_codel;
  std::string log_level = "info";
  std::string state_dir;  // empty: no counters file
  std::string tap_prefix = "ovpc-";
  uint32_t mtu = 9001;
  // --tso on|off: instance TAPs hand over TCP super-frames (TSO4/TSO6, eni_port.h) that cross
  // the router whole. Received super-frames are taken either way.
  bool tso = true;
  // --tap-io auto|io_uring|syscalls: how workers read and write the instance TAPs. io_uring
  // batches them (io/tap_batch_io.h); syscalls is a readv/writev per frame; auto takes
  // io_uring where the kernel allows it and says so in the log.
  enum class TapIo { automatic, io_uring, syscalls };
  TapIo tap_io = TapIo::automatic;
  // --underlay-mtu N | auto: super-frames larger than this are cut before they are
  // encapsulated onto the underlay (underlay_segments.h). 0 (auto): the MTU of the interface
  // holding the underlay address, learned at start (loopback: 65536, nothing cut).
  uint32_t underlay_mtu = 0;
  std::vector<InstanceBinding> instances;
  double counters_interval_seconds = 1.0;
  // Flow logs (flow_log_files.h). flow_log_window_seconds is a test/demo knob: when not 0,
  // every flow log aggregates over this many seconds instead of its MaxAggregationInterval.
  uint32_t flow_log_window_seconds = 0;
  // Every flow log's file lives under ROOT/ACCOUNT/ (flow_log_directory.h), never outside.
  std::string flow_log_root = "/var/log/openvpc/flow-logs";
  uint64_t flow_log_rotate_bytes = uint64_t{64} << 20;  // 0: never rotate
  unsigned flow_log_keep_files = 5;                     // rotated files kept: DEST.1 ... .N
  // --admin ADDRESS:PORT | off: the admin HTTP endpoint (admin_server.h). Default: port 9180
  // on the underlay address when that is a loopback address (127.0.0.0/8), else on 127.0.0.1.
  // Empty admin_address: off. Off loopback (or with --admin-tls) it serves HTTPS for operator
  // certificates only, and needs --tls-dir.
  std::string admin_address;
  bool admin_https = false;
  uint16_t admin_port = 9180;
  bool admin_given = false;  // on the command line: failing to bind it is fatal
};

Result<RouterOptions> parse_options(int argc, const char* const* argv);

}  // namespace openvpc::router
