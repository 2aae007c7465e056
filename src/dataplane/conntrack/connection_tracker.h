// connection_tracker.h — per-worker connection state: the seam for conntrack.
//
// Security groups are stateful per ENI (REFERENCE.md): once an ENI's rules allowed a
// connection, its return traffic passes both ways, and it survives the removal of the rule
// that allowed it. ConnectionTracker keeps one entry per (ENI, connection), the connection
// named by its canonical 5-tuple (lower endpoint first), in a fixed-memory BucketTable.
//
// Per-protocol behaviour (state machine and timeouts) lives behind the functions declared in
// protocol_trackers.h, dispatched by a switch on the protocol (no virtual call per packet):
// drop a new file per protocol there (tcp, udp, icmp, other) to replace the minimal ones.
//
// A ConnectionRef names a slot plus its incarnation; a ref whose slot was reused or whose
// entry expired is simply not alive, so flow-cache entries can hold refs without dangling.
// Time is seconds on the caller's clock. One instance per worker; not thread-safe.
#pragma once

#include <cstdint>

#include "dataplane/bucket_table.h"
#include "packet/parser.h"

namespace openvpc::dataplane {

enum class ConnectionState : uint8_t { opening, established, closing };

struct ConnectionKey {
  packet::IpAddress low;
  packet::IpAddress high;
  uint16_t low_port = 0;
  uint16_t high_port = 0;
  uint8_t protocol = 0;
  uint32_t eni = 0;
  bool operator==(const ConnectionKey&) const = default;

  static ConnectionKey of(uint32_t eni, const packet::FiveTuple& tuple);
  uint64_t hash() const;
};

// Opaque to the pipeline; owned by the per-protocol trackers.
struct ProtocolState {
  uint32_t packets_from_initiator = 0;
  uint32_t packets_from_responder = 0;
  uint8_t tcp_flags_seen_initiator = 0;
  uint8_t tcp_flags_seen_responder = 0;
};

struct Connection {
  uint32_t incarnation = 0;
  uint32_t expires_at = 0;  // seconds
  ConnectionState state = ConnectionState::opening;
  bool initiator_is_low = true;
  ProtocolState protocol_state;
};

struct ConnectionRef {
  uint32_t slot = kInvalidSlot;
  uint32_t incarnation = 0;
  bool valid() const { return slot != kInvalidSlot; }
};

class ConnectionTracker {
 public:
  explicit ConnectionTracker(size_t capacity) : table_(capacity) {}

  // The live connection of `eni` this packet belongs to (either direction), or an invalid ref.
  ConnectionRef find(uint32_t eni, const packet::FiveTuple& tuple, uint32_t now) const;
  // Starts tracking a connection whose first packet is `meta` (its source is the initiator).
  // May evict the least recently used connection of a full bucket.
  ConnectionRef create(uint32_t eni, const packet::PacketMeta& meta, uint32_t now);
  // Whether ref still names a live connection.
  bool alive(ConnectionRef ref, uint32_t now) const;
  // Feeds one packet of a live connection to its protocol tracker; returns alive(ref, now)
  // afterwards (a tracker may end a connection, e.g. on RST).
  bool update(ConnectionRef ref, const packet::PacketMeta& meta, uint32_t now);
  const Connection* get(ConnectionRef ref) const;
  // A hint: brings ref's slot toward the cache (refs from unvalidated memory are fine).
  void prefetch(ConnectionRef ref) const {
    if (ref.slot < table_.capacity()) table_.prefetch_slot(ref.slot);
  }

  size_t count() const { return table_.count(); }
  size_t capacity() const { return table_.capacity(); }

 private:
  using Table = BucketTable<ConnectionKey, Connection>;
  Table table_;
  uint32_t next_incarnation_ = 1;
};

}  // namespace openvpc::dataplane
