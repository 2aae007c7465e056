// Replicator over real UDP sockets on loopback (127.31.82.x:6082): a flow created on node A
// reaches B's table as a replica; a retired one is erased; a new peer gets a bulk sync of
// what A holds; input from a non-peer or garbage is a counted drop.
#include "hyperplane/replicator.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "packet/builder.h"

namespace openvpc::hyperplane {
namespace {

constexpr uint32_t kA = 0x7f1f5201;  // 127.31.82.1
constexpr uint32_t kB = 0x7f1f5202;
constexpr uint32_t kC = 0x7f1f5203;
constexpr uint32_t kStranger = 0x7f1f5209;
constexpr uint32_t kInside = 0x0a000a05;
constexpr uint32_t kNat = 0x0a000164;
constexpr uint32_t kRemote = 0xcb00710a;

NatGatewayConfig gateway(int slot) {
  NatGatewayConfig config;
  config.number = 4;
  config.addresses = {kNat};
  config.ranges = {slot_range(slot, 3)};
  config.cap_per_range = slot_cap(slot, 3);
  return config;
}

ShardPeers peers(std::vector<uint32_t> p) {
  return ShardPeers{4, 0, std::move(p)};
}

// Receives on `r` until `table` holds `flows` flows or 5 s pass (a bound, not a measurement).
void receive_until(Replicator& r, NatTable& table, size_t flows) {
  for (int i = 0; i < 50 && table.flows() != flows; ++i) {
    pollfd p{r.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    r.receive(table, 10, 1000);
  }
}

void new_flow(NatTable& table, uint16_t port, uint32_t now = 10) {
  packet::TcpSpec spec;
  spec.src_port = port;
  spec.dst_port = 443;
  spec.flags = packet::kTcpSyn;
  auto bytes = packet::build_tcp(
      {.src = packet::IpAddress::v4(kInside), .dst = packet::IpAddress::v4(kRemote)}, spec, {});
  const auto meta = packet::parse_ip(bytes);
  ASSERT_EQ(table.translate_out(bytes, meta, 0, now, 0x7f000101, 21), NatVerdict::translated);
}

void send_raw(uint32_t from, uint32_t to, std::span<const uint8_t> bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(from);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(kReplicationPort);
  peer.sin_addr.s_addr = htonl(to);
  ASSERT_EQ(
      ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer),
      ssize_t(bytes.size()));
  ::close(fd);
}

TEST(Replicator, FlowsReachPeersAndNewPeersGetABulkSync) {
  auto a = Replicator::open(kA);
  auto b = Replicator::open(kB);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  NatTable table_a(4096), table_b(4096), table_c(4096);
  table_a.set_gateways({gateway(0)});
  table_b.set_gateways({gateway(1)});
  table_c.set_gateways({gateway(2)});
  a->set_shards({peers({kB})}, 0);
  b->set_shards({peers({kA})}, 0);
  EXPECT_TRUE(a->syncing());  // B is new to A: a bulk sync of nothing, after the delay
  EXPECT_TRUE(a->pump(table_a, 1 << 20, 1));
  EXPECT_FALSE(a->pump(table_a, 1 << 20, Replicator::kBulkDelayNs));

  // 100 new flows: 4 datagrams of up to 32 records.
  for (uint16_t i = 0; i < 100; ++i) new_flow(table_a, uint16_t(30000 + i));
  a->drain(table_a, 1);
  EXPECT_TRUE(table_a.journal().empty());
  EXPECT_EQ(a->stats().records_sent, 100u);
  EXPECT_EQ(a->stats().datagrams_sent, 4u);
  receive_until(*b, table_b, 100);
  EXPECT_EQ(table_b.flows(), 100u);
  EXPECT_EQ(table_b.replica_flows(), 100u);
  EXPECT_EQ(b->stats().applied[size_t(ReplicaResult::inserted)], 100u);
  EXPECT_EQ(b->latency().count(), 4u);
  const auto replica = table_b.find_out(0, kInside, 30007, kRemote, 443, packet::kProtoTcp);
  ASSERT_TRUE(replica.has_value());
  EXPECT_EQ(replica->inside_underlay, 0x7f000101u);
  EXPECT_EQ(replica->inside_eni, 21u);
  EXPECT_EQ(replica->nat_port,
            table_a.find_out(0, kInside, 30007, kRemote, 443, packet::kProtoTcp)->nat_port);

  // C joins the shard: A sends it everything it holds, in bulk.
  auto c = Replicator::open(kC);
  ASSERT_TRUE(c.ok()) << c.error().message;
  c->set_shards({peers({kA, kB})}, 1000);
  a->set_shards({peers({kB, kC})}, 1000);
  EXPECT_TRUE(a->pump(table_a, 1 << 20, 1001));
  EXPECT_EQ(a->stats().bulk_records_sent, 0u);  // not before the delay
  while (a->pump(table_a, 64, 1000 + Replicator::kBulkDelayNs)) {
  }
  EXPECT_EQ(a->stats().bulk_records_sent, 100u);
  receive_until(*c, table_c, 100);
  EXPECT_EQ(table_c.flows(), 100u);

  // A stranger's datagram (a well-formed one) and garbage are counted drops.
  std::vector<uint8_t> datagram(kReplicationHeaderSize + kReplicationRecordSize);
  encode_header(datagram.data(), {0, 1, 0});
  ReplicationRecord record{ReplicationOp::upsert, 4, {}};
  record.flow = *replica;
  record.flow.inside_port = 999;
  encode_record(datagram.data() + kReplicationHeaderSize, record);
  send_raw(kStranger, kB, datagram);
  const uint8_t garbage[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
  send_raw(kStranger, kB, garbage);
  for (int i = 0; i < 50 && b->stats().datagrams_received < 6; ++i) {
    pollfd p{b->fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    b->receive(table_b, 10, 0);
  }
  EXPECT_EQ(b->stats().dropped[size_t(ReplicationError::not_a_peer)], 1u);
  EXPECT_EQ(b->stats().dropped[size_t(ReplicationError::bad_magic)], 1u);
  EXPECT_EQ(table_b.flows(), 100u);

  // Retiring on A erases on B (and C).
  table_a.set_gateways({gateway(0)});  // no change: flows stay
  NatTimeouts short_idle;
  EXPECT_EQ(table_a.expire(10 + short_idle.idle_seconds + 1, 1 << 20), 100u);
  a->drain(table_a, 3);
  receive_until(*b, table_b, 0);
  EXPECT_EQ(table_b.flows(), 0u);
  receive_until(*c, table_c, 0);
  EXPECT_EQ(table_c.flows(), 0u);
}

}  // namespace
}  // namespace openvpc::hyperplane
