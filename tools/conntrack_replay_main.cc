// openvpc-conntrack-replay — feeds every packet of a pcap through the connection trackers.
//
// One ENI whose rules allow every new connection (the rule evaluation is the pipeline's),
// so every drop printed is the trackers' own: out-of-window TCP, unrelated ICMP errors,
// bad fragments. Prints one JSON object: counts by verdict, drops by reason, and the
// 0-based indices of the dropped packets in the capture. Optionally writes the flow-log
// records (version 2 format) of the capture to a file.
//
// Usage: openvpc-conntrack-replay [--flow-log FILE] [--eni-address IP] CAPTURE.pcap
#include <array>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/conntrack/conntrack_table.h"
#include "dataplane/conntrack/fragment_tracker.h"
#include "dataplane/flowlog/flow_log_aggregator.h"
#include "io/pcap_reader.h"

namespace {

using namespace openvpc;
using conntrack::DropReason;
using conntrack::TrackResult;

constexpr uint16_t kEni = 0;

struct Counts {
  uint64_t packets = 0;
  uint64_t not_ip = 0;
  uint64_t accepted = 0;
  uint64_t related = 0;
  uint64_t held = 0;
  uint64_t dropped = 0;
  std::array<uint64_t, conntrack::kDropReasonCount> drops{};
  std::vector<uint64_t> dropped_packets;
};

class FileSink : public flowlog::FlowLogSink {
 public:
  explicit FileSink(std::ofstream* out) : out_(out) {}
  void write(const flowlog::FlowLogRecord& r) override {
    if (out_) *out_ << flowlog::format_flow_log(r, interface_) << '\n';
  }

 private:
  std::ofstream* out_;
  flowlog::FlowLogInterface interface_{"000000000000", "eni-replay", "", "", "", "", ""};
};

class Replay {
 public:
  Replay(std::ofstream* flow_log, std::optional<packet::IpAddress> eni_address)
      : table_(1 << 20, 1),
        fragments_({}),
        flow_log_(1 << 16, 60, 1),
        sink_(flow_log),
        eni_address_(eni_address) {
    conntrack::EniSettings settings;
    settings.allowance = 1 << 20;
    table_.configure_eni(kEni, settings);
  }

  void feed(uint64_t index, const io::PcapRecord& record, bool ethernet) {
    ++counts_.packets;
    now_ = uint32_t(std::chrono::duration_cast<std::chrono::seconds>(record.timestamp).count());
    flow_log_.flush(now_, sink_);
    table_.sweep(now_, 64);
    release(fragments_.expire(now_, released_));
    const packet::PacketMeta meta =
        ethernet ? packet::parse_frame(record.bytes) : packet::parse_ip(record.bytes);
    if (meta.ok() && meta.ip_version == 0) {
      ++counts_.not_ip;
      return;
    }
    if (!meta.ok() || !meta.fragment.is_fragment) return conclude(index, decide(meta), meta);
    const auto d = fragments_.admit(kEni, meta, record.bytes, index, now_);
    using Action = conntrack::FragmentTracker::Action;
    switch (d.action) {
      case Action::accept:
        return conclude(index, {conntrack::Verdict::accept_related}, meta);
      case Action::drop:
        return conclude(index, TrackResult::dropped(d.reason), meta);
      case Action::hold:
        ++counts_.held;
        return;
      case Action::track:
        break;
    }
    const TrackResult r = decide(meta);
    conclude(index, r, meta);
    release(fragments_.settle(kEni, meta, r.ok(), released_));
  }

  void finish() {
    release(fragments_.expire(UINT32_MAX, released_));
    flow_log_.flush(now_, sink_, true);
  }

