#include "hyperplane/node_health.h"

#include <time.h>

#include "packet/bytes.h"

namespace openvpc::hyperplane {

NodeHealth::NodeHealth(LbTranslator& translator, uint64_t seed)
    : translator_(translator),
      prober_(seed),
      buffers_(kPacketsPerPoll),
      lengths_(kPacketsPerPoll),
      out_(kPacketsPerPoll) {}

uint64_t NodeHealth::now_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1000 + uint64_t(t.tv_nsec) / 1'000'000;
}

void NodeHealth::set_plan(const NodePlan& plan) {
  prober_.set_targets(plan.probe_targets);
  group_names_ = plan.group_names;
  // The translator keeps the health it held for targets that stay; give it the prober's view
  // of every target (a new program may bring targets the prober already concluded).
  prober_.for_each([&](const TargetHealth& h) {
    if (h.state != TargetState::initial) {
      translator_.on_health(h.target_group, h.address, h.port, h.state == TargetState::healthy);
    }
  });
}

void NodeHealth::on_probe_reply(const packet::PacketMeta& meta, std::span<const uint8_t> inner,
                                uint32_t, uint32_t, uint32_t) {
  if (!prober_.on_reply(meta.geneve.vni, inner.data(), inner.size(), now_ms())) ++unmatched_;
}

std::span<const io::Datagram> NodeHealth::poll() {
  const size_t written = prober_.poll(now_ms(), buffers_, lengths_);
  for (size_t i = 0; i < written; ++i) {
    io::Datagram& d = out_[i];
    d = io::Datagram{};
    d.data = buffers_[i].data();
    d.size = uint32_t(lengths_[i]);
    d.peer_address = packet::load_be32(buffers_[i].data() + 16);  // the outer destination
  }
  prober_.drain_changes([&](const TargetHealth& h) {
    translator_.on_health(h.target_group, h.address, h.port, h.state != TargetState::unhealthy);
  });
  return {out_.data(), written};
}

std::vector<mapping::ResourceMetrics> NodeHealth::reports() const {
  std::map<uint32_t, mapping::ResourceMetrics> by_group;
  prober_.for_each([&](const TargetHealth& h) {
    if (h.state == TargetState::initial) return;
    const auto name = group_names_.find(h.target_group);
    if (name == group_names_.end()) return;
    mapping::ResourceMetrics& report = by_group[h.target_group];
    report.resource = name->second;
    report.values.emplace_back(
        mapping::target_report_name(packet::IpAddress::v4(h.address), h.port),
        h.state == TargetState::healthy ? 1 : 0);
  });
  std::vector<mapping::ResourceMetrics> out;
  for (auto& [id, report] : by_group) out.push_back(std::move(report));
  return out;
}

}  // namespace openvpc::hyperplane
