#include "router/counters_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "router/counter_totals.h"

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

// A section's scalar counters, named by their descriptor (counter_totals.h).
template <typename T, size_t N>
json fields_of(const T& counters, const std::array<CounterField<T>, N>& fields) {
  json out = json::object();
  for (const auto& field : fields) out[std::string(field.name)] = counters.*field.member;
  return out;
}

}  // namespace

std::string counters_json(const RouterStatus& status, std::span<const WorkerSnapshot> workers) {
  const RouterTotals totals = sum(workers);
  json enis = json::object();
  for (const auto& port : status.ports) {
    const auto it = totals.enis.find(port.eni);
    const dataplane::EniCounters c =
        it != totals.enis.end() ? it->second : dataplane::EniCounters{};
    json eni = {{"name", port.name}, {"tap", port.tap_name}, {"namespace", port.namespace_name}};
    eni.update(fields_of(c, kEniTrafficFields));
    eni["drops"] = named_counts<dataplane::DropReason>(c.drops, true);
    enis[std::to_string(port.eni)] = eni;
  }
  json pipeline = {
      {"verdicts", named_counts<dataplane::Verdict>(totals.pipeline.verdicts, false)},
      {"drops", named_counts<dataplane::DropReason>(totals.pipeline.drops, true)},
      {"parse_errors", named_counts<packet::ParseError>(totals.pipeline.parse_errors, true)}};
  pipeline.update(fields_of(totals.pipeline, kPipelineCounterFields));
  pipeline["flows"] = totals.flow_count;
  pipeline["connections"] = totals.connection_count;
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
      {"pipeline", pipeline},
      {"services", named_counts<dataplane::services::ServicesEvent>(totals.services.values, true)},
      {"router", fields_of(totals.router, kWorkerCounterFields)},
      {"underlay", fields_of(totals.underlay, kUnderlayCounterFields)}};
  json flow_logs = json::object();
  for (const auto& d : status.flow_logs) {
    flow_logs[d.flow_log] = {
        {"destination", d.destination},       {"records_written", d.records_written},
        {"records_failed", d.records_failed}, {"rotations", d.rotations},
        {"last_error", d.last_error},         {"error", d.error}};
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
