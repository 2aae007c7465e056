// fuzz_health_reply.cc — random replies to a hyperplane node's health probes
// (hyperplane/health_prober.h): one load balancer, a TCP-checked target group of two targets
// and an HTTP-checked one, the replies the untrusted targets send.
//
// Input: records as fuzz_records.h splits them; each record's bytes are an inner IPv4 packet
// handed to on_reply(), interleaved with poll()s. The port byte: bits 0-1 the clock step (0,
// 300, 1000, 2500 ms, so probes time out and intervals pass); bit 2 "aim": the packet's
// addresses and ports are rewritten to answer the probe (bits 3-4 pick which target's latest
// segment); bit 5 also sets its ACK number to what the probe sent next, bit 6 its sequence
// number to what the probe acknowledged (so the fuzzer reaches the established state and the
// status line parser without guessing 32-bit numbers); bit 7 a wrong VNI.
// Besides ASan/UBSan it checks the prober's contract: every packet poll() writes fits its slot,
// parses as Geneve from this node with the from-hyperplane flag to a target's host, from a load
// balancer address, on a source port of this node's slot that is no listener port; results
// never outnumber probes.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dataplane/nat_shard.h"
#include "fuzz_records.h"
#include "hyperplane/health_prober.h"
#include "packet/bytes.h"
#include "packet/geneve.h"
#include "packet/parser.h"

