// fuzz_replication.cc — random replication datagrams (hyperplane/flow_replication.h) into a
// node's flow table.
//
// Input: one datagram as a peer would send it. Besides ASan/UBSan it checks the codec's
// contract: a datagram decode() accepts re-encodes to exactly the same bytes (the format has
// one spelling per meaning), and applying its records to a NatTable (insert_replica /
// erase_replica, as the Replicator does) keeps the table consistent: every upserted record
// that was inserted or refreshed is then found by its inside tuple with its NAT port, and the
// table never holds more flows than it can. Load balancer records (ops 3 / 4) go to an LbTable
// alike: an inserted or refreshed one is then found by its client side and its target side.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "hyperplane/flow_replication.h"
#include "hyperplane/lb_table.h"
#include "hyperplane/nat_table.h"

namespace {

using namespace openvpc::hyperplane;

constexpr size_t kMaxFlows = 64;

NatGatewayConfig gateway(uint32_t number, uint32_t address) {
  NatGatewayConfig config;
  config.number = number;
  config.addresses = {address, address + 1};
  config.ranges = {slot_range(0, 2)};
  config.cap_per_range = slot_cap(0, 2);
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReplicationHeader header;
  std::vector<ReplicationRecord> records(kMaxRecords);
  const ReplicationError error = decode({data, size}, header, records);
  if (error != ReplicationError::none) return 0;
  if (header.count == 0 || header.count > kMaxRecords) std::abort();

  std::vector<uint8_t> again(kReplicationHeaderSize + header.count * kReplicationRecordSize);
  encode_header(again.data(), header);
  for (size_t i = 0; i < header.count; ++i) {
    encode_record(again.data() + kReplicationHeaderSize + i * kReplicationRecordSize, records[i]);
  }
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();

  // Gateways 1 and 2 (numbers a fuzzer finds in the seeds), NAT 10.0.1.100-101 / 10.0.2.100-101.
  NatTable table(kMaxFlows, {}, kMaxFlows);
  table.set_gateways({gateway(1, 0x0a000164), gateway(2, 0x0a000264)});
  LbTable lbs(kMaxFlows, {}, kMaxFlows);
  const uint32_t lb_numbers[] = {1, 2};
  lbs.set_load_balancers(lb_numbers);
  for (size_t i = 0; i < header.count; ++i) {
    const ReplicationRecord& r = records[i];
    if (is_lb(r.op)) {
      if (r.op == ReplicationOp::lb_erase) {
        lbs.erase_replica(r.gateway_number, r.lb_flow);
        continue;
      }
      const LbReplicaResult result = lbs.insert_replica(r.gateway_number, r.lb_flow, 5);
      if (result == LbReplicaResult::inserted || result == LbReplicaResult::refreshed) {
        const LbFlow& f = r.lb_flow;
        const uint16_t lb = uint16_t(r.gateway_number - 1);
        const uint32_t by_client = lbs.find_client(lb, f.protocol, f.client_address, f.client_port,
                                                   f.listener_address, f.listener_port);
        const uint32_t by_target = lbs.find_target(lb, f.protocol, f.target_address, f.target_port,
                                                   f.client_address, f.client_port);
        if (by_client == LbTable::kNone || by_client != by_target) std::abort();
      }
      if (lbs.flows() > kMaxFlows || lbs.replica_flows() > lbs.flows()) std::abort();
      continue;
    }
    if (r.op == ReplicationOp::erase) {
      table.erase_replica(r.gateway_number, r.flow);
      continue;
    }
    const ReplicaResult result = table.insert_replica(r.gateway_number, r.flow, 5);
    if (result == ReplicaResult::inserted || result == ReplicaResult::refreshed) {
      const uint16_t g = uint16_t(r.gateway_number - 1);
      const auto held = table.find_out(g, r.flow.inside_address, r.flow.inside_port,
                                       r.flow.remote_address, r.flow.remote_port, r.flow.protocol);
      if (!held || held->nat_port != r.flow.nat_port || held->nat_address != r.flow.nat_address) {
        std::abort();
      }
    }
    if (table.flows() > kMaxFlows || table.replica_flows() > table.flows()) std::abort();
  }
  table.expire(5 + 400, kMaxFlows);  // everything idles out
  if (table.flows() != 0) std::abort();
  lbs.expire(5 + 400, kMaxFlows);
  if (lbs.flows() != 0) std::abort();
  return 0;
}
