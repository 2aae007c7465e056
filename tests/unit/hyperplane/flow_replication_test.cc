// Flow replication: the codec (round trip, every kind of bad input refused with its reason) and
// two NatTables as two shard nodes: a flow created on A, journaled, encoded, decoded and
// inserted on B as a replica; B then translates the reply and the next outbound packet.
#include "hyperplane/flow_replication.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet/builder.h"
#include "packet/bytes.h"
#include "packet/checksum.h"

namespace openvpc::hyperplane {
namespace {

using packet::IpAddress;

constexpr uint32_t kInside = 0x0a000a05;  // 10.0.10.5
constexpr uint32_t kNat = 0x0a000164;     // 10.0.1.100
constexpr uint32_t kRemote = 0xcb00710a;  // 203.0.113.10
constexpr uint32_t kRouter = 0x7f000101;

ReplicationRecord sample(uint16_t i) {
  ReplicationRecord r;
  r.op = i % 2 ? ReplicationOp::erase : ReplicationOp::upsert;
  r.gateway_number = 1000 + i;
  r.flow.inside_address = kInside + i;
  r.flow.remote_address = kRemote;
  r.flow.nat_address = kNat;
  r.flow.inside_port = uint16_t(40000 + i);
  r.flow.remote_port = 443;
  r.flow.nat_port = uint16_t(2000 + i);
  r.flow.protocol = packet::kProtoTcp;
  r.flow.tcp_state = NatTable::kEstablished;
  r.flow.inside_underlay = kRouter;
  r.flow.inside_eni = 21;
  return r;
}

std::vector<uint8_t> encode(std::span<const ReplicationRecord> records, uint8_t flags = 0) {
  std::vector<uint8_t> out(kReplicationHeaderSize + records.size() * kReplicationRecordSize);
  encode_header(out.data(), {flags, uint16_t(records.size()), 0x0102030405060708ull});
  for (size_t i = 0; i < records.size(); ++i) {
    encode_record(out.data() + kReplicationHeaderSize + i * kReplicationRecordSize, records[i]);
  }
  return out;
}

ReplicationError decode_all(std::span<const uint8_t> d, ReplicationHeader& header,
                            std::vector<ReplicationRecord>& records) {
  records.assign(kMaxRecords, {});
  return decode(d, header, records);
}

TEST(FlowReplication, RoundTrip) {
  std::vector<ReplicationRecord> in;
  for (uint16_t i = 0; i < kMaxRecords; ++i) in.push_back(sample(i));
  const auto bytes = encode(in, kReplicationFlagBulk);
  EXPECT_EQ(bytes.size(), kMaxReplicationDatagram);
  ReplicationHeader header;
  std::vector<ReplicationRecord> out;
  ASSERT_EQ(decode_all(bytes, header, out), ReplicationError::none);
  EXPECT_EQ(header.count, kMaxRecords);
  EXPECT_EQ(header.flags, kReplicationFlagBulk);
  EXPECT_EQ(header.sent_ns, 0x0102030405060708ull);
  for (size_t i = 0; i < kMaxRecords; ++i) {
    EXPECT_EQ(out[i].op, in[i].op);
    EXPECT_EQ(out[i].gateway_number, in[i].gateway_number);
    const NatFlow& a = out[i].flow;
    const NatFlow& b = in[i].flow;
    EXPECT_EQ(a.inside_address, b.inside_address);
    EXPECT_EQ(a.remote_address, b.remote_address);
    EXPECT_EQ(a.nat_address, b.nat_address);
    EXPECT_EQ(a.inside_port, b.inside_port);
    EXPECT_EQ(a.remote_port, b.remote_port);
    EXPECT_EQ(a.nat_port, b.nat_port);
    EXPECT_EQ(a.protocol, b.protocol);
    EXPECT_EQ(a.tcp_state, b.tcp_state);
    EXPECT_EQ(a.inside_underlay, b.inside_underlay);
    EXPECT_EQ(a.inside_eni, b.inside_eni);
  }
}

TEST(FlowReplication, BadInputIsRefusedWithItsReason) {
  const ReplicationRecord one[] = {sample(0), sample(1)};
  const auto good = encode(one);
  ReplicationHeader header;
  std::vector<ReplicationRecord> out;
  auto mutated = [&](auto change) {
    std::vector<uint8_t> bytes = good;
    change(bytes);
    return decode_all(bytes, header, out);
  };
  EXPECT_EQ(mutated([](auto& b) { b.resize(10); }), ReplicationError::truncated);
  EXPECT_EQ(mutated([](auto& b) { b.pop_back(); }), ReplicationError::truncated);
  EXPECT_EQ(mutated([](auto& b) { b.push_back(0); }), ReplicationError::truncated);
  EXPECT_EQ(mutated([](auto& b) { b[0] ^= 1; }), ReplicationError::bad_magic);
  EXPECT_EQ(mutated([](auto& b) { b[4] = 2; }), ReplicationError::bad_version);
  EXPECT_EQ(mutated([](auto& b) { b[5] = 0x80; }), ReplicationError::bad_reserved);
  EXPECT_EQ(mutated([](auto& b) { packet::store_be16(&b[6], 0); }), ReplicationError::too_many);
  EXPECT_EQ(mutated([](auto& b) { packet::store_be16(&b[6], kMaxRecords + 1); }),
            ReplicationError::too_many);
  EXPECT_EQ(mutated([](auto& b) { packet::store_be16(&b[6], 3); }), ReplicationError::truncated);
  const size_t r = kReplicationHeaderSize + kReplicationRecordSize;  // the second record
  EXPECT_EQ(mutated([&](auto& b) { b[r] = 5; }), ReplicationError::bad_op);
  EXPECT_EQ(mutated([&](auto& b) { b[r + 1] = 47; }), ReplicationError::bad_protocol);
  EXPECT_EQ(mutated([&](auto& b) { b[r + 3] = 1; }), ReplicationError::bad_reserved);
  EXPECT_EQ(mutated([&](auto& b) { b[r + 27] = 1; }), ReplicationError::bad_reserved);
  EXPECT_EQ(mutated([&](auto& b) { b[r + 2] = 8; }), ReplicationError::bad_field);
  EXPECT_EQ(mutated([&](auto& b) { packet::store_be16(&b[r + 24], 80); }),
            ReplicationError::bad_field);
  EXPECT_EQ(mutated([&](auto& b) { packet::store_be16(&b[r + 20], 0); }),
            ReplicationError::bad_field);
  EXPECT_EQ(mutated([](auto&) {}), ReplicationError::none);
  // Too small a record span is refused too.
  std::vector<ReplicationRecord> small(1);
  EXPECT_EQ(decode(good, header, small), ReplicationError::too_many);
  for (size_t i = 0; i < kReplicationErrorCount; ++i) {
    EXPECT_NE(to_string(ReplicationError(i)), "?");
  }
}

// Two shard nodes of one gateway: A owns slot 0, B slot 1.
struct Packet {
  std::vector<uint8_t> bytes;
  packet::PacketMeta meta;
};

Packet tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags) {
  packet::TcpSpec spec;
  spec.src_port = sport;
  spec.dst_port = dport;
  spec.flags = flags;
  const uint8_t payload[] = {'x'};
  Packet p{packet::build_tcp({.src = IpAddress::v4(src), .dst = IpAddress::v4(dst)}, spec, payload),
           {}};
  p.meta = packet::parse_ip(p.bytes);
  return p;
}

NatGatewayConfig shard_gateway(int slot) {
  NatGatewayConfig config;
  config.number = 5;
  config.addresses = {kNat};
  config.ranges = {slot_range(slot, 2)};
  config.cap_per_range = slot_cap(slot, 2);
  return config;
}

// Moves A's journal to B as replication datagrams would; returns the records carried.
size_t replicate(NatTable& a, NatTable& b, uint32_t now) {
  std::vector<ReplicationRecord> records;
  for (const NatJournalEntry& e : a.journal()) {
    records.push_back(
        {e.retired ? ReplicationOp::erase : ReplicationOp::upsert, e.gateway_number, e.flow});
  }
  a.clear_journal();
  if (records.empty()) return 0;
  const auto bytes = encode(records);
  ReplicationHeader header;
  std::vector<ReplicationRecord> out;
  EXPECT_EQ(decode_all(bytes, header, out), ReplicationError::none);
  for (size_t i = 0; i < header.count; ++i) {
    const ReplicaResult result = out[i].op == ReplicationOp::upsert
                                     ? b.insert_replica(out[i].gateway_number, out[i].flow, now)
                                     : b.erase_replica(out[i].gateway_number, out[i].flow);
    EXPECT_TRUE(result == ReplicaResult::inserted || result == ReplicaResult::refreshed ||
                result == ReplicaResult::erased)
        << to_string(result);
  }
  return header.count;
}

TEST(FlowReplication, AFlowCreatedOnAIsTranslatedByB) {
  NatTable a(64), b(64);
  a.set_gateways({shard_gateway(0)});
  b.set_gateways({shard_gateway(1)});
  Packet syn = tcp(kInside, 40000, kRemote, 443, packet::kTcpSyn);
  ASSERT_EQ(a.translate_out(syn.bytes, syn.meta, 0, 100, kRouter, 21), NatVerdict::translated);
  const uint16_t nat_port = packet::parse_ip(syn.bytes).tuple.src_port;
  ASSERT_TRUE(slot_range(0, 2).contains(nat_port));
  ASSERT_EQ(replicate(a, b, 100), 1u);
  EXPECT_EQ(b.flows(), 1u);
  EXPECT_EQ(b.replica_flows(), 1u);
  EXPECT_EQ(b.counters(0)[size_t(NatMetric::ActiveConnectionCount)], 0u);  // not B's own

  // A dies; the edge sends the reply to B (the next live slot), which translates it.
  Packet reply = tcp(kRemote, 443, kNat, nat_port, packet::kTcpSyn | packet::kTcpAck);
  NatFlow flow;
  ASSERT_EQ(b.translate_in(reply.bytes, reply.meta, 0, 101, &flow), NatVerdict::translated);
  EXPECT_EQ(flow.inside_underlay, kRouter);
  EXPECT_EQ(flow.inside_eni, 21u);
  const auto back = packet::parse_ip(reply.bytes);
  EXPECT_EQ(back.tuple.dst.v4_host_order(), kInside);
  EXPECT_EQ(back.tuple.dst_port, 40000);
  // The instance's next packet (no SYN) reaches B too: translated with A's port, not reset.
  Packet ack = tcp(kInside, 40000, kRemote, 443, packet::kTcpAck);
  ASSERT_EQ(b.translate_out(ack.bytes, ack.meta, 0, 102), NatVerdict::translated);
  EXPECT_EQ(packet::parse_ip(ack.bytes).tuple.src_port, nat_port);
  EXPECT_TRUE(b.journal().empty());  // a replica's traffic is not re-replicated

  // B takes over A's slot (A's node is down): the replica becomes B's own flow.
  NatGatewayConfig both = shard_gateway(1);
  both.ranges.push_back(slot_range(0, 2));
  b.set_gateways({both});
  EXPECT_EQ(b.replica_flows(), 0u);
  EXPECT_EQ(b.counters(0)[size_t(NatMetric::ActiveConnectionCount)], 1u);
  // Its port stays claimed: a new flow to the same destination gets another one.
  Packet other = tcp(kInside, 40001, kRemote, 443, packet::kTcpSyn);
  ASSERT_EQ(b.translate_out(other.bytes, other.meta, 0, 103), NatVerdict::translated);
  EXPECT_NE(packet::parse_ip(other.bytes).tuple.src_port, nat_port);
}

TEST(FlowReplication, RetiredFlowsAreErasedAndTrafficRefreshesReplicas) {
  NatTimeouts timeouts;
  timeouts.idle_seconds = 40;
  NatTable a(64, timeouts), b(64, timeouts);
  a.set_gateways({shard_gateway(0)});
  b.set_gateways({shard_gateway(1)});
  Packet syn = tcp(kInside, 40000, kRemote, 443, packet::kTcpSyn);
  ASSERT_EQ(a.translate_out(syn.bytes, syn.meta, 0, 100, kRouter, 21), NatVerdict::translated);
  ASSERT_EQ(replicate(a, b, 100), 1u);
  // Traffic on A for longer than B's idle timeout: A's sweep re-sends the flow every 10 s.
  for (uint32_t t = 105; t <= 160; t += 5) {
    Packet ack = tcp(kInside, 40000, kRemote, 443, packet::kTcpAck);
    ASSERT_EQ(a.translate_out(ack.bytes, ack.meta, 0, t), NatVerdict::translated);
    a.expire(t, 64);
    b.expire(t, 64);
    replicate(a, b, t);
  }
  EXPECT_EQ(b.flows(), 1u) << "the replica idled out while its flow was live";
  // A's RST from the remote retires the flow: B erases its replica.
  const uint16_t nat_port = packet::parse_ip(syn.bytes).tuple.src_port;
  Packet rst = tcp(kRemote, 443, kNat, nat_port, packet::kTcpRst);
  ASSERT_EQ(a.translate_in(rst.bytes, rst.meta, 0, 161), NatVerdict::translated);
  EXPECT_EQ(replicate(a, b, 161), 1u);
  EXPECT_EQ(b.flows(), 0u);
  // Replicas of unknown gateways or foreign addresses are refused.
  NatFlow f = sample(0).flow;
  EXPECT_EQ(b.insert_replica(99, f, 1), ReplicaResult::unknown_gateway);
  f.nat_address = kNat + 1;
  EXPECT_EQ(b.insert_replica(5, f, 1), ReplicaResult::foreign_address);
  EXPECT_EQ(b.erase_replica(5, sample(0).flow), ReplicaResult::not_found);
}

TEST(FlowReplication, ConflictingAndStaleReplicas) {
  NatTable b(64);
  b.set_gateways({shard_gateway(1)});
  NatFlow f = sample(0).flow;  // NAT port 2000: slot 0's range, a peer's
  ASSERT_EQ(b.insert_replica(5, f, 1), ReplicaResult::inserted);
  EXPECT_EQ(b.insert_replica(5, f, 2), ReplicaResult::refreshed);
  // Another inside tuple on the same NAT address, port and destination: refused.
  NatFlow other = f;
  other.inside_port = 40001;
  EXPECT_EQ(b.insert_replica(5, other, 2), ReplicaResult::port_conflict);
  // The same inside tuple with another port (the owner re-created it): the stale one goes.
  NatFlow moved = f;
  moved.nat_port = 2001;
  EXPECT_EQ(b.insert_replica(5, moved, 3), ReplicaResult::inserted);
  EXPECT_EQ(b.flows(), 1u);
  EXPECT_EQ(
      b.find_out(0, f.inside_address, f.inside_port, f.remote_address, f.remote_port, f.protocol)
          ->nat_port,
      2001);
  EXPECT_EQ(b.erase_replica(5, f), ReplicaResult::not_found);
  EXPECT_EQ(b.erase_replica(5, moved), ReplicaResult::erased);
  EXPECT_EQ(b.flows(), 0u);
  for (size_t i = 0; i < kReplicaResultCount; ++i) EXPECT_NE(to_string(ReplicaResult(i)), "?");
}

TEST(FlowReplication, AFullJournalIsCounted) {
  NatTable a(64, {}, 2);
  a.set_gateways({shard_gateway(0)});
  for (uint16_t i = 0; i < 3; ++i) {
    Packet syn = tcp(kInside, uint16_t(40000 + i), kRemote, 443, packet::kTcpSyn);
    ASSERT_EQ(a.translate_out(syn.bytes, syn.meta, 0, 1), NatVerdict::translated);
  }
  EXPECT_EQ(a.journal().size(), 2u);
  EXPECT_EQ(a.journal_overflows(), 1u);
}

}  // namespace
}  // namespace openvpc::hyperplane
