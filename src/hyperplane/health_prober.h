// health_prober.h — a hyperplane node's health checks of its network load balancers' targets
// (issue #13; Elastic Load Balancing v2 target group health checks, TCP or HTTP).
//
// The node reaches a VPC only through the underlay, so the prober writes whole underlay packets
// (outer IPv4 / UDP 6081 / Geneve / VPC option / inner IPv4 / TCP) that the node sends with its
// raw underlay socket, and is handed the replies. A probe of a target goes from the load
// balancer's interface address in the target's subnet (else its first interface) to the
// target's address and health check port (the target's own port when 0): VNI = the VPC,
// source ENI = that interface, destination ENI = the target's, flag kVpcFlagFromHyperplane.
// The target's router sends the replies to the node of load_balancer_slot(interface address,
// probe source port): every probe's source port (1024..65535, varied per probe, never a
// listener port) is chosen so that slot is this node's, so the replies come here.
//   TCP check: SYN; a SYN-ACK within the timeout is a success (answered with RST); an RST or
//   the timeout a failure. HTTP check: handshake; the ACK carries "GET <path> HTTP/1.1" (Host,
//   User-Agent: ELB-HealthChecker/2.0, Connection: close); data is ACKed until the status
//   line is read; its code matching the matcher (health_matcher.h) is a success; then RST.
//   Within the timeout the SYN, and the request until data comes, are sent again after 1 s,
//   then 2 s, 4 s ... (RFC 6298's initial RTO, doubling), so one lost packet is no failure.
// Every interval per target (first probes of newly added targets spread over their interval);
// healthy after healthy_threshold consecutive successes, unhealthy after unhealthy_threshold
// consecutive failures; `initial` until the first threshold is crossed. A target group with
// health checks disabled is never probed and stays `initial`.
//
// Node-facing surface (loop thread only):
//   targets_of(lb, node, slot)  what to check for one load balancer (allocates; per program)
//   set_targets(targets)        all of the node's targets; keeps state and in-flight probes of
//                               targets that stay (same target group, address, port)
//   poll(now, out, lengths)     the packets due now (SYNs, ACKs, requests, RSTs) and timeouts
//   on_reply(vni, ip, n, now)   an inner IPv4 packet for an interface address on a non-listener
//                               port; false when it belongs to no probe (the node counts it)
//   state(tg, address, port), for_each(f), drain_changes(f), counters()
// No allocation, lock, exception or syscall in poll/on_reply. Replies' TCP checksums are not
// verified (routers may hand over offloaded segments); every field is checked against the probe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hyperplane/health_matcher.h"
#include "program/program.h"

namespace openvpc::hyperplane {

enum class TargetState : uint8_t { initial, healthy, unhealthy };

// Why the last probe failed (DescribeTargetHealth's reason: Target.Timeout,
// Target.FailedHealthChecks, Target.ResponseCodeMismatch).
enum class ProbeFailure : uint8_t {
  none,
  timeout,        // no answer in timeout_seconds
  refused,        // RST
  response_code,  // HTTP: status code not matched
  bad_response,   // HTTP: not a status line, or the connection ended before one
  no_port,        // no free source port of this node's slot (not expected)
};

// DescribeTargetHealth's TargetHealth.Reason for an unhealthy target's last failure.
inline std::string_view reason_code(ProbeFailure failure) {
  switch (failure) {
    case ProbeFailure::timeout:
      return "Target.Timeout";
    case ProbeFailure::response_code:
      return "Target.ResponseCodeMismatch";
    case ProbeFailure::no_port:
      return "Elb.InternalError";
    default:
      return "Target.FailedHealthChecks";
  }
}

// One target to check, as targets_of() builds it from the program. Addresses host order.
struct ProbeTarget {
  uint32_t load_balancer = 0;
  uint32_t target_group = 0;
  uint32_t address = 0;  // the target's
  uint16_t port = 0;     // the target's (its identity with target_group and address)
  uint16_t check_port = 0;
  uint32_t vni = 0;
  uint32_t source = 0;  // the load balancer interface's address
  uint32_t source_eni = 0;
  uint32_t target_eni = 0;
  uint32_t target_underlay = 0;
  uint32_t node_underlay = 0;
  uint32_t slot = 0;  // this node's slot of slots
  uint32_t slots = 0;
  bool enabled = true;
  bool http = false;
  uint32_t interval_ms = 30000;
  uint32_t timeout_ms = 10000;  // at most interval_ms
  uint32_t healthy_threshold = 5;
  uint32_t unhealthy_threshold = 2;
  HttpMatcher matcher{};
  std::string request{};                   // HTTP: the request's bytes
  std::vector<uint16_t> listener_ports{};  // sorted; never probe source ports
};

// A target's health as for_each / drain_changes report it.
struct TargetHealth {
  uint32_t load_balancer = 0;
  uint32_t target_group = 0;
  uint32_t address = 0;
  uint16_t port = 0;
  TargetState state = TargetState::initial;
  ProbeFailure last_failure = ProbeFailure::none;  // of the latest failed probe
};

struct HealthProberCounters {
  uint64_t probes = 0;     // SYNs sent
  uint64_t successes = 0;  // probes that succeeded
  uint64_t failures = 0;
  uint64_t replies = 0;      // on_reply packets that matched a probe
  uint64_t retransmits = 0;  // SYNs and requests sent again
  uint64_t packets = 0;      // poll packets written
};

class HealthProber {
 public:
  static constexpr size_t kPacketCapacity = 2048;
  static constexpr uint16_t kFirstSourcePort = 1024;

