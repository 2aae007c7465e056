#include "dataplane/flow_hash.h"

#include <gtest/gtest.h>

#include <set>

#include "program/cidr.h"

namespace openvpc::dataplane {
namespace {

packet::FiveTuple tuple(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                        uint8_t protocol) {
  packet::FiveTuple t;
  t.src = program::address_literal(src);
  t.dst = program::address_literal(dst);
  t.src_port = sport;
  t.dst_port = dport;
  t.protocol = protocol;
  t.ip_version = 4;
  return t;
}

packet::FiveTuple reversed(packet::FiveTuple t) {
  std::swap(t.src, t.dst);
  std::swap(t.src_port, t.dst_port);
  return t;
}

TEST(FlowWorkerHash, BothDirectionsOfAFlowHashTheSame) {
  const packet::FiveTuple cases[] = {
      tuple("10.0.1.5", 40000, "10.0.2.7", 22, 6), tuple("10.0.1.5", 53, "10.0.1.5", 53, 17),
      tuple("192.168.0.1", 1, "8.8.8.8", 65535, 17), tuple("10.0.0.1", 7, "10.0.0.2", 7, 1)};
  for (const auto& t : cases) EXPECT_EQ(flow_worker_hash(t), flow_worker_hash(reversed(t)));
}

TEST(FlowWorkerHash, SpreadsFlowsOverWorkers) {
  std::set<uint32_t> workers;
  for (uint16_t port = 1000; port < 1100; ++port) {
    workers.insert(flow_worker_hash(tuple("10.0.1.5", port, "10.0.2.7", 22, 6)) % 8);
  }
  EXPECT_EQ(workers.size(), 8u);
  EXPECT_NE(flow_worker_hash(tuple("10.0.1.5", 1, "10.0.2.7", 22, 6)),
            flow_worker_hash(tuple("10.0.1.5", 1, "10.0.2.7", 22, 17)));
}

}  // namespace
}  // namespace openvpc::dataplane
