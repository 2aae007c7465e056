// edge_node.h — openvpc-edge: an edge node's ports, program and packet loop.
//
// One EdgeNode owns the node's two sides and runs the EdgeTranslator (edge_translator.h)
// between them on one thread:
//   underlay: a UDP socket bound to UNDERLAY:6081 (receive) and a raw socket (send, so each
//     flow keeps its outer UDP source port), like a router's;
//   outside: a TAP device (IFF_VNET_HDR with checksum/TSO offloads) named --outside-dev,
//     moved into --outside-netns when given (tests and the demo: the `internet` namespace,
//     where plain Linux routes the public pools to this node's --outside-address). The device
//     lives as long as the process: when the node dies its link goes down, and the outside's
//     routers stop using it — the way a real edge's BGP/BFD session would end.
// The program comes from the controller's mapping service (role "edge"): the controller
// counts the node live while that stream is open and lists it in routers' programs. Each
// program is compiled to an EdgeTable on the mapping client's thread and handed to the loop,
// which swaps it in between batches.
//
// Until the outside gateway's MAC is known the node ARPs for it every 500 ms (then every
// 30 s); packets for the outside are dropped meanwhile (edge_no_next_hop).
//
// Threading: run() on the caller's thread until stop(); snapshot() and status readers from
// any thread (a copy refreshed every 200 ms).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "edge/edge_translator.h"
#include "io/frame.h"
#include "io/raw_underlay_socket.h"
#include "io/tap_port.h"
#include "io/underlay_socket.h"
#include "mapping/mapping_client.h"

namespace openvpc::edge {

struct EdgeOptions {
  std::string node_id;
  std::string underlay_ip;
  std::string controller;       // ADDRESS:PORT of the mapping service
  std::string tls_dir;          // mapping_client.h: ca.pem, cert.pem, key.pem; empty: plaintext
  std::string outside_dev;      // TAP name
  std::string outside_netns;    // empty: the TAP stays in this namespace
  std::string outside_address;  // A.B.C.D/LEN: the node's own address on the outside link
  std::string outside_gateway;  // A.B.C.D: the outside next hop
  uint16_t outside_mtu = 1500;
  std::string admin;  // ADDRESS:PORT for /metrics; empty: UNDERLAY:9181; "off": none
  std::string log_level = "info";
};

// What /metrics shows; copied under a mutex a few times a second.
struct EdgeSnapshot {
  EdgeCounters counters;
  size_t bindings = 0;
  uint64_t program_version = 0;
  uint64_t programs_applied = 0;
  uint64_t programs_refused = 0;
  bool next_hop_known = false;
  bool controller_connected = false;
  io::TapPortStats outside;
  io::UnderlaySocketStats underlay_receive;
  io::UnderlaySocketStats underlay_send;
  uint64_t outside_send_failed = 0;
};

class EdgeNode {
 public:
  static Result<std::unique_ptr<EdgeNode>> create(const EdgeOptions& options);
  ~EdgeNode();
  EdgeNode(const EdgeNode&) = delete;
  EdgeNode& operator=(const EdgeNode&) = delete;

  // Starts the mapping client and runs the packet loop until stop().
  void run();
  void stop() { stopping_.store(true, std::memory_order_relaxed); }
  EdgeSnapshot snapshot() const;

 private:
  EdgeNode(const EdgeOptions& options, uint32_t underlay_v4, EdgeConfig config,
           io::UnderlaySocket underlay, io::RawUnderlaySocket underlay_out, io::TapPort outside);
  Result<void> receive_program(const program::Program& program, uint64_t version);
  void pick_up_table();
  void receive_outside();
  void receive_underlay();
  void process_and_send(size_t count);
  void send_arp_request(uint64_t now_ns);
  void publish_snapshot();

  EdgeOptions options_;
  uint32_t underlay_v4_ = 0;
  io::UnderlaySocket underlay_;
  io::RawUnderlaySocket underlay_out_;
  io::TapPort outside_;
  EdgeTranslator translator_;
  std::unique_ptr<mapping::MappingClient> client_;

  // Handed over from the mapping client's thread.
  std::mutex table_mutex_;
  std::shared_ptr<const EdgeTable> pending_table_;
  uint64_t pending_version_ = 0;
  std::atomic<uint64_t> table_generation_{0};  // bumped per table handed over
  uint64_t seen_generation_ = 0;
  std::atomic<uint64_t> programs_applied_{0};
  std::atomic<uint64_t> programs_refused_{0};
  uint64_t program_version_ = 0;

  std::vector<uint8_t> storage_;  // batch buffers
  std::vector<io::Frame> frames_;
  std::vector<io::Datagram> datagrams_;
  std::vector<dataplane::Packet> packets_;
  std::vector<io::Frame> outside_out_;
  std::vector<io::Datagram> underlay_out_batch_;
  uint64_t outside_send_failed_ = 0;
  uint64_t next_arp_ns_ = 0;

  std::atomic<bool> stopping_{false};
  mutable std::mutex snapshot_mutex_;
  EdgeSnapshot snapshot_;
};

}  // namespace openvpc::edge
