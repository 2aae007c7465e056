// fuzz_trace.cc — property: a packet's trace is the pipeline's own decision (issue 16).
//
// Input: records as in fuzz_program.h. Two pipelines over the same program receive the same
// packets one at a time: A through process(), B through process_traced(). After each packet
// both must agree on everything a caller sees — verdict, drop reason, out port, the bytes,
// the packets released — and B's record must end in the verdict line A's result gives. The
// first packet is also traced with dataplane::trace() (a scratch pipeline: the first
// packet of its flow), which must name what a fresh pipeline does with them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/pipeline.h"
#include "dataplane/trace.h"
#include "fuzz_program.h"

namespace {

using namespace openvpc;

constexpr size_t kHeadroom = 64;
constexpr size_t kTailroom = 128;

void require(bool condition) {
  if (!condition) std::abort();
}

struct Buffer {
  explicit Buffer(const std::vector<uint8_t>& bytes, dataplane::Port port)
      : storage(kHeadroom + bytes.size() + kTailroom) {
    std::copy(bytes.begin(), bytes.end(), storage.begin() + kHeadroom);
    packet.data = storage.data() + kHeadroom;
    packet.size = uint16_t(bytes.size());
    packet.headroom = kHeadroom;
    packet.capacity = uint16_t(storage.size() - kHeadroom);
    packet.in_port = port;
  }
  std::vector<uint8_t> storage;
  dataplane::Packet packet;
};

std::string verdict_line(const dataplane::Packet& p) {
  std::string line = "verdict: " + std::string(to_string(p.verdict));
  if (p.drop_reason != dataplane::DropReason::none) {
    line += " (" + std::string(to_string(p.drop_reason)) + ")";
  }
  if (p.out_port.kind != dataplane::PortKind::none) line += " out " + to_string(p);
  return line + "\n";
}

// Small tables and few packet buffers: a pipeline per input is built quickly (the limits
// still hold and drop; the two pipelines have the same ones).
dataplane::PipelineConfig small_config() {
  dataplane::PipelineConfig c;
  c.flow_capacity = 64;
  c.connection_capacity = 64;
  c.eni_capacity = 4;
  c.fragment_series = 16;
  c.fragment_hold_slots = 8;
  c.fragment_hold_slots_per_eni = 4;
  c.fragment_output_slots = 8;
  return c;
}

bool same_result(const dataplane::Packet& a, const dataplane::Packet& b) {
  return a.verdict == b.verdict && a.drop_reason == b.drop_reason && a.out_port == b.out_port &&
         a.size == b.size && std::equal(a.data, a.data + a.size, b.data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto compiled = dataplane::compile(fuzzing::fuzz_program());
  if (!compiled) std::abort();
  dataplane::ProgramPublisher publisher;
  publisher.publish(*compiled);
  dataplane::Pipeline a(publisher, small_config());
  dataplane::Pipeline b(publisher, small_config());
  const fuzzing::Records records = fuzzing::split_records(data, size, 64);
  for (size_t i = 0; i < records.ports.size(); ++i) {
    const uint64_t now_ns = uint64_t(1000 + i / 16) * 1'000'000'000;
    Buffer plain(records.bytes[i], records.ports[i]);
    Buffer traced(records.bytes[i], records.ports[i]);
    a.process(std::span(&plain.packet, 1), now_ns);
    std::string record;
    b.process_traced(traced.packet, now_ns, record);
    require(same_result(plain.packet, traced.packet));
    require(a.released().size() == b.released().size());
    for (size_t k = 0; k < a.released().size(); ++k) {
      require(same_result(a.released()[k], b.released()[k]));
    }
    const std::string line = verdict_line(plain.packet);
    require(record.find(line) != std::string::npos);
    if (i == 0) {  // the free trace: a scratch pipeline, as a fresh one decides
      dataplane::Pipeline fresh(publisher, dataplane::scratch_pipeline_config(**compiled));
      Buffer first(records.bytes[i], records.ports[i]);
      fresh.process(std::span(&first.packet, 1), uint64_t{1000} * 1'000'000'000);
      const std::string text = dataplane::trace(**compiled, records.ports[i], records.bytes[i]);
      require(text.find(verdict_line(first.packet)) != std::string::npos);
    }
  }
  return 0;
}
