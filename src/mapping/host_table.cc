#include "mapping/host_table.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <string_view>
#include <utility>

#include "mapping/program_delta.h"

namespace openvpc::mapping {

HostTable::HostTable(uint64_t epoch, size_t history_limit)
    : epoch_(epoch), history_limit_(history_limit) {}

size_t HostTable::shard_of(std::string_view host_id) {
  return std::hash<std::string_view>{}(host_id) % kShards;
}

uint64_t HostTable::publish(std::string_view host_id, wire::Program program) {
  Shard& shard = this->shard(host_id);
  auto snapshot = std::make_shared<wire::ProgramUpdate>();
  snapshot->set_epoch(epoch_);
  *snapshot->mutable_snapshot() = std::move(program);

  // What the host runs now, read under the lock and diffed outside it; if another publish of
  // the same host got in first, diff again against that one (the result is as if the two had
  // come one after the other).
  std::shared_ptr<const wire::ProgramUpdate> before;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.hosts.find(host_id);
    if (it != shard.hosts.end()) before = it->second.snapshot;
  }
  // Freed after the lock is released: a program is thousands of allocations.
  std::shared_ptr<const wire::ProgramUpdate> replaced;
  std::vector<std::shared_ptr<const wire::ProgramUpdate>> dropped;
  for (;;) {
    static const wire::Program kEmpty;
    auto delta = std::make_shared<wire::ProgramUpdate>();
    *delta->mutable_delta() = diff(before ? before->snapshot() : kEmpty, snapshot->snapshot());
    bool unchanged = before && is_empty(delta->delta());
    // Versions are consecutive, so the one this publish makes is known from `before`.
    uint64_t version = before ? before->version() + 1 : 1;
    size_t snapshot_size = 0, delta_size = 0;
    if (!unchanged) {
      delta->set_version(version);
      delta->set_epoch(epoch_);
      snapshot->set_version(version);
      snapshot_size = snapshot->ByteSizeLong();
      delta_size = delta->ByteSizeLong();
    }

    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.hosts.find(host_id);
    if (it == shard.hosts.end()) it = shard.hosts.try_emplace(std::string(host_id)).first;
    Host& host = it->second;
    if (host.snapshot != before) {
      before = host.snapshot;
      continue;
    }
    if (unchanged) return host.version;

    host.version = version;
    replaced = std::move(host.snapshot);
    host.snapshot = std::move(snapshot);
    host.history.push_back({delta, delta_size});
    host.history_size += delta_size;
    while (host.history.size() > history_limit_ ||
           (host.history.size() > 1 && host.history_size > snapshot_size)) {
      host.history_size -= host.history.front().size;
      dropped.push_back(std::move(host.history.front().delta));
      host.history.pop_front();
    }
    if (host.subscriber != nullptr) {
      // A subscriber attached before the first publish holds nothing this delta could apply to.
      host.subscriber->send(host.version == 1 ? host.snapshot : std::move(delta));
    }
    return host.version;
  }
}

std::vector<std::shared_ptr<const wire::ProgramUpdate>> HostTable::catch_up(
    const Host& host, uint64_t epoch, uint64_t version) const {
  if (host.snapshot == nullptr) return {};  // nothing published: the router keeps what it has
  if (epoch == epoch_ && version == host.version) return {};
  bool resumable = epoch == epoch_ && version < host.version && !host.history.empty() &&
                   host.history.front().delta->version() <= version + 1;
  if (!resumable) return {host.snapshot};
  std::vector<std::shared_ptr<const wire::ProgramUpdate>> updates;
  for (const auto& past : host.history) {
    if (past.delta->version() > version) updates.push_back(past.delta);
  }
  return updates;
}

void HostTable::attach(const wire::Hello& hello, Subscriber* subscriber) {
  Shard& shard = this->shard(hello.host_id());
  std::lock_guard<std::mutex> lock(shard.mutex);
  Host& host = shard.hosts[hello.host_id()];
  if (host.subscriber != nullptr && host.subscriber != subscriber) {
    host.subscriber->close("superseded by a newer stream for this host");
  }
  host.subscriber = subscriber;
  bool same_epoch = hello.epoch() == epoch_ && hello.last_applied_version() <= host.version;
  host.acked_version = same_epoch ? hello.last_applied_version() : 0;
  for (auto& update : catch_up(host, hello.epoch(), hello.last_applied_version())) {
    subscriber->send(std::move(update));
  }
}

