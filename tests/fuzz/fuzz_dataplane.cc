// fuzz_dataplane.cc — random packets from ENI ports and the underlay through a fixed program.
//
// Input: a sequence of records [port byte][size lo][size hi][bytes...]; the port byte's top
// bit picks the underlay, otherwise ENI 1 + (byte % 3) (ENI 3 is not attached). All records
// form one batch through a fresh Pipeline, then the batch is fed again (flow-cache hits).
// Besides ASan/UBSan, it checks the pipeline's contract: every packet ends with one verdict,
// a drop has a reason, output bytes lie inside the buffer, and what is sent parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/pipeline.h"
#include "fuzz_program.h"
#include "fuzz_records.h"
#include "packet/parser.h"

namespace {

using namespace openvpc;

constexpr size_t kHeadroom = 64;
constexpr size_t kTailroom = 128;

void check(const dataplane::Packet& p, const uint8_t* start, const uint8_t* end) {
  using dataplane::Verdict;
  if (p.verdict == Verdict::drop && p.drop_reason == dataplane::DropReason::none) std::abort();
  if (p.verdict != Verdict::drop && p.verdict != Verdict::icmp_error &&
      p.drop_reason != dataplane::DropReason::none) {
    std::abort();
  }
  if (p.verdict == Verdict::drop) return;
  if (p.data < start || p.data + p.size > end) std::abort();
  const std::span<const uint8_t> bytes(p.data, p.size);
  if (p.verdict == Verdict::encapsulate) {
    const auto meta = packet::parse_ip(bytes);
    if (!meta.ok() || !meta.geneve.present) std::abort();
  } else if (p.verdict == Verdict::deliver || p.verdict == Verdict::icmp_error) {
    if (!packet::parse_frame(bytes).ok()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto compiled = dataplane::compile(fuzzing::fuzz_program());
  if (!compiled) std::abort();
  dataplane::ProgramPublisher publisher;
  publisher.publish(*compiled);
  dataplane::Pipeline pipeline(publisher, {64, 64});

  std::vector<std::vector<uint8_t>> buffers;
  std::vector<std::pair<dataplane::Port, size_t>> records;
  for (auto& record : fuzzing::split_records(data, size, kHeadroom, kTailroom)) {
    const uint8_t port = record.port;
    records.push_back(
        {(port & 0x80) ? dataplane::Port::underlay() : dataplane::Port::eni(1 + port % 3),
         record.length});
    buffers.push_back(std::move(record.buffer));
  }
  for (int round = 0; round < 2; ++round) {
    std::vector<std::vector<uint8_t>> copies = buffers;
    std::vector<dataplane::Packet> batch(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      batch[i].data = copies[i].data() + kHeadroom;
      batch[i].size = uint16_t(records[i].second);
      batch[i].headroom = kHeadroom;
      batch[i].capacity = uint16_t(copies[i].size() - kHeadroom);
      batch[i].in_port = records[i].first;
    }
    pipeline.process(batch, uint64_t(1000 + round) * 1'000'000'000);
    for (size_t i = 0; i < batch.size(); ++i) {
      check(batch[i], copies[i].data(), copies[i].data() + copies[i].size());
    }
  }
  return 0;
}
