// eni_allowance.h — per-ENI allowances as EC2 instances have them (ENA's counter names).
//
// Each local ENI has, per direction, a packets-per-second and a bandwidth allowance, and a
// packets-per-second allowance for the link-local services the router answers itself (ARP,
// DHCP, DNS, ICMP echo to the router: everything the local services stage handles; AWS's
// 1,024 pps per ENI). "Out" is what the instance sends (its frames, before any
// encapsulation), "in" what is delivered to it (its frames). A packet over an allowance is
// dropped with one of kAllowanceDropReasons; the pipeline counts it like any drop, on the ENI
// whose allowance it exceeded. Token buckets (token_bucket.h) — a policer, except for the one
// shaper below — with a burst of a quarter of a second of the allowance: TCP loses a
// whole super-frame to a policer at once and then waits for its retransmission timeout
// (200 ms at least), and a burst that covers that wait gives TCP the whole allowance back
// afterwards (measured, tests/e2e/test_allowances.py: 20 Mbit/s TCP got 9.4-9.8 Mbit/s with
// 100 ms of burst, 19.8-19.9 with 250 ms). Never less than one largest packet (a 64 KB GSO
// super-frame, whose cost is its full byte length and the packets it stands for), so that a
// super-frame under the allowance can pass at all.
//
// Shaper (AllowanceSettings::queue_bandwidth_out; --eni-bandwidth-queue fq_codel or fair): a
// packet an ENI sends into the VPC (verdict encapsulate) that its outbound bandwidth bucket
// cannot pay for now, or that would pass packets already waiting, is not dropped: charge()
// answers `queue`, the pipeline puts it in the ENI's fair queue (fair_queue.h), and pay_out()
// spends its bytes when it leaves. Its packets-per-second allowance is still policed on
// arrival; inbound allowances, and traffic between local ENIs, stay policed.
//
// Workers: the state lives in each worker's Pipeline (like the connection table), and each
// worker enforces the WHOLE allowance for the packets it handles. The flow hash pins a flow to
// one worker, so dividing the allowance by the worker count would hold a single bulk flow —
// the case an allowance is mostly about — to a fraction of it; sharing one bucket across
// workers would put an atomic on every packet. With one worker (the router's default) an ENI
// gets exactly its allowance; with W workers, an ENI whose flows spread over them can reach up
// to W times it.
//
// Cost when unlimited: polices(verdict) is one table read and one predictable branch; only
// to_local_services packets (the link-local allowance is always on) go further.
// Not thread-safe (one per Pipeline); state is allocated when a program swap brings an ENI the
// allowance has not seen, never per packet.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "dataplane/compiled_program.h"
#include "dataplane/token_bucket.h"
#include "dataplane/verdict.h"

namespace openvpc::dataplane {

struct AllowanceSettings {
  uint32_t packets_per_second = 0;               // per ENI and direction; 0: unlimited
  uint32_t megabits_per_second = 0;              // per ENI and direction; 0: unlimited
  uint32_t linklocal_packets_per_second = 1024;  // per ENI, to the router's own services
  bool queue_bandwidth_out = false;  // shape the outbound bandwidth into the VPC (see above)
};

// The drop reasons an allowance gives, in /metrics' order (openvpc_eni_<name>_total).
inline constexpr std::array kAllowanceDropReasons = {
    DropReason::pps_allowance_exceeded,
    DropReason::bw_in_allowance_exceeded,
    DropReason::bw_out_allowance_exceeded,
    DropReason::linklocal_allowance_exceeded,
};

class EniAllowances {
 public:
  static constexpr uint64_t kBurstDivisor = 4;            // burst = 1/4 s of the allowance
  static constexpr uint64_t kMinimumBurstPackets = 64;    // a super-frame of MSS-sized segments
  static constexpr uint64_t kMinimumBurstBytes = 131072;  // a 64 KB super-frame, twice

  explicit EniAllowances(AllowanceSettings settings);

  // Whether a packet with this verdict may be over some allowance (see the header).
  bool polices(Verdict verdict) const { return policed_[size_t(verdict)]; }
  // Whether the outbound bandwidth of encapsulated packets is shaped (see the header).
  bool shapes() const { return shapes_; }

  // Per program swap: maps the program's local ENI indexes to their state (new ENIs get full
  // buckets; an ENI that comes back keeps its state).
  void refresh(const CompiledProgram& program);

  // The allowance a packet with `verdict` exceeds (reason none: within all, its tokens are
  // then taken), and whether it was the destination's inbound one.
  // source_index: the local ENI that sent it (-1: from the underlay); destination_index: the
  // local ENI it is delivered to (-1: none). packets: what it stands for on the wire (a
  // super-frame's segments); out_bytes / in_bytes: the frame the instance sent / is given.
  struct Charge {
    Verdict verdict;
    int32_t source_index;
    int32_t destination_index;
    uint32_t packets;
    uint64_t out_bytes;
    uint64_t in_bytes;
    bool behind = false;  // shaped: the source's queue holds packets, this one waits behind them
  };
  struct Refusal {
    DropReason reason = DropReason::none;
    bool inbound = false;
    bool queue = false;  // shaped: the packet waits (its out_bytes are paid by pay_out())
  };
  Refusal charge(const Charge& c, uint64_t now_ns);
  // What a shaped ENI's queue may hold, in bytes: its bucket's burst (a quarter second of the
  // allowance, at least two 64 KB super-frames). A queue of 64 super-frames would otherwise be
  // 1.6 s of waiting at 20 Mbit/s for the flow that sent them.
  uint64_t queue_byte_limit() const {
    return std::max(kMinimumBurstBytes, bytes_per_second_ / kBurstDivisor);
  }
  // Whether the ENI's outbound bucket holds a queued packet's bytes now (nothing spent: the
  // pipeline may still drop the packet, CoDel); pay_out() then spends them.
  bool can_pay_out(int32_t source_index, uint64_t bytes, uint64_t now_ns);
  void pay_out(int32_t source_index, uint64_t bytes);  // after can_pay_out() said yes

 private:
  struct Direction {
    TokenBucket packets;
    TokenBucket bytes;
  };
  struct EniState {
    Direction out;
    Direction in;
    TokenBucket linklocal;
  };
  DropReason take(Direction& d, uint32_t packets, uint64_t bytes, DropReason bandwidth,
                  uint64_t now_ns) const;
  EniState fresh_state() const;

  AllowanceSettings settings_;
  uint64_t bytes_per_second_ = 0;
  bool shapes_ = false;
  std::array<bool, kVerdictCount> policed_{};
  std::map<uint32_t, std::unique_ptr<EniState>> by_id_;
  std::vector<EniState*> by_index_;  // by the program's local ENI index
};

}  // namespace openvpc::dataplane
