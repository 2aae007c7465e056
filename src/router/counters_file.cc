#include "router/counters_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace openvpc::router {

namespace {

using nlohmann::json;

template <typename Enum, size_t N>
json named_counts(const std::array<uint64_t, N>& values, bool skip_zero) {
  json out = json::object();
  for (size_t i = 0; i < N; ++i) {
    if (skip_zero && values[i] == 0) continue;
    out[std::string(to_string(Enum(i)))] = values[i];
  }
  return out;
}

template <size_t N>
void add_into(std::array<uint64_t, N>& total, const std::array<uint64_t, N>& more) {
  for (size_t i = 0; i < N; ++i) total[i] += more[i];
}

json router_counters(const WorkerCounters& c) {
  return {{"eni_frames_received", c.eni_frames_received},
          {"underlay_datagrams_received", c.underlay_datagrams_received},
          {"checksum_completion_failed", c.checksum_completion_failed},
          {"segmentation_offload_dropped", c.segmentation_offload_dropped},
          {"gso_frames", c.gso_frames},
          {"gso_segmented", c.gso_segmented},
          {"oversize_dropped", c.oversize_dropped},
          {"handed_off", c.handed_off},
          {"handoff_full", c.handoff_full},
          {"tap_send_failed", c.tap_send_failed},
          {"no_output_port", c.no_output_port},
          {"underlay_sent", c.underlay_sent},
          {"underlay_send_dropped", c.underlay_send_dropped},
          {"gateway_unsupported", c.gateway_unsupported},
          {"services_replied", c.services_replied},
          {"services_no_reply", c.services_no_reply}};
}

WorkerCounters sum(std::span<const WorkerSnapshot> workers) {
  WorkerCounters t;
  for (const auto& w : workers) {
    const WorkerCounters& c = w.router;
    t.eni_frames_received += c.eni_frames_received;
    t.underlay_datagrams_received += c.underlay_datagrams_received;
    t.checksum_completion_failed += c.checksum_completion_failed;
    t.segmentation_offload_dropped += c.segmentation_offload_dropped;
    t.gso_frames += c.gso_frames;
    t.gso_segmented += c.gso_segmented;
    t.oversize_dropped += c.oversize_dropped;
    t.handed_off += c.handed_off;
    t.handoff_full += c.handoff_full;
    t.tap_send_failed += c.tap_send_failed;
    t.no_output_port += c.no_output_port;
    t.underlay_sent += c.underlay_sent;
    t.underlay_send_dropped += c.underlay_send_dropped;
    t.gateway_unsupported += c.gateway_unsupported;
    t.services_replied += c.services_replied;
    t.services_no_reply += c.services_no_reply;
  }
  return t;
}

}  // namespace

std::string counters_json(const RouterStatus& status, std::span<const WorkerSnapshot> workers) {
  dataplane::PipelineCounters pipeline;
  dataplane::services::ServicesCounters services;
  size_t flows = 0, connections = 0;
  io::UnderlaySocketStats underlay;
  for (const auto& w : workers) {
    underlay.received += w.underlay_receive.received;
    underlay.receive_truncated += w.underlay_receive.receive_truncated;
    underlay.sent += w.underlay_send.sent;
    underlay.send_errors += w.underlay_send.send_errors;
    underlay.send_would_block += w.underlay_send.send_would_block;
    add_into(pipeline.verdicts, w.pipeline.verdicts);
    add_into(pipeline.drops, w.pipeline.drops);
    add_into(pipeline.parse_errors, w.pipeline.parse_errors);
    pipeline.flow_hits += w.pipeline.flow_hits;
    pipeline.flow_misses += w.pipeline.flow_misses;
    pipeline.program_swaps += w.pipeline.program_swaps;
    pipeline.connections_created += w.pipeline.connections_created;
    add_into(services.values, w.services.values);
    flows += w.flow_count;
    connections += w.connection_count;
  }
  json enis = json::object();
  for (const auto& port : status.ports) {
    dataplane::EniCounters c;
    for (const auto& w : workers) {
      const auto it = w.enis.find(port.eni);
      if (it == w.enis.end()) continue;
      c.rx_packets += it->second.rx_packets;
      c.rx_bytes += it->second.rx_bytes;
      c.tx_packets += it->second.tx_packets;
      c.tx_bytes += it->second.tx_bytes;
      add_into(c.drops, it->second.drops);
    }
    enis[std::to_string(port.eni)] = {
        {"name", port.name},
        {"tap", port.tap_name},
        {"namespace", port.namespace_name},
        {"rx_packets", c.rx_packets},
        {"rx_bytes", c.rx_bytes},
        {"tx_packets", c.tx_packets},
        {"tx_bytes", c.tx_bytes},
        {"drops", named_counts<dataplane::DropReason>(c.drops, true)}};
  }
  json document = {
      {"host_id", status.host_id},
      {"underlay_address", status.underlay_address},
      {"program",
       {{"generation", status.generation},
        {"applied", status.programs_applied},
        {"refused", status.programs_refused},
        {"last_error", status.last_error}}},
      {"workers", workers.size()},
      {"enis", enis},
      {"pipeline",
       {{"verdicts", named_counts<dataplane::Verdict>(pipeline.verdicts, false)},
        {"drops", named_counts<dataplane::DropReason>(pipeline.drops, true)},
        {"parse_errors", named_counts<packet::ParseError>(pipeline.parse_errors, true)},
        {"flow_hits", pipeline.flow_hits},
        {"flow_misses", pipeline.flow_misses},
        {"connections_created", pipeline.connections_created},
        {"program_swaps", pipeline.program_swaps},
        {"flows", flows},
        {"connections", connections}}},
      {"services", named_counts<dataplane::services::ServicesEvent>(services.values, true)},
      {"router", router_counters(sum(workers))},
      {"underlay",
       {{"received", underlay.received},
        {"receive_truncated", underlay.receive_truncated},
        {"sent", underlay.sent},
        {"send_errors", underlay.send_errors},
        {"send_would_block", underlay.send_would_block}}}};
  json flow_logs = json::object();
  for (const auto& d : status.flow_logs) {
    flow_logs[d.flow_log] = {{"destination", d.destination},
                             {"records_written", d.records_written},
                             {"records_failed", d.records_failed},
                             {"rotations", d.rotations},
                             {"last_error", d.last_error}};
  }
  document["flow_logs"] = flow_logs;
  return document.dump(2) + "\n";
}

Result<void> write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      return make_error("router.state", "cannot write " + temporary + ": " + std::strerror(errno));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return make_error("router.state", "cannot rename to " + path + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace openvpc::router
