// nat_fragments.h — a NAT gateway's later IPv4 fragments follow their datagram's first one.
//
// Only a datagram's first fragment carries the ports (or the ICMP echo id) that NatTable
// translates by. When a hyperplane node translates a first fragment (offset 0, more fragments)
// it remembers here, under the datagram's key as it arrived — (gateway number, direction,
// source, destination, protocol, IP id) — the address the translation wrote (out: the NAT
// address as the source; in: the inside address as the destination) and where and how the
// fragment was sent (underlay destination, destination ENI, outer UDP source port). A later
// fragment of that datagram gets the same address (only the IPv4 address and header checksum
// change: the first fragment's incremental L4 checksum update already covers the datagram) and
// the same outer header, so it reaches the same edge node or instance router as its first.
// A later fragment whose first one was not seen here (it came first, its entry expired or was
// taken) is not translated: the caller drops it (the node holds no packets).
//
// Why not dataplane's FragmentTracker: it holds out-of-order fragments, checks overlaps per ENI
// slot and keeps only a verdict; a node needs a small value per datagram and no holding, so
// this is a set-associative table of kWays entries per bucket with a clock: an entry lives
// `timeout_seconds` after its first fragment; a new datagram takes an empty or expired way,
// else the oldest. Memory fixed at construction; no allocation, lock or exception per packet;
// not thread-safe (one per translator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "packet/parser.h"

namespace openvpc::hyperplane {

// Where a datagram's first fragment went, as its later fragments must go too.
struct NatFragmentRoute {
  uint32_t address = 0;     // host order: out, the NAT (source) address; in, the inside one
  uint32_t to = 0;          // underlay address: the edge node / the inside's router
  uint32_t eni = 0;         // the destination ENI of the encapsulation (in: the inside ENI)
  uint16_t outer_port = 0;  // the outer UDP source port (flow hash) the first fragment had
};

class NatFragments {
 public:
  enum class Direction : uint8_t { out, in };

  explicit NatFragments(size_t capacity = 4096, uint32_t timeout_seconds = 5);

  // A later fragment: offset non-zero (no L4 header to translate by).
  static bool is_later_fragment(const packet::PacketMeta& meta) {
    return meta.fragment.is_fragment && meta.fragment.offset != 0;
  }
  // A first fragment: offset 0, more fragments to come.
  static bool is_first_fragment(const packet::PacketMeta& meta) {
    return meta.fragment.is_fragment && meta.fragment.offset == 0;
  }

  // The first fragment `meta` (parsed as it arrived, before translation) of gateway number
  // `gateway` was translated and sent as `route` says.
  void remember(Direction direction, uint32_t gateway, const packet::PacketMeta& meta,
                const NatFragmentRoute& route, uint32_t now);
  // A later fragment `meta` of `packet` (the buffer meta was parsed from): rewrites its
  // address as its first fragment's was and returns that fragment's route; nullptr (nothing
  // changed) when its first fragment is not known.
  const NatFragmentRoute* translate(Direction direction, uint32_t gateway,
                                    std::span<uint8_t> packet, const packet::PacketMeta& meta,
                                    uint32_t now) const;

  size_t capacity() const { return entries_.size(); }
  // Datagrams remembered and not expired at `now` (a scan: for tests and metrics).
  size_t count(uint32_t now) const;

 private:
  static constexpr size_t kWays = 4;
  struct Key {
    uint32_t gateway = 0;
    uint32_t src = 0;
    uint32_t dst = 0;
    uint16_t id = 0;
    uint8_t protocol = 0;
    Direction direction = Direction::out;
    bool operator==(const Key&) const = default;
  };
  struct Entry {
    Key key;
    NatFragmentRoute route;
    uint32_t since = 0;  // seconds: when its first fragment came
    bool used = false;
  };
  static Key key_of(Direction direction, uint32_t gateway, const packet::PacketMeta& meta);
  size_t bucket_of(const Key& key) const;
  bool live(const Entry& entry, uint32_t now) const;

  std::vector<Entry> entries_;  // buckets of kWays, a power-of-two number of them
  size_t bucket_mask_ = 0;
  uint32_t timeout_;
};

}  // namespace openvpc::hyperplane
