#include "hyperplane/flow_replication.h"

#include "packet/bytes.h"
#include "packet/headers.h"

namespace openvpc::hyperplane {

namespace {

using packet::load_be16;
using packet::load_be32;
using packet::store_be16;
using packet::store_be32;

constexpr std::array<std::string_view, kReplicationErrorCount> kErrorNames = {
    "none",   "truncated",    "bad_magic",    "bad_version", "too_many",
    "bad_op", "bad_protocol", "bad_reserved", "bad_field",   "not_a_peer",
};

}  // namespace

std::string_view to_string(ReplicationError error) {
  const size_t i = size_t(error);
  return i < kErrorNames.size() ? kErrorNames[i] : "?";
}

void encode_header(uint8_t* out, const ReplicationHeader& header) {
  store_be32(out, kReplicationMagic);
  out[4] = kReplicationVersion;
  out[5] = header.flags;
  store_be16(out + 6, header.count);
  store_be32(out + 8, uint32_t(header.sent_ns >> 32));
  store_be32(out + 12, uint32_t(header.sent_ns));
}

void encode_record(uint8_t* out, const ReplicationRecord& record) {
  if (is_lb(record.op)) {
    const LbFlow& f = record.lb_flow;
    out[0] = uint8_t(record.op);
    out[1] = f.protocol;
    out[2] = f.tcp_state;
    out[3] = 0;
    store_be32(out + 4, record.gateway_number);
    store_be32(out + 8, f.client_address);
    store_be32(out + 12, f.target_address);
    store_be32(out + 16, f.listener_address);
    store_be16(out + 20, f.client_port);
    store_be16(out + 22, f.target_port);
    store_be16(out + 24, f.listener_port);
    store_be16(out + 26, 0);
    store_be32(out + 28, f.client_underlay);
    store_be32(out + 32, f.client_eni);
    return;
  }
  const NatFlow& f = record.flow;
  out[0] = uint8_t(record.op);
  out[1] = f.protocol;
  out[2] = f.tcp_state;
  out[3] = 0;
  store_be32(out + 4, record.gateway_number);
  store_be32(out + 8, f.inside_address);
  store_be32(out + 12, f.remote_address);
  store_be32(out + 16, f.nat_address);
  store_be16(out + 20, f.inside_port);
  store_be16(out + 22, f.remote_port);
  store_be16(out + 24, f.nat_port);
  store_be16(out + 26, 0);
  store_be32(out + 28, f.inside_underlay);
  store_be32(out + 32, f.inside_eni);
}

ReplicationError decode(std::span<const uint8_t> d, ReplicationHeader& header,
                        std::span<ReplicationRecord> records) {
  if (d.size() < kReplicationHeaderSize) return ReplicationError::truncated;
  if (load_be32(d.data()) != kReplicationMagic) return ReplicationError::bad_magic;
  if (d[4] != kReplicationVersion) return ReplicationError::bad_version;
  if ((d[5] & ~kReplicationFlagBulk) != 0) return ReplicationError::bad_reserved;
  const uint16_t count = load_be16(d.data() + 6);
  if (count == 0 || count > kMaxRecords || count > records.size()) {
    return ReplicationError::too_many;
  }
  if (d.size() != kReplicationHeaderSize + size_t(count) * kReplicationRecordSize) {
    return ReplicationError::truncated;
  }
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* r = d.data() + kReplicationHeaderSize + i * kReplicationRecordSize;
    if (r[0] < uint8_t(ReplicationOp::upsert) || r[0] > uint8_t(ReplicationOp::lb_erase)) {
      return ReplicationError::bad_op;
    }
    if (is_lb(ReplicationOp(r[0]))) {
      if (r[1] != packet::kProtoTcp && r[1] != packet::kProtoUdp) {
        return ReplicationError::bad_protocol;
      }
      if (r[3] != 0 || load_be16(r + 26) != 0) return ReplicationError::bad_reserved;
      if (r[2] > (LbTable::kFinClient | LbTable::kFinTarget) ||
          (r[1] == packet::kProtoUdp && r[2] != 0) || load_be16(r + 20) == 0 ||
          load_be16(r + 22) == 0 || load_be16(r + 24) == 0) {
        return ReplicationError::bad_field;
      }
      ReplicationRecord& out = records[i];
      out = {};
      out.op = ReplicationOp(r[0]);
      out.gateway_number = load_be32(r + 4);
      LbFlow& f = out.lb_flow;
      f.protocol = r[1];
      f.tcp_state = r[2];
      f.client_address = load_be32(r + 8);
      f.target_address = load_be32(r + 12);
      f.listener_address = load_be32(r + 16);
      f.client_port = load_be16(r + 20);
      f.target_port = load_be16(r + 22);
      f.listener_port = load_be16(r + 24);
      f.client_underlay = load_be32(r + 28);
      f.client_eni = load_be32(r + 32);
      continue;
    }
    if (r[1] != packet::kProtoTcp && r[1] != packet::kProtoUdp && r[1] != packet::kProtoIcmp) {
      return ReplicationError::bad_protocol;
    }
    if (r[3] != 0 || load_be16(r + 26) != 0) return ReplicationError::bad_reserved;
    if (r[2] > 7 || load_be16(r + 20) == 0 || load_be16(r + 24) < kFirstNatPort) {
      return ReplicationError::bad_field;
    }
    ReplicationRecord& out = records[i];
    out = {};
    out.op = ReplicationOp(r[0]);
    out.gateway_number = load_be32(r + 4);
    NatFlow& f = out.flow;
    f.protocol = r[1];
    f.tcp_state = r[2];
    f.inside_address = load_be32(r + 8);
    f.remote_address = load_be32(r + 12);
    f.nat_address = load_be32(r + 16);
    f.inside_port = load_be16(r + 20);
    f.remote_port = load_be16(r + 22);
    f.nat_port = load_be16(r + 24);
    f.inside_underlay = load_be32(r + 28);
    f.inside_eni = load_be32(r + 32);
  }
  header.flags = d[5];
  header.count = count;
  header.sent_ns = uint64_t(load_be32(d.data() + 8)) << 32 | load_be32(d.data() + 12);
  return ReplicationError::none;
}

}  // namespace openvpc::hyperplane