  // `seed` varies the initial sequence numbers (tests pass a fixed one).
  explicit HealthProber(uint64_t seed = 0x6f70656e767063ull);

  // The targets of every target group of `lb` that a listener forwards to (others are
  // "unused"), draining ones included; IPv4 targets only; none when slot is outside lb.nodes or
  // the load balancer has no IPv4 interface. node_underlay_v4: this node's. The source
  // interface is the one whose address shares the most leading bits with the target's (the
  // one in the target's subnet: a VPC's subnets are disjoint).
  static std::vector<ProbeTarget> targets_of(const program::LoadBalancer& lb,
                                             uint32_t node_underlay_v4, int slot);

  // Replaces the set; a target repeated (same target_group, address, port) counts once.
  void set_targets(std::vector<ProbeTarget> targets);

  // Writes the packets due at now_ms (each an outer IPv4 packet) into out[i], its size into
  // lengths[i]; returns how many (at most min(out.size(), lengths.size())). What does not
  // fit is written by the next call.
  size_t poll(uint64_t now_ms, std::span<std::array<uint8_t, kPacketCapacity>> out,
              std::span<size_t> lengths);

  bool on_reply(uint32_t vni, const uint8_t* inner_ipv4, size_t length, uint64_t now_ms);

  // initial for a target not in the set.
  TargetState state(uint32_t target_group, uint32_t address, uint16_t port) const;

  // f(const TargetHealth&) for every target, in (target_group, address, port) order.
  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : entries_) f(health_of(e));
  }
  // f(const TargetHealth&) for every target whose state changed since the last drain.
  template <class F>
  void drain_changes(F&& f) {
    for (const uint32_t index : changed_) {
      entries_[index].changed = false;
      f(health_of(entries_[index]));
    }
    changed_.clear();
  }

  const HealthProberCounters& counters() const { return counters_; }
  size_t size() const { return entries_.size(); }

 private:
  enum class Phase : uint8_t { idle, syn_sent, established };
  enum Tx : uint8_t { kTxRequest = 1, kTxAck = 2, kTxRst = 4 };
  static constexpr uint64_t kUnscheduled = ~uint64_t{0};

  struct Entry {
    ProbeTarget target;
    TargetState state = TargetState::initial;
    ProbeFailure last_failure = ProbeFailure::none;
    bool changed = false;
    Phase phase = Phase::idle;
    uint8_t tx = 0;  // Tx bits: segments poll() owes
    bool fin = false;
    uint8_t status_size = 0;
    uint16_t source_port = 0;
    uint32_t successes = 0;  // consecutive
    uint32_t failures = 0;
    uint64_t next_ms = kUnscheduled;
    uint64_t deadline_ms = 0;
    uint64_t retransmit_ms = kUnscheduled;
    uint32_t rto_ms = 0;
    uint32_t iss = 0;
    uint32_t snd_nxt = 0;
    uint32_t rcv_nxt = 0;
    std::array<uint8_t, kStatusLinePrefix> status{};
  };

  static TargetHealth health_of(const Entry& e) {
    return {e.target.load_balancer, e.target.target_group, e.target.address, e.target.port, e.state,
            e.last_failure};
  }
  const Entry* find(uint32_t target_group, uint32_t address, uint16_t port) const;
  bool start_probe(Entry& e, uint64_t now_ms);
  uint16_t pick_port(const ProbeTarget& t);
  void finish(Entry& e, bool success, ProbeFailure why);
  void release(Entry& e);
  void on_data(Entry& e, const uint8_t* payload, size_t size, uint32_t seq, bool fin);
  size_t write_segment(const Entry& e, uint8_t* out, uint8_t flags, uint32_t seq, uint32_t ack,
                       std::span<const uint8_t> payload, bool syn_options) const;
  uint32_t next_iss();

  std::vector<Entry> entries_;        // sorted by (target_group, address, port)
  std::vector<uint32_t> changed_;     // entries with changed set
  std::vector<uint32_t> port_owner_;  // source port -> entry index + 1 (in-flight probes)
  uint16_t port_cursor_ = kFirstSourcePort;
  uint64_t rng_;
  uint64_t next_wake_ms_ = 0;  // poll() has nothing to do before this
  bool pending_tx_ = false;
  size_t unscheduled_ = 0;
  HealthProberCounters counters_;
};

}  // namespace openvpc::hyperplane