  void print() const {
    std::printf(
        "{\"packets\": %llu, \"not_ip\": %llu, \"accepted\": %llu, \"related\": %llu, "
        "\"held\": %llu, \"dropped\": %llu, \"connections\": %zu, \"drops\": {",
        ull(counts_.packets), ull(counts_.not_ip), ull(counts_.accepted), ull(counts_.related),
        ull(counts_.held), ull(counts_.dropped), table_.count());
    const char* sep = "";
    for (size_t i = 1; i < counts_.drops.size(); ++i) {
      if (counts_.drops[i] == 0) continue;
      const auto name = conntrack::to_string(DropReason(i));
      std::printf("%s\"%.*s\": %llu", sep, int(name.size()), name.data(), ull(counts_.drops[i]));
      sep = ", ";
    }
    std::printf("}, \"dropped_packets\": [");
    sep = "";
    for (uint64_t i : counts_.dropped_packets) std::printf("%s%llu", sep, ull(i)), sep = ", ";
    std::printf("]}\n");
  }

 private:
  static unsigned long long ull(uint64_t v) { return v; }

  TrackResult decide(const packet::PacketMeta& meta) {
    if (!meta.ok()) return TrackResult::dropped(DropReason::malformed);
    const TrackResult r = table_.track(kEni, meta, now_);
    if (r.verdict != conntrack::Verdict::new_connection) return r;
    return table_.open(kEni, meta, now_);  // the stand-in rules allow every connection
  }

  void conclude(uint64_t index, const TrackResult& r, const packet::PacketMeta& meta) {
    if (r.verdict == conntrack::Verdict::accept) ++counts_.accepted;
    if (r.verdict == conntrack::Verdict::accept_related) ++counts_.related;
    if (!r.ok()) {
      ++counts_.dropped;
      ++counts_.drops[size_t(r.reason)];
      if (counts_.dropped_packets.size() < 1000) counts_.dropped_packets.push_back(index);
    }
    if (!meta.ok() || meta.ip_version == 0) return;  // released fragments: no meta kept
    const bool ingress = eni_address_ && meta.tuple.dst == *eni_address_;
    flow_log_.record(kEni, meta,
                     ingress ? flowlog::FlowDirection::ingress : flowlog::FlowDirection::egress,
                     r.ok() ? flowlog::FlowAction::accept : flowlog::FlowAction::reject, now_);
  }

  void release(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const auto& rel = released_[i];
      --counts_.held;
      TrackResult r = rel.accepted ? TrackResult{conntrack::Verdict::accept_related}
                                   : TrackResult::dropped(rel.reason);
      conclude(rel.handle, r, packet::PacketMeta{});
    }
  }

  conntrack::ConntrackTable table_;
  conntrack::FragmentTracker fragments_;
  flowlog::FlowLogAggregator flow_log_;
  FileSink sink_;
  std::optional<packet::IpAddress> eni_address_;
  std::array<conntrack::FragmentTracker::Release, 64> released_{};
  Counts counts_;
  uint32_t now_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string capture, flow_log_path;
  std::optional<packet::IpAddress> eni_address;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--flow-log" && i + 1 < argc) {
      flow_log_path = argv[++i];
    } else if (arg == "--eni-address" && i + 1 < argc) {
      eni_address = packet::IpAddress::parse(argv[++i]);
    } else {
      capture = arg;
    }
  }
  if (capture.empty()) {
    std::fprintf(stderr, "usage: %s [--flow-log FILE] [--eni-address IP] CAPTURE.pcap\n", argv[0]);
    return 2;
  }
  auto reader = io::PcapReader::open(capture);
  if (!reader) {
    std::fprintf(stderr, "openvpc-conntrack-replay: %s\n", reader.error().message.c_str());
    return 1;
  }
  std::ofstream flow_log;
  if (!flow_log_path.empty()) flow_log.open(flow_log_path);
  Replay replay(flow_log_path.empty() ? nullptr : &flow_log, eni_address);
  uint64_t index = 0;
  const bool ethernet = reader->link_type() == io::PcapLinkType::ethernet;
  while (auto record = reader->next()) replay.feed(index++, *record, ethernet);
  replay.finish();
  replay.print();
  return 0;
}