namespace {

using namespace openvpc;

constexpr uint32_t kVpc = 7;
constexpr uint32_t kNode = 0xc0a80002;
constexpr uint32_t kTargetHost = 0xc0a80114;
constexpr uint32_t kLbA = 0x0a00010a;
constexpr uint32_t kLbB = 0x0a00020a;
constexpr uint64_t kSteps[4] = {0, 300, 1000, 2500};

struct Last {  // the latest segment a probe sent to one target
  bool valid = false;
  uint8_t src[4], dst[4];
  uint16_t sport = 0, dport = 0;
  uint32_t next_seq = 0;  // what the target would acknowledge
  uint32_t ack = 0;       // what we acknowledged: the target's next sequence number
};

program::LoadBalancer make_lb() {
  program::LoadBalancer lb;
  lb.id = 5;
  lb.vpc = kVpc;
  lb.interfaces = {{100, 1, packet::IpAddress::v4(kLbA)}, {101, 2, packet::IpAddress::v4(kLbB)}};
  lb.nodes = {packet::IpAddress::v4(0xc0a80001), packet::IpAddress::v4(kNode)};
  lb.listeners = {{1025, program::ListenerProtocol::tcp, 1},
                  {80, program::ListenerProtocol::tcp, 2}};
  program::HealthCheck tcp;
  tcp.interval_seconds = 2;
  tcp.timeout_seconds = 1;
  tcp.healthy_threshold = 2;
  tcp.unhealthy_threshold = 2;
  program::HealthCheck http = tcp;
  http.protocol = program::HealthCheckProtocol::http;
  http.path = "/health";
  http.matcher = "200,202-204";
  lb.target_groups = {
      {1, "tcp", tcp, 300, true, false, {}},
      {2, "http", http, 300, true, false, {}},
  };
  for (uint32_t i = 0; i < 2; ++i) {
    lb.target_groups[0].targets.push_back(
        {packet::IpAddress::v4(0x0a000214 + i), 80, 200 + i, packet::IpAddress::v4(kTargetHost)});
  }
  lb.target_groups[1].targets.push_back(
      {packet::IpAddress::v4(0x0a000120), 8080, 210, packet::IpAddress::v4(kTargetHost)});
  return lb;
}

void check_and_remember(const uint8_t* bytes, size_t size, std::array<Last, 3>& last) {
  if (size > hyperplane::HealthProber::kPacketCapacity || size < 52 + 40) std::abort();
  const packet::PacketMeta meta = packet::parse_ip({bytes, size});
  const packet::GeneveInfo& g = meta.geneve;
  if (!meta.ok() || !g.present || !g.has_vpc_option || g.vni != kVpc) std::abort();
  if (g.outer_src.v4_host_order() != kNode || g.outer_dst.v4_host_order() != kTargetHost) {
    std::abort();
  }
  if (g.vpc_flags != packet::kVpcFlagFromHyperplane || meta.tuple.protocol != packet::kProtoTcp) {
    std::abort();
  }
  const uint32_t src = meta.tuple.src.v4_host_order();
  if (src != kLbA && src != kLbB) std::abort();
  const uint16_t port = meta.tuple.src_port;
  if (port < 1024 || port == 1025 || dataplane::load_balancer_slot(src, port, 2) != 1) {
    std::abort();
  }
  const uint32_t dst = meta.tuple.dst.v4_host_order();
  const size_t index = dst == 0x0a000214 ? 0 : dst == 0x0a000215 ? 1 : dst == 0x0a000120 ? 2 : 3;
  if (index == 3) std::abort();
  Last& l = last[index];
  l.valid = true;
  std::copy_n(meta.tuple.src.v4_wire(), 4, l.src);
  std::copy_n(meta.tuple.dst.v4_wire(), 4, l.dst);
  l.sport = meta.tuple.src_port;
  l.dport = meta.tuple.dst_port;
  const uint8_t flags = meta.tcp.flags;
  l.next_seq = meta.tcp.seq + meta.tcp.payload_size + ((flags & packet::kTcpSyn) ? 1 : 0);
  l.ack = meta.tcp.ack;
}

void aim(uint8_t* p, size_t size, uint8_t bits, const std::array<Last, 3>& last) {
  const Last& l = last[((bits >> 3) & 3) % 3];
  if (!l.valid || size < 20 || (p[0] >> 4) != 4) return;
  const size_t ihl = size_t(p[0] & 15) * 4;
  std::copy_n(l.dst, 4, p + 12);
  std::copy_n(l.src, 4, p + 16);
  if (ihl < 20 || size < ihl + 16) return;
  packet::store_be16(p + ihl, l.dport);
  packet::store_be16(p + ihl + 2, l.sport);
  if (bits & 0x40) packet::store_be32(p + ihl + 4, l.ack);
  if (bits & 0x20) packet::store_be32(p + ihl + 8, l.next_seq);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hyperplane::HealthProber prober(1);
  prober.set_targets(hyperplane::HealthProber::targets_of(make_lb(), kNode, 1));
  std::vector<std::array<uint8_t, hyperplane::HealthProber::kPacketCapacity>> out(4);
  std::array<size_t, 4> lengths{};
  std::array<Last, 3> last{};
  uint64_t now = 1000;
  const auto poll = [&] {
    for (size_t n = 4; n == 4;) {  // until the prober owes nothing more
      n = prober.poll(now, out, lengths);
      for (size_t i = 0; i < n; ++i) check_and_remember(out[i].data(), lengths[i], last);
    }
  };
  poll();
  std::vector<fuzzing::FuzzRecord> records = fuzzing::split_records(data, size, 0, 1);
  for (fuzzing::FuzzRecord& r : records) {
    now += kSteps[r.port & 3];
    uint8_t* p = r.buffer.data();
    if (r.port & 0x04) aim(p, r.length, r.port, last);
    const uint32_t vni = (r.port & 0x80) ? kVpc + 1 : kVpc;
    prober.on_reply(vni, r.length ? p : nullptr, r.length, now);
    poll();
  }
  const auto& c = prober.counters();
  if (c.successes + c.failures > c.probes) std::abort();
  prober.for_each([](const hyperplane::TargetHealth& t) {
    if (t.state != hyperplane::TargetState::initial &&
        t.state != hyperplane::TargetState::healthy &&
        t.state != hyperplane::TargetState::unhealthy) {
      std::abort();
    }
  });
  prober.drain_changes([](const hyperplane::TargetHealth&) {});
  return 0;
}