void HostTable::detach(const std::string& host_id, const Subscriber* subscriber) {
  Shard& shard = this->shard(host_id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.hosts.find(host_id);
  if (it != shard.hosts.end() && it->second.subscriber == subscriber)
    it->second.subscriber = nullptr;
}

bool HostTable::acknowledge(const std::string& host_id, const Subscriber* subscriber,
                            uint64_t version) {
  Shard& shard = this->shard(host_id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.hosts.find(host_id);
  if (it == shard.hosts.end() || it->second.subscriber != subscriber) return false;
  Host& host = it->second;
  if (version > host.version || version < host.acked_version) return false;
  host.acked_version = version;
  if (version >= host.refused_version) host.refused_version = 0, host.refused_reason.clear();
  return true;
}

bool HostTable::refuse(const std::string& host_id, const Subscriber* subscriber, uint64_t version,
                       const std::string& reason) {
  Shard& shard = this->shard(host_id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.hosts.find(host_id);
  if (it == shard.hosts.end() || it->second.subscriber != subscriber) return false;
  Host& host = it->second;
  if (version > host.version || version < host.acked_version) return false;
  host.refused_version = version;
  host.refused_reason = reason.substr(0, 512);  // a router's words, bounded
  return true;
}

namespace {

// A name a Prometheus label value and a metric family suffix can carry as it is.
bool plain_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// A metric's name: plain, or a target's health ("target 10.0.1.5:80", "target [fd00::5]:80";
// resource_metrics.h).
bool metric_name(const std::string& name) {
  constexpr std::string_view kTarget = "target ";
  if (!name.starts_with(kTarget)) return plain_name(name);
  return name.size() > kTarget.size() && name.size() <= 64 &&
         std::all_of(name.begin() + kTarget.size(), name.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':' ||
                  c == '[' || c == ']';
         });
}

// A resource: "nat-...", "net/<name>/<id>", or a target group's ARN
// ("arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID").
bool resource_name(const std::string& name) {
  return !name.empty() && name.size() <= 256 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '/' || c == '_' ||
           c == ':' || c == '.';
  });
}

}  // namespace

bool HostTable::report(const std::string& host_id, const Subscriber* subscriber,
                       const wire::Ack& ack) {
  std::vector<FlowLogStatus> statuses;
  for (const auto& status : ack.flow_logs()) {
    if (statuses.size() == kMaxFlowLogStatuses) break;
    statuses.push_back({status.flow_log().substr(0, 64), status.error().substr(0, 512)});
  }
  std::vector<ResourceMetrics> metrics;
  for (const auto& resource : ack.resource_metrics()) {
    if (metrics.size() == kMaxResources) break;
    if (!resource_name(resource.resource())) continue;
    ResourceMetrics out{resource.resource(), {}};
    for (const auto& metric : resource.metrics()) {
      if (out.values.size() == kMaxMetrics) break;
      if (metric_name(metric.name())) out.values.emplace_back(metric.name(), metric.value());
    }
    metrics.push_back(std::move(out));
  }
  Shard& shard = this->shard(host_id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.hosts.find(host_id);
  if (it == shard.hosts.end() || it->second.subscriber != subscriber) return false;
  it->second.flow_logs = std::move(statuses);
  it->second.resource_metrics = std::move(metrics);
  return true;
}

void HostTable::close_all(const std::string& reason) {
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    for (auto& [id, host] : shard.hosts) {
      if (host.subscriber != nullptr) host.subscriber->close(reason);
    }
  }
}

std::vector<HostStatus> HostTable::hosts() const {
  std::vector<HostStatus> out;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    for (const auto& [id, host] : shard.hosts) {
      out.push_back({id, host.version, host.acked_version, host.subscriber != nullptr,
                     host.refused_version, host.refused_reason, host.flow_logs,
                     host.resource_metrics});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const HostStatus& a, const HostStatus& b) { return a.host_id < b.host_id; });
  return out;
}

uint64_t HostTable::acked_version(const std::string& host_id) const {
  const Shard& shard = this->shard(host_id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.hosts.find(host_id);
  return it == shard.hosts.end() ? 0 : it->second.acked_version;
}

}  // namespace openvpc::mapping
