#include "hyperplane/replicator.h"

#include <algorithm>

namespace openvpc::hyperplane {

namespace {

constexpr size_t kReceiveBatch = 64;

bool contains(const std::vector<uint32_t>& v, uint32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

Result<Replicator> Replicator::open(uint32_t underlay_v4, uint16_t port) {
  io::UnderlaySocketConfig config;
  config.address = underlay_v4;
  config.port = port;
  auto socket = io::UnderlaySocket::open(config);
  if (!socket) return socket.error();
  return Replicator(std::move(*socket));
}

Replicator::Replicator(io::UnderlaySocket socket)
    : socket_(std::move(socket)),
      receive_storage_(kReceiveBatch * kMaxReplicationDatagram),
      received_(kReceiveBatch) {}

void Replicator::set_shards(std::vector<ShardPeers> shards, uint64_t now_ns,
                            std::vector<ShardPeers> lb_shards) {
  // A bulk sync toward each peer that was not a peer of that gateway (load balancer) before.
  std::vector<Bulk> bulk;
  for (const bool lb : {false, true}) {
    for (const ShardPeers& next : lb ? lb_shards : shards) {
      const ShardPeers* before = shard(next.gateway_number, lb);
      for (uint32_t peer : next.peers) {
        if (before != nullptr && contains(before->peers, peer)) continue;
        Bulk job;
        job.lb = lb;
        job.gateway_number = next.gateway_number;
        job.gateway_index = next.gateway_index;
        job.out.peer = peer;
        job.out.flags = kReplicationFlagBulk;
        job.start_ns = now_ns + kBulkDelayNs;
        bulk.push_back(job);
      }
    }
  }
  // Syncs under way continue while their peer is still one (the index may move).
  for (Bulk& job : bulk_) {
    for (const ShardPeers& next : job.lb ? lb_shards : shards) {
      if (next.gateway_number != job.gateway_number || !contains(next.peers, job.out.peer)) {
        continue;
      }
      const bool restarted = std::any_of(bulk.begin(), bulk.end(), [&](const Bulk& b) {
        return b.lb == job.lb && b.gateway_number == job.gateway_number &&
               b.out.peer == job.out.peer;
      });
      if (!restarted) {
        job.gateway_index = next.gateway_index;
        bulk.push_back(job);
      }
    }
  }
  // Outboxes: one per distinct peer; records in an old outbox are sent first.
  for (Outbox& box : outboxes_) flush(box, now_ns);
  std::vector<uint32_t> peers;
  for (const auto* list : {&shards, &lb_shards}) {
    for (const ShardPeers& s : *list) peers.insert(peers.end(), s.peers.begin(), s.peers.end());
  }
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  outboxes_.assign(peers.size(), Outbox{});
  for (size_t i = 0; i < peers.size(); ++i) outboxes_[i].peer = peers[i];
  const auto boxes = [&](const std::vector<ShardPeers>& list) {
    std::vector<std::vector<uint16_t>> out(list.size());
    for (size_t s = 0; s < list.size(); ++s) {
      for (uint32_t peer : list[s].peers) {
        const auto at = std::lower_bound(peers.begin(), peers.end(), peer) - peers.begin();
        out[s].push_back(uint16_t(at));
      }
    }
    return out;
  };
  shard_outboxes_ = boxes(shards);
  lb_shard_outboxes_ = boxes(lb_shards);
  shards_ = std::move(shards);
  lb_shards_ = std::move(lb_shards);
  bulk_ = std::move(bulk);
}

const ShardPeers* Replicator::shard(uint32_t gateway_number, bool lb) const {
  for (const ShardPeers& s : lb ? lb_shards_ : shards_) {
    if (s.gateway_number == gateway_number) return &s;
  }
  return nullptr;
}

void Replicator::add(Outbox& box, const ReplicationRecord& record, uint64_t now_ns) {
  encode_record(box.bytes.data() + kReplicationHeaderSize + box.count * kReplicationRecordSize,
                record);
  if (++box.count == kMaxRecords) flush(box, now_ns);
}

void Replicator::flush(Outbox& box, uint64_t now_ns) {
  if (box.count == 0) return;
  encode_header(box.bytes.data(), {box.flags, box.count, now_ns});
  io::Datagram d;
  d.data = box.bytes.data();
  d.size = uint32_t(kReplicationHeaderSize + box.count * kReplicationRecordSize);
  d.peer_address = box.peer;
  d.peer_port = kReplicationPort;
  if (socket_.send({&d, 1}) == 1) {
    ++stats_.datagrams_sent;
    stats_.records_sent += box.count;
    if (box.flags & kReplicationFlagBulk) stats_.bulk_records_sent += box.count;
  } else {
    ++stats_.send_failed;  // a full socket buffer, or refused (no route to the peer)
  }
  box.count = 0;
}

void Replicator::drain(NatTable& table, uint64_t now_ns) {
  for (const NatJournalEntry& entry : table.journal()) {
    size_t s = 0;
    while (s < shards_.size() && shards_[s].gateway_number != entry.gateway_number) ++s;
    if (s == shards_.size()) continue;  // a gateway without peers (a shard of one)
    const ReplicationRecord record{entry.retired ? ReplicationOp::erase : ReplicationOp::upsert,
                                   entry.gateway_number, entry.flow};
    for (uint16_t box : shard_outboxes_[s]) add(outboxes_[box], record, now_ns);
  }
  table.clear_journal();
  drain_lb(now_ns);
  for (Outbox& box : outboxes_) flush(box, now_ns);
}

void Replicator::drain_lb(uint64_t now_ns) {
  if (lb_table_ == nullptr) return;
  for (const LbJournalEntry& entry : lb_table_->journal()) {
    size_t s = 0;
    while (s < lb_shards_.size() && lb_shards_[s].gateway_number != entry.lb_number) ++s;
    if (s == lb_shards_.size()) continue;  // a load balancer without peers
    ReplicationRecord record;
    record.op = entry.retired ? ReplicationOp::lb_erase : ReplicationOp::lb_upsert;
    record.gateway_number = entry.lb_number;
    record.lb_flow = entry.flow;
    for (uint16_t box : lb_shard_outboxes_[s]) add(outboxes_[box], record, now_ns);
  }
  lb_table_->clear_journal();
}

bool Replicator::pump(const NatTable& table, size_t slots, uint64_t now_ns) {
  for (size_t i = 0; i < bulk_.size();) {
    Bulk& job = bulk_[i];
    if (now_ns < job.start_ns) {
      ++i;
      continue;
    }
    bool more = false;
    if (!job.lb) {
      more = job.gateway_index < table.gateway_count() &&
             table.scan(job.gateway_index, &job.cursor, slots, [&](const NatFlow& flow) {
               add(job.out, {ReplicationOp::upsert, job.gateway_number, flow}, now_ns);
             });
    } else if (lb_table_ != nullptr && job.gateway_index < lb_table_->lb_count()) {
      more = lb_table_->scan(job.gateway_index, &job.cursor, slots, [&](const LbFlow& flow) {
        ReplicationRecord record;
        record.op = ReplicationOp::lb_upsert;
        record.gateway_number = job.gateway_number;
        record.lb_flow = flow;
        add(job.out, record, now_ns);
      });
    }
    if (more) {
      ++i;
      continue;
    }
    flush(job.out, now_ns);
    bulk_.erase(bulk_.begin() + ptrdiff_t(i));  // control-rate: once per finished sync
  }
  return !bulk_.empty();
}

void Replicator::receive(NatTable& table, uint32_t now, uint64_t now_ns) {
  for (size_t i = 0; i < kReceiveBatch; ++i) {
    received_[i] = {};
    received_[i].data = receive_storage_.data() + i * kMaxReplicationDatagram;
    received_[i].capacity = uint32_t(kMaxReplicationDatagram);
  }
  const size_t n = socket_.receive(received_);
  for (size_t i = 0; i < n; ++i) {
    const io::Datagram& d = received_[i];
    ++stats_.datagrams_received;
    ReplicationHeader header;
    const ReplicationError error = decode({d.data, d.size}, header, records_);
    if (error != ReplicationError::none) {
      ++stats_.dropped[size_t(error)];
      continue;
    }
    latency_.record(header.sent_ns, now_ns);
    for (size_t r = 0; r < header.count; ++r) {
      const ReplicationRecord& record = records_[r];
      const bool lb = is_lb(record.op);
      const ShardPeers* s = shard(record.gateway_number, lb);
      if (s == nullptr || !contains(s->peers, d.peer_address) || (lb && lb_table_ == nullptr)) {
        ++stats_.dropped[size_t(ReplicationError::not_a_peer)];
        continue;
      }
      ++stats_.records_received;
      if (lb) {
        const LbReplicaResult result =
            record.op == ReplicationOp::lb_upsert
                ? lb_table_->insert_replica(record.gateway_number, record.lb_flow, now)
                : lb_table_->erase_replica(record.gateway_number, record.lb_flow);
        ++stats_.lb_applied[size_t(result)];
        continue;
      }
      const ReplicaResult result =
          record.op == ReplicationOp::upsert
              ? table.insert_replica(record.gateway_number, record.flow, now)
              : table.erase_replica(record.gateway_number, record.flow);
      ++stats_.applied[size_t(result)];
    }
  }
}

}  // namespace openvpc::hyperplane
