// flow_replication.h — the wire format hyperplane nodes replicate NAT flows with.
//
// A NAT gateway's shard nodes each own a slice of its port space (port_space.h); when a node
// dies, routers and the edge move its flows to the next live slot's node, which must already
// hold them. So every flow a node creates or retires is sent to the gateway's other shard
// nodes, on UDP port 6082 of their underlay addresses (hyperplane/replicator.h batches them).
//
// A datagram is a 16-byte header followed by `count` fixed-size 36-byte records, big-endian:
//   header: magic "OVRP" (4) | version 1 (1) | flags (1; bit 0: bulk sync) | count (2) |
//           sent_ns (8: the sender's CLOCK_MONOTONIC at send, for the latency histogram;
//           meaningful only between nodes on one machine)
//   record: op (1: 1 upsert, 2 erase) | protocol (1: TCP, UDP or ICMP) | tcp_state (1) |
//           reserved (1, 0) | gateway number (4) | inside address (4) | remote address (4) |
//           NAT address (4) | inside port (2) | remote port (2) | NAT port (2) | reserved (2, 0)
//           | inside underlay (4) | inside ENI (4)
//   load balancer record (ops 3 lb upsert, 4 lb erase; lb_table.h), the same 36 bytes:
//           op (1) | protocol (1: TCP or UDP) | tcp_state (1: 0-3) | reserved (1, 0) |
//           load balancer number (4) | client address (4) | target address (4) |
//           listener address (4) | client port (2) | target port (2) | listener port (2) |
//           reserved (2, 0) | client underlay (4) | client ENI (4); no port is 0.
// At most kMaxRecords records (a datagram stays under 1,200 bytes). decode() is a parser of
// untrusted input: it checks every length and field and refuses the whole datagram on the
// first fault, saying why (the receiver counts drops by that reason).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "hyperplane/lb_table.h"
#include "hyperplane/nat_table.h"

namespace openvpc::hyperplane {

inline constexpr uint16_t kReplicationPort = 6082;
inline constexpr uint32_t kReplicationMagic = 0x4f565250;  // "OVRP"
inline constexpr uint8_t kReplicationVersion = 1;
inline constexpr size_t kReplicationHeaderSize = 16;
inline constexpr size_t kReplicationRecordSize = 36;
inline constexpr size_t kMaxRecords = 32;
inline constexpr size_t kMaxReplicationDatagram =
    kReplicationHeaderSize + kMaxRecords * kReplicationRecordSize;  // 1,168
inline constexpr uint8_t kReplicationFlagBulk = 0x01;

enum class ReplicationOp : uint8_t { upsert = 1, erase = 2, lb_upsert = 3, lb_erase = 4 };
inline bool is_lb(ReplicationOp op) {
  return op == ReplicationOp::lb_upsert || op == ReplicationOp::lb_erase;
}

struct ReplicationRecord {
  ReplicationOp op = ReplicationOp::upsert;
  uint32_t gateway_number = 0;  // ops 3 / 4: the load balancer's number
  NatFlow flow;      // ops 1 / 2; gateway, last_seen, replica and replicated_at are not carried
  LbFlow lb_flow{};  // ops 3 / 4; lb and the local fields (lb_table.h) are not carried
};

// Why a datagram was refused. One descriptor: names below.
enum class ReplicationError : uint8_t {
  none,
  truncated,  // shorter than its header, or not exactly header + count records
  bad_magic,
  bad_version,
  too_many,  // count above kMaxRecords (or 0)
  bad_op,
  bad_protocol,
  bad_reserved,  // a reserved field or flag bit is not 0
  bad_field,     // a NAT port below 1024, an inside port 0, an unknown TCP state (LB: a port 0)
  not_a_peer,    // (receiver) from an address that is no shard peer of the node
  count_,
};
inline constexpr size_t kReplicationErrorCount = size_t(ReplicationError::count_);
std::string_view to_string(ReplicationError error);

struct ReplicationHeader {
  uint8_t flags = 0;
  uint16_t count = 0;
  uint64_t sent_ns = 0;
};

// Writes the header for `count` records at out[0..16).
void encode_header(uint8_t* out, const ReplicationHeader& header);
// Writes one record at out[0..36).
void encode_record(uint8_t* out, const ReplicationRecord& record);

// Parses a datagram into header and records (records.size() >= kMaxRecords); on success
// header.count records were written. No allocation.
ReplicationError decode(std::span<const uint8_t> datagram, ReplicationHeader& header,
                        std::span<ReplicationRecord> records);

}  // namespace openvpc::hyperplane
